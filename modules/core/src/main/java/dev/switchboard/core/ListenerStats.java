package dev.switchboard.core;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A listener's counters and kind-specific status fields. One object per listener, kept by the
 * supervisor for the life of the process and handed to every instance, so that {@code seq} and the
 * counters continue across reconnects. Instances write from their event loop; the supervisor reads.
 */
public final class ListenerStats {
  private final AtomicLong seq = new AtomicLong();
  private final AtomicLong messagesIn = new AtomicLong();
  private final AtomicLong messagesOut = new AtomicLong();
  private final AtomicLong bytesIn = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  private final AtomicLong lastMessageAt = new AtomicLong();
  private final AtomicInteger connectedClients = new AtomicInteger();
  private final RateWindow rate = new RateWindow(60);
  private final Map<String, Object> kindFields = new ConcurrentHashMap<>();
  private final AtomicBoolean changed = new AtomicBoolean();
  private volatile ConnectionEnd lastEnd;

  /** When a connection of this listener last heard its upstream before it ended (epoch millis), under which owner's epoch (0 in a single process). */
  public record ConnectionEnd(long at, long epoch) {
  }

  /** The next envelope sequence number: grows by one per message, across reconnects. */
  public long nextSeq() {
    return seq.incrementAndGet();
  }

  public long seq() {
    return seq.get();
  }

  public void messageIn(long bytes) {
    long now = System.currentTimeMillis();
    messagesIn.incrementAndGet();
    bytesIn.addAndGet(bytes);
    lastMessageAt.set(now);
    rate.record(now, 1);
    changed.set(true);
  }

  public void messageOut() {
    messagesOut.incrementAndGet();
    changed.set(true);
  }

  public long malformedFrame() {
    changed.set(true);
    return malformed.incrementAndGet();
  }

  public void connectedClients(int count) {
    if (connectedClients.getAndSet(count) != count) {
      changed.set(true);
    }
  }

  /**
   * A connection ended, under {@code epoch}, its upstream last heard at {@code lastHeardAt} (epoch millis): what it
   * sent after that may be lost. Kept here, with the seq, so that it outlives the instance and a change of the
   * listener's definition: the next connection can say what it missed.
   */
  public void connectionEnded(long lastHeardAt, long epoch) {
    lastEnd = new ConnectionEnd(lastHeardAt, epoch);
  }

  /** The last connection's end; null before one ended. */
  public ConnectionEnd lastConnectionEnd() {
    return lastEnd;
  }

  /** Sets a field of this listener's kind (e.g. {@code subscribed}); {@code null} removes it. */
  public void put(String field, Object value) {
    Object previous = value == null ? kindFields.remove(field) : kindFields.put(field, value);
    if (previous == null ? value != null : !previous.equals(value)) {
      changed.set(true);
    }
  }

  public Object get(String field) {
    return kindFields.get(field);
  }

  /** True once after any change: the supervisor's periodic push uses it to skip idle listeners. */
  public boolean takeChanged() {
    return changed.getAndSet(false);
  }

  public long messagesIn() {
    return messagesIn.get();
  }

  public long messagesOut() {
    return messagesOut.get();
  }

  public long bytesIn() {
    return bytesIn.get();
  }

  public long malformed() {
    return malformed.get();
  }

  public int connectedClients() {
    return connectedClients.get();
  }

  public Instant lastMessageAt() {
    long at = lastMessageAt.get();
    return at == 0 ? null : Instant.ofEpochMilli(at);
  }

  /** Messages per minute over the last 60 s. */
  public long rate1m() {
    return rate.total(System.currentTimeMillis());
  }

  public JsonObject kindFields() {
    JsonObject out = new JsonObject();
    kindFields.forEach((k, v) -> out.put(k, v instanceof JsonObject o ? o.copy() : v instanceof JsonArray a ? a.copy() : v));
    return out;
  }
}
