package dev.switchboard.market;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/** An immutable set of (channel, symbol), shown as {@code {"trades":[...],"quotes":[...],"bars":[...]}}. */
public final class WatchSet {
  public static final WatchSet EMPTY = new WatchSet(new TreeSet<>());

  private final SortedSet<Watch> watches;

  private WatchSet(SortedSet<Watch> watches) {
    this.watches = Collections.unmodifiableSortedSet(watches);
  }

  public static WatchSet of(Collection<Watch> watches) {
    return new WatchSet(new TreeSet<>(watches));
  }

  /**
   * The managed channels of an Alpaca {@code subscription} answer (or of any object shaped like one).
   * Other keys (statuses, corrections...) are not ours and are left out.
   *
   * @throws IllegalArgumentException when a managed key is not an array of strings
   */
  public static WatchSet fromJson(JsonObject json) {
    TreeSet<Watch> out = new TreeSet<>();
    for (Channel channel : Channel.values()) {
      Object value = json.getValue(channel.wire());
      if (value == null) {
        continue;
      }
      if (!(value instanceof JsonArray symbols)) {
        throw new IllegalArgumentException("\"" + channel.wire() + "\" is not an array");
      }
      for (Object symbol : symbols) {
        if (!(symbol instanceof String s)) {
          throw new IllegalArgumentException("\"" + channel.wire() + "\" holds a " + (symbol == null ? "null" : "non-string"));
        }
        out.add(new Watch(channel, s));
      }
    }
    return new WatchSet(out);
  }

  public boolean contains(Watch watch) {
    return watches.contains(watch);
  }

  public boolean isEmpty() {
    return watches.isEmpty();
  }

  public int size() {
    return watches.size();
  }

  public SortedSet<Watch> asSet() {
    return watches;
  }

  public WatchSet minus(Collection<Watch> other) {
    TreeSet<Watch> out = new TreeSet<>(watches);
    out.removeAll(other);
    return new WatchSet(out);
  }

  public WatchSet minus(WatchSet other) {
    return minus(other.watches);
  }

  /** Those of these that are also in {@code other}. */
  public WatchSet intersection(WatchSet other) {
    TreeSet<Watch> out = new TreeSet<>(watches);
    out.retainAll(other.watches);
    return new WatchSet(out);
  }

  public WatchSet plus(WatchSet other) {
    TreeSet<Watch> out = new TreeSet<>(watches);
    out.addAll(other.watches);
    return new WatchSet(out);
  }

  /** At most {@code max} of these, in order. */
  public WatchSet first(int max) {
    if (watches.size() <= max) {
      return this;
    }
    return new WatchSet(new TreeSet<>(List.copyOf(watches).subList(0, max)));
  }

  public boolean hasChannel(Channel channel) {
    return watches.stream().anyMatch(w -> w.channel() == channel);
  }

  /** Every channel as a key, with a sorted array of symbols. */
  public JsonObject toJson() {
    Map<Channel, JsonArray> byChannel = new EnumMap<>(Channel.class);
    for (Channel c : Channel.values()) {
      byChannel.put(c, new JsonArray());
    }
    watches.forEach(w -> byChannel.get(w.channel()).add(w.symbol()));
    JsonObject out = new JsonObject();
    byChannel.forEach((c, symbols) -> out.put(c.wire(), symbols));
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WatchSet other && watches.equals(other.watches);
  }

  @Override
  public int hashCode() {
    return watches.hashCode();
  }

  @Override
  public String toString() {
    return toJson().encode();
  }
}
