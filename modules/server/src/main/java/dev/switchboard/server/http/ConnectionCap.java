package dev.switchboard.server.http;

import dev.switchboard.core.BurstLog;
import io.vertx.core.http.HttpConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.function.IntSupplier;

/**
 * Bounds the HTTP server's open connections ({@code http.maxConnections}), whatever they carry: requests,
 * SockJS's HTTP transports, or a WebSocket the bridge took over. Each holds heap (an idle bridge WebSocket
 * about 17 KB, docs/operations.md), so without a bound a flood of connections fills the heap and the
 * process exits, with every listener in it.
 *
 * <p>The bridge's clients may take all but a tenth of it ({@link #bridgeShare}); past that, the bridge
 * answers an upgrade 503, and closes a new SockJS session. Past the bound itself a new connection takes
 * the place of the oldest that has sent nothing for a second (a flood of silent connections would
 * otherwise hold every place until the request timeout), or, when there is none, is closed at once, as
 * Node's {@code server.maxConnections} does: keeping it until its request arrives, to answer 503, would
 * let a flood hold memory all the same. Confined to the HTTP server's event loop.
 */
final class ConnectionCap {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionCap.class);
  /** What one connection may hold, for the start's check of the bound against the heap: 17 KB measured, and room. */
  static final long HEAP_PER_CONNECTION = 24 * 1024;
  private static final long LOG_QUIET_MS = 10_000;

  /**
   * How long a connection may have sent nothing before a full server closes it for a new one: a browser sends its
   * request at once, so only a client that holds connections without asking waits this long.
   */
  static final Duration SILENT_EVICTABLE = Duration.ofSeconds(1);

  private final int max;
  /** The connections still speaking HTTP: counted there from their admission to their close or upgrade. */
  private final RequestDeadlines http;
  /** Connections that left HTTP for a bridge WebSocket, counted until their socket closes. */
  private final IntSupplier bridgeSockets;
  /** The bridge's clients: its WebSockets, and the sessions of SockJS's HTTP transports. */
  private final IntSupplier bridgeClients;
  private final BurstLog refusals = new BurstLog(LOG, LOG_QUIET_MS);
  private final BurstLog bridgeRefusals = new BurstLog(LOG, LOG_QUIET_MS);
  private final BurstLog evictions = new BurstLog(LOG, LOG_QUIET_MS);
  private long refused;
  private long evicted;
  private long bridgeRefused;

  /**
   * How many of {@code maxConnections} the bridge's clients (WebSockets, /subscribe, SockJS sessions) may take:
   * all but a tenth, which is kept for HTTP, so that the API, the health probes and /metrics still answer
   * while dashboards fill the rest.
   */
  static int bridgeShare(int maxConnections) {
    return maxConnections - maxConnections / 10;
  }

  ConnectionCap(int max, RequestDeadlines http, IntSupplier bridgeSockets, IntSupplier bridgeClients) {
    this.max = max;
    this.http = http;
    this.bridgeSockets = bridgeSockets;
    this.bridgeClients = bridgeClients;
  }

  /**
   * What to warn of when the bound lets connections take more than three quarters of the heap this JVM may
   * grow to: the flood it is there to stop could then still fill it.
   */
  static Optional<String> heapWarning(int maxConnections, long maxHeapBytes) {
    long needs = maxConnections * HEAP_PER_CONNECTION;
    if (needs <= maxHeapBytes / 4 * 3) {
      return Optional.empty();
    }
    return Optional.of("http.maxConnections is " + maxConnections + ": that many connections may hold " + (needs >> 20)
        + " MB of heap, more than three quarters of the " + (maxHeapBytes >> 20) + " MB this JVM may use."
        + " Lower it, or give the JVM more heap (JAVA_OPTS=-Xmx...)");
  }

  /**
   * A new connection: true if it may stay, and then the caller opens it in {@link RequestDeadlines}; false
   * if the server is full and it must be closed. On a full server it may stay in the place of the oldest
   * connection that has sent nothing for a second, which this closes.
   */
  boolean admit(HttpConnection connection) {
    int open = open();
    if (open < max) {
      return true;
    }
    HttpConnection silent = http.takeOldestSilent(SILENT_EVICTABLE);
    if (silent != null) {
      // Connections that never ask would otherwise hold every place until the request timeout.
      String host = ControlToken.host(silent.remoteAddress());
      silent.close();
      evicted++;
      evictions.warn("HTTP: closed a connection from " + host + " that had sent nothing for a second, to make room: "
          + open + " are open, the most http.maxConnections allows");
      return true;
    }
    refused++;
    refusals.warn("HTTP: closed a new connection from " + ControlToken.host(connection.remoteAddress()) + ": " + open
        + " are open, the most http.maxConnections allows");
    return false;
  }

  /**
   * Asked before the bridge takes one more client, a WebSocket or a SockJS session: false once it holds its
   * share ({@link #bridgeShare}), and then the refusal is counted and logged. A browser refused its
   * WebSocket falls back to SockJS's HTTP transports, so they share the bound; else they would fill the tenth.
   */
  boolean roomForBridgeClient() {
    int clients = bridgeClients.getAsInt();
    if (clients < bridgeShare(max)) {
      return true;
    }
    bridgeRefused++;
    bridgeRefusals.warn("bridge: refused a client: it holds " + clients + ", all that http.maxConnections (" + max
        + ") allows it; the last tenth is kept for HTTP");
    return false;
  }

  /** Connections open now. */
  int open() {
    return http.open() + bridgeSockets.getAsInt();
  }

  /** Connections closed at once so far because the server was full. */
  long refused() {
    return refused;
  }

  /** Connections closed so far, having sent nothing, to make room for a new one. */
  long evicted() {
    return evicted;
  }

  /** Bridge clients refused so far because the bridge held its share. */
  long bridgeRefused() {
    return bridgeRefused;
  }
}
