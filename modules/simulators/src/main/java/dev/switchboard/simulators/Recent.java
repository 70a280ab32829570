package dev.switchboard.simulators;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;

/**
 * The last few of something a simulator records, and how many there were in all. A client in a
 * reconnect loop makes thousands of connections a minute: what a simulator remembers of them must
 * stay bounded, or the demo that runs it for a day runs out of memory. Thread-safe: sessions record
 * on the event loop, tests read from their own thread.
 */
public final class Recent<T> {
  private final int capacity;
  private final ArrayDeque<T> items;
  private long total;

  public Recent(int capacity) {
    this.capacity = capacity;
    this.items = new ArrayDeque<>(Math.min(capacity, 64));
  }

  public synchronized void add(T item) {
    if (items.size() == capacity) {
      items.removeFirst();
    }
    items.addLast(item);
    total++;
  }

  /** What is kept, oldest first. */
  public synchronized List<T> list() {
    return List.copyOf(items);
  }

  /** The newest {@code n} kept, oldest first. */
  public synchronized List<T> newest(int n) {
    List<T> all = List.copyOf(items);
    return all.subList(Math.max(0, all.size() - n), all.size());
  }

  public synchronized Optional<T> last() {
    return Optional.ofNullable(items.peekLast());
  }

  /** How many were ever added, those no longer kept included. */
  public synchronized long total() {
    return total;
  }
}
