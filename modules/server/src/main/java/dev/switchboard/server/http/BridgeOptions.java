package dev.switchboard.server.http;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;

import java.time.Duration;

/**
 * The bounds of the browser bridge, from the {@code http.bridge} config section:
 *
 * <pre>
 * "bridge": {"pingTimeout": "60s", "maxHandlersPerSocket": 500, "maxMessageSize": 65536, "replyTimeout": "30s"}
 * </pre>
 *
 * @param pingTimeout          a socket that sent no ping for this long is closed (the browser client pings every 5 s;
 *                             background tabs throttle their timers, so keep this generous)
 * @param maxHandlersPerSocket registrations plus requests awaiting a reply, per socket
 * @param maxMessageSize       the largest message a browser may send, in bytes (WebSocket frames and messages,
 *                             and the bodies of the HTTP fallback transports)
 * @param replyTimeout         how long a browser's request waits for its reply
 */
public record BridgeOptions(Duration pingTimeout, int maxHandlersPerSocket, int maxMessageSize, Duration replyTimeout) {
  public static final BridgeOptions DEFAULTS = new BridgeOptions(Duration.ofSeconds(60), 500, 64 * 1024, Duration.ofSeconds(30));

  public BridgeOptions {
    if (pingTimeout.compareTo(Duration.ofSeconds(10)) < 0) {
      // The browser client pings every 5 s: anything shorter closes healthy sockets.
      throw new IllegalArgumentException("pingTimeout must be at least 10s");
    }
  }

  /** Reads the section (absent: the defaults) and refuses any field it does not know. */
  public static BridgeOptions from(ConfigSection section) {
    Duration pingTimeout = section.duration("pingTimeout", DEFAULTS.pingTimeout());
    if (pingTimeout.compareTo(Duration.ofSeconds(10)) < 0) {
      throw new ConfigException(section.field("pingTimeout"), "must be at least 10s: the browser client pings every 5 s");
    }
    int maxHandlers = section.integer("maxHandlersPerSocket", DEFAULTS.maxHandlersPerSocket(), 1, 100_000);
    int maxMessageSize = section.integer("maxMessageSize", DEFAULTS.maxMessageSize(), 1024, 16 * 1024 * 1024);
    Duration replyTimeout = section.duration("replyTimeout", DEFAULTS.replyTimeout());
    if (replyTimeout.isZero()) {
      throw new ConfigException(section.field("replyTimeout"), "must be longer than zero");
    }
    section.finish();
    return new BridgeOptions(pingTimeout, maxHandlers, maxMessageSize, replyTimeout);
  }

  SockJSBridgeOptions applyTo(SockJSBridgeOptions options) {
    return options
        .setPingTimeout(pingTimeout.toMillis())
        .setMaxHandlersPerSocket(maxHandlersPerSocket)
        .setReplyTimeout(replyTimeout.toMillis());
  }

  /** The HTTP server must bound WebSocket messages itself: the bridge only sees them once they are read whole. */
  public HttpServerOptions applyTo(HttpServerOptions options) {
    return options
        .setMaxWebSocketFrameSize(maxMessageSize)
        .setMaxWebSocketMessageSize(maxMessageSize);
  }
}
