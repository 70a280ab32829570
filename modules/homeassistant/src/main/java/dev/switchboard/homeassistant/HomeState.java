package dev.switchboard.homeassistant;

import io.vertx.core.json.JsonObject;

import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What Switchboard knows about one Home Assistant beyond any one connection (design invariant 6): the
 * last-known entity states, the event counters, whether a connection is subscribed, and when the last
 * connection was last heard from. One per configured listener, shared by its companion and by each
 * connection instance in turn. Written by the live connection's event loop, read from others; the
 * stored state objects are never mutated once stored.
 */
final class HomeState {
  private volatile Map<String, JsonObject> states = new ConcurrentHashMap<>();
  private final AtomicLong eventsSession = new AtomicLong();
  private final EventRate rate = new EventRate();
  private volatile long eventsBefore;
  private volatile long lastEventAt;
  private volatile long heardAt;
  private volatile boolean subscribed;
  private volatile long subscribedAt;

  /** Counters of an earlier run of the process, read from the data directory. */
  void restore(long eventsTotal, long lastEventAtMillis) {
    eventsBefore = eventsTotal;
    if (lastEventAt == 0) {
      lastEventAt = lastEventAtMillis;
    }
    if (heardAt == 0) {
      heardAt = lastEventAtMillis; // the gap after a restart of the process starts at the last event we had
    }
  }

  /**
   * This node has just become the listener's owner (in a cluster): the total continues from what the
   * cluster kept, and the session counts this node's connections only, from zero.
   */
  void continueFrom(long eventsTotal, long lastEventAtMillis) {
    eventsSession.set(0);
    eventsBefore = eventsTotal;
    lastEventAt = Math.max(lastEventAt, lastEventAtMillis);
    heardAt = Math.max(heardAt, lastEventAtMillis);
  }

  // ---- states ---------------------------------------------------------------------------------

  Map<String, JsonObject> states() {
    return Collections.unmodifiableMap(states);
  }

  JsonObject state(String entityId) {
    return states.get(entityId);
  }

  /** The entity states {@code before} knew, when this home knows none yet (its listener's definition changed). */
  void takeStatesOf(HomeState before) {
    if (before != null && before != this && states.isEmpty()) {
      states = new ConcurrentHashMap<>(before.states);
    }
  }

  /** A fresh snapshot replaces everything: entities missing from it are gone. */
  void replaceStates(Map<String, JsonObject> fresh) {
    states = new ConcurrentHashMap<>(fresh);
  }

  void putState(String entityId, JsonObject state) {
    states.put(entityId, state);
  }

  JsonObject removeState(String entityId) {
    return states.remove(entityId);
  }

  // ---- events ---------------------------------------------------------------------------------

  void eventReceived(long nowMillis) {
    eventsSession.incrementAndGet();
    rate.record(nowMillis);
    lastEventAt = nowMillis;
  }

  long eventsSession() {
    return eventsSession.get();
  }

  long eventsTotal() {
    return eventsBefore + eventsSession.get();
  }

  long eventRatePerMinute(long nowMillis) {
    return rate.perMinute(nowMillis);
  }

  /** Epoch millis of the last event, 0 if none ever (this run or the one before). */
  long lastEventAt() {
    return lastEventAt;
  }

  // ---- connection -----------------------------------------------------------------------------

  /** A frame arrived on a subscribed connection: events up to now are not missed. */
  void heard(long nowMillis) {
    heardAt = nowMillis;
  }

  /** Epoch millis of the last frame on a subscribed connection; 0 if never. */
  long heardAt() {
    return heardAt;
  }

  void subscribed(boolean on, long nowMillis) {
    subscribed = on;
    if (on) {
      subscribedAt = nowMillis;
      rate.restart();
    }
  }

  boolean subscribed() {
    return subscribed;
  }

  long subscribedAt() {
    return subscribedAt;
  }
}
