package dev.switchboard.simulators.alpaca;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How the Alpaca stream simulator behaves. Every timing is configurable so that tests can run the
 * real protocol's slow parts (the 90 s reap window, the 10 s auth timeout) in milliseconds.
 *
 * @param credentials       key id -> secret accepted by {@code auth} (and by the APCA-API-* headers)
 * @param entitledFeeds     the endpoints the keys may use ("iex", "sip", "crypto/us"...); others answer 409
 * @param ticksPerSecond    data ticks per second: each tick sends one trade and one quote per subscribed symbol
 * @param barInterval       a minute bar per subscribed symbol this often (zero: no bars)
 * @param connectionLimit   authenticated sessions allowed per key per endpoint
 * @param reapWindow        how long a connection that ended without a close frame still counts against the limit
 * @param authTimeout       a session not authenticated by then gets 404 and is closed
 * @param closeAfter406     close the socket after a 406 (the default keeps it open, unauthenticated)
 * @param symbolLimit       symbols a session may hold; 0 for no limit (beyond it: 405, set unchanged)
 * @param countPairs        count the limit per (channel, symbol) pair rather than per distinct symbol
 * @param serverPingInterval a WebSocket ping to every session this often (zero: none)
 * @param ackDelay          how long a subscribe or unsubscribe waits before it is answered
 * @param lateDelivery      how long data keeps coming for a symbol after its unsubscribe (server-side buffering)
 * @param welcomeDelay      how long after the upgrade {@code connected} is sent (a client may auth before it)
 * @param maxOutboundBytes  a session whose unsent data exceeds this is a slow client: 407, then closed
 * @param universe          the stock symbols {@code "*"} stands for (on the crypto endpoints, a fixed set of pairs)
 */
public record AlpacaSimulatorOptions(
    String host,
    int port,
    Map<String, String> credentials,
    Set<String> entitledFeeds,
    double ticksPerSecond,
    Duration barInterval,
    int connectionLimit,
    Duration reapWindow,
    Duration authTimeout,
    boolean closeAfter406,
    int symbolLimit,
    boolean countPairs,
    Duration serverPingInterval,
    Duration ackDelay,
    Duration lateDelivery,
    Duration welcomeDelay,
    int maxOutboundBytes,
    List<String> universe) {

  public static final String DEMO_KEY = "demo-key";
  public static final String DEMO_SECRET = "demo-secret";
  public static final Set<String> ALL_FEEDS = Set.of("iex", "sip", "delayed_sip", "test", "crypto/us", "crypto/us-1", "crypto/eu-1");

  public AlpacaSimulatorOptions {
    credentials = Map.copyOf(credentials);
    entitledFeeds = Set.copyOf(entitledFeeds);
    universe = List.copyOf(universe);
  }

  public static AlpacaSimulatorOptions defaults() {
    return new AlpacaSimulatorOptions("127.0.0.1", 0, Map.of(DEMO_KEY, DEMO_SECRET), ALL_FEEDS, 2, Duration.ofSeconds(60),
        1, Duration.ofSeconds(90), Duration.ofSeconds(10), false, 0, false, Duration.ofSeconds(9), Duration.ZERO,
        Duration.ZERO, Duration.ZERO, 4 * 1024 * 1024, List.of("AAPL", "MSFT", "AMD", "TSLA", "NVDA", "SPY", "FAKEPACA"));
  }

  public AlpacaSimulatorOptions withPort(int port) {
    return new AlpacaSimulatorOptions(host, port, credentials, entitledFeeds, ticksPerSecond, barInterval, connectionLimit,
        reapWindow, authTimeout, closeAfter406, symbolLimit, countPairs, serverPingInterval, ackDelay, lateDelivery,
        welcomeDelay, maxOutboundBytes, universe);
  }

  public AlpacaSimulatorOptions withCredentials(String key, String secret) {
    return new AlpacaSimulatorOptions(host, port, Map.of(key, secret), entitledFeeds, ticksPerSecond, barInterval, connectionLimit,
        reapWindow, authTimeout, closeAfter406, symbolLimit, countPairs, serverPingInterval, ackDelay, lateDelivery,
        welcomeDelay, maxOutboundBytes, universe);
  }

  public AlpacaSimulatorOptions withEntitledFeeds(Set<String> feeds) {
    return new AlpacaSimulatorOptions(host, port, credentials, feeds, ticksPerSecond, barInterval, connectionLimit,
        reapWindow, authTimeout, closeAfter406, symbolLimit, countPairs, serverPingInterval, ackDelay, lateDelivery,
        welcomeDelay, maxOutboundBytes, universe);
  }

  public AlpacaSimulatorOptions withData(double ticksPerSecond, Duration barInterval) {
    return new AlpacaSimulatorOptions(host, port, credentials, entitledFeeds, ticksPerSecond, barInterval, connectionLimit,
        reapWindow, authTimeout, closeAfter406, symbolLimit, countPairs, serverPingInterval, ackDelay, lateDelivery,
        welcomeDelay, maxOutboundBytes, universe);
  }

  public AlpacaSimulatorOptions withConnectionLimit(int limit, Duration reapWindow, boolean closeAfter406) {
    return new AlpacaSimulatorOptions(host, port, credentials, entitledFeeds, ticksPerSecond, barInterval, limit,
        reapWindow, authTimeout, closeAfter406, symbolLimit, countPairs, serverPingInterval, ackDelay, lateDelivery,
        welcomeDelay, maxOutboundBytes, universe);
  }

  public AlpacaSimulatorOptions withAuthTimeout(Duration authTimeout, Duration welcomeDelay) {
    return new AlpacaSimulatorOptions(host, port, credentials, entitledFeeds, ticksPerSecond, barInterval, connectionLimit,
        reapWindow, authTimeout, closeAfter406, symbolLimit, countPairs, serverPingInterval, ackDelay, lateDelivery,
        welcomeDelay, maxOutboundBytes, universe);
  }

  public AlpacaSimulatorOptions withSymbolLimit(int limit, boolean countPairs) {
    return new AlpacaSimulatorOptions(host, port, credentials, entitledFeeds, ticksPerSecond, barInterval, connectionLimit,
        reapWindow, authTimeout, closeAfter406, limit, countPairs, serverPingInterval, ackDelay, lateDelivery,
        welcomeDelay, maxOutboundBytes, universe);
  }

  public AlpacaSimulatorOptions withAnswers(Duration ackDelay, Duration lateDelivery) {
    return new AlpacaSimulatorOptions(host, port, credentials, entitledFeeds, ticksPerSecond, barInterval, connectionLimit,
        reapWindow, authTimeout, closeAfter406, symbolLimit, countPairs, serverPingInterval, ackDelay, lateDelivery,
        welcomeDelay, maxOutboundBytes, universe);
  }

  public AlpacaSimulatorOptions withServerPings(Duration interval) {
    return new AlpacaSimulatorOptions(host, port, credentials, entitledFeeds, ticksPerSecond, barInterval, connectionLimit,
        reapWindow, authTimeout, closeAfter406, symbolLimit, countPairs, interval, ackDelay, lateDelivery,
        welcomeDelay, maxOutboundBytes, universe);
  }

  public AlpacaSimulatorOptions withMaxOutboundBytes(int bytes) {
    return new AlpacaSimulatorOptions(host, port, credentials, entitledFeeds, ticksPerSecond, barInterval, connectionLimit,
        reapWindow, authTimeout, closeAfter406, symbolLimit, countPairs, serverPingInterval, ackDelay, lateDelivery,
        welcomeDelay, bytes, universe);
  }

  /** Reads {@code simulators.alpaca} of the config. */
  public static AlpacaSimulatorOptions from(ConfigSection s) {
    AlpacaSimulatorOptions d = defaults();
    String key = s.optionalString("key", DEMO_KEY);
    String secret = s.optionalString("secret", DEMO_SECRET);
    List<String> feeds = s.has("feeds") ? s.strings("feeds") : List.copyOf(d.entitledFeeds);
    for (int i = 0; i < feeds.size(); i++) {
      if (!ALL_FEEDS.contains(feeds.get(i))) {
        throw new ConfigException(s.field("feeds") + "[" + i + "]", "must be one of " + ALL_FEEDS + ", not " + feeds.get(i));
      }
    }
    List<String> universe = s.has("universe") ? s.strings("universe") : d.universe;
    for (int i = 0; i < universe.size(); i++) {
      if (!AlpacaSession.SYMBOL.matcher(universe.get(i)).matches()) {
        throw new ConfigException(s.field("universe") + "[" + i + "]", "is not an upper-case symbol: " + universe.get(i));
      }
    }
    String counting = s.optionalString("symbolLimitCounts", "symbols");
    if (!counting.equals("symbols") && !counting.equals("pairs")) {
      throw new ConfigException(s.field("symbolLimitCounts"), "must be \"symbols\" or \"pairs\", not " + counting);
    }
    AlpacaSimulatorOptions options = new AlpacaSimulatorOptions(
        s.optionalString("host", d.host),
        s.integer("port", d.port, 0, 65_535),
        Map.of(key, secret),
        Set.copyOf(feeds),
        s.decimal("ticksPerSecond", d.ticksPerSecond, 0, 10_000),
        s.duration("barInterval", Duration.ofSeconds(5)),
        s.integer("connectionLimit", d.connectionLimit, 1, 1000),
        s.duration("reapWindow", d.reapWindow),
        s.duration("authTimeout", d.authTimeout),
        s.bool("closeAfter406", d.closeAfter406),
        s.integer("symbolLimit", d.symbolLimit, 0, 1_000_000),
        counting.equals("pairs"),
        s.duration("serverPingInterval", d.serverPingInterval),
        s.duration("ackDelay", d.ackDelay),
        s.duration("lateDelivery", d.lateDelivery),
        s.duration("welcomeDelay", d.welcomeDelay),
        s.integer("maxOutboundBytes", d.maxOutboundBytes, 1024, Integer.MAX_VALUE),
        universe);
    s.finish();
    return options;
  }
}
