package dev.switchboard.server.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Closes HTTP connections that do not deliver a whole request, headers and body, within the request
 * timeout of opening or of their previous answer's end. A client that trickles a request a byte at a
 * time is never idle, so the idle timeout alone would let it hold the connection for ever (slowloris).
 *
 * <p>Only a connection waiting for a request is timed. One whose request has arrived whole and is
 * being answered is not: SockJS's long polls and streams have their heartbeat, and a connection
 * upgraded to a WebSocket leaves HTTP altogether (the bridge's ping timeout governs it).
 *
 * <p>One sweep checks every connection a few times per timeout, rather than one timer per
 * connection. Confined to the HTTP server's event loop: call it from there only.
 */
final class RequestDeadlines {
  private static final Logger LOG = LoggerFactory.getLogger(RequestDeadlines.class);
  private static final int SWITCHING_PROTOCOLS = 101;

  private final long timeoutNanos;
  private final Map<HttpConnection, Waiting> connections = new HashMap<>();
  /** Connections that have sent no request yet, oldest first: what a full server may close to make room. */
  private final Map<HttpConnection, Long> silent = new LinkedHashMap<>();

  /**
   * A connection's progress: its latest request, whether that one's answer is known to have ended,
   * and when the wait being timed began (the opening, the latest request's headers, or the sweep
   * that found its answer ended).
   */
  private static final class Waiting {
    HttpServerRequest latest;
    boolean answered;
    long since;

    Waiting(long since) {
      this.since = since;
    }
  }

  /** Create it in the HTTP server's verticle: its sweep is a timer of that verticle, and ends with it. */
  RequestDeadlines(Vertx vertx, Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
    vertx.setPeriodic(Math.max(50, timeout.toMillis() / 4), id -> sweep());
  }

  /** A new connection: it waits for its first request from now. */
  void opened(HttpConnection connection) {
    long now = System.nanoTime();
    connections.put(connection, new Waiting(now));
    silent.put(connection, now);
  }

  /** An opened connection closed while it still spoke HTTP. */
  void closed(HttpConnection connection) {
    connections.remove(connection);
    silent.remove(connection);
  }

  /** An opened connection taken over by the bridge: no longer HTTP, and its close no longer reaches it here. */
  void upgraded(HttpConnection connection) {
    closed(connection);
  }

  /** Connections open and still speaking HTTP. */
  int open() {
    return connections.size();
  }

  /**
   * The connection open longest without sending a request, if that is at least {@code silentFor}: no longer
   * timed here, for the caller closes it. A client that connects and does not ask within a second is
   * not a browser waiting for an answer; null when there is none.
   */
  HttpConnection takeOldestSilent(Duration silentFor) {
    Iterator<Map.Entry<HttpConnection, Long>> oldest = silent.entrySet().iterator();
    if (!oldest.hasNext()) {
      return null;
    }
    Map.Entry<HttpConnection, Long> entry = oldest.next();
    if (System.nanoTime() - entry.getValue() < silentFor.toNanos()) {
      return null;
    }
    oldest.remove();
    connections.remove(entry.getKey());
    return entry.getKey();
  }

  /** To be called with every request, before it is handled. */
  void received(HttpServerRequest request) {
    silent.remove(request.connection());
    Waiting waiting = connections.get(request.connection());
    if (waiting != null) {
      // Its body has the whole timeout again: a client gets at most two for one request, still bounded.
      waiting.latest = request;
      waiting.answered = false;
      waiting.since = System.nanoTime();
    }
  }


  private void sweep() {
    long now = System.nanoTime();
    for (Iterator<Map.Entry<HttpConnection, Waiting>> it = connections.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<HttpConnection, Waiting> entry = it.next();
      Waiting waiting = entry.getValue();
      HttpServerRequest latest = waiting.latest;
      if (latest != null && latest.response().ended() && latest.response().getStatusCode() == SWITCHING_PROTOCOLS) {
        it.remove(); // upgraded without being reported (upgraded() was not called): no longer HTTP
        silent.remove(entry.getKey());
        continue;
      }
      if (latest != null && latest.isEnded()) {
        if (!latest.response().ended()) {
          continue; // received whole, being answered: not waiting
        }
        if (!waiting.answered) {
          waiting.answered = true; // answered: waiting for the next request from now
          waiting.since = now;
          continue;
        }
      }
      if (now - waiting.since > timeoutNanos) {
        it.remove();
        silent.remove(entry.getKey());
        LOG.debug("closing {}: no whole request within {} ms", entry.getKey().remoteAddress(), timeoutNanos / 1_000_000);
        entry.getKey().close();
      }
    }
  }
}
