package dev.switchboard.market;

import dev.switchboard.core.ListenerStats;

/** The market kind's status fields, as they appear flattened in the listener's status. */
final class MarketStatus {
  /** true while a connection is authenticated and the registry can change its subscriptions. */
  static final String CONNECTED = "alpaca_connected";
  /** What the upstream last said it is subscribed to: {trades:[...], quotes:[...], bars:[...]}. */
  static final String ACTIVE = "active_symbols";
  /** What the clients want now, same shape. */
  static final String WANTED = "wanted_symbols";
  /** Clients (bridge sockets and Java consumers) that watch at least one symbol. */
  static final String CLIENTS = "total_clients";
  /** {corrections, last: {at, missing, unexpected}}: how often the upstream's answer differed from what we expected. */
  static final String DRIFT = "subscription_drift";
  /** Symbols refused (invalid, over a limit, refused upstream): requests that never reached the upstream or failed there. */
  static final String REFUSED = "refused_requests";
  /** Data messages of symbols nobody watched any more (late deliveries after an unsubscribe). */
  static final String DROPPED = "dropped_unwanted";
  /** Messages of a type this listener does not know, ignored. */
  static final String UNKNOWN_TYPES = "unknown_types";
  /** Data messages carrying fields this listener does not know (passed on as they are). */
  static final String UNKNOWN_FIELDS = "unknown_fields";

  private MarketStatus() {
  }

  /** Adds one to a counter field. Counters live in the stats, so they outlive every connection. */
  static void bump(ListenerStats stats, String field) {
    add(stats, field, 1);
  }

  /**
   * Adds {@code n} to a counter field. The registry and this node's watchers run on different event
   * loops and both count refusals: the read and the write must not interleave.
   */
  static void add(ListenerStats stats, String field, long n) {
    synchronized (stats) {
      Object value = stats.get(field);
      stats.put(field, (value instanceof Number v ? v.longValue() : 0L) + n);
    }
  }

  static void initCounters(ListenerStats stats) {
    synchronized (stats) {
      for (String field : new String[] {REFUSED, DROPPED, UNKNOWN_TYPES, UNKNOWN_FIELDS}) {
        if (stats.get(field) == null) {
          stats.put(field, 0L);
        }
      }
    }
  }
}
