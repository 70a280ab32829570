package dev.switchboard.server.http;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.server.fanout.FanoutOptions;
import dev.switchboard.server.fanout.SlowClientPolicy;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;

import java.time.Duration;

/**
 * The bounds of the browser bridge, from the {@code http.bridge} config section:
 *
 * <pre>
 * "bridge": {"pingTimeout": "60s", "maxHandlersPerSocket": 500, "maxMessageSize": 65536, "replyTimeout": "30s",
 *            "maxQueuedBytes": 4194304, "slowClients": "disconnect"}
 * </pre>
 *
 * @param pingTimeout          a socket from which nothing came for this long is closed; every WebSocket is pinged every
 *                             third of it and its pongs count (a background tab's own pings, every 5 s, may be held
 *                             back to one a minute); the HTTP fallback transports have only the client's pings
 * @param maxHandlersPerSocket registrations plus requests awaiting a reply, per socket
 * @param maxMessageSize       the largest message a browser may send, in bytes (WebSocket frames and messages,
 *                             and the bodies of the HTTP fallback transports)
 * @param replyTimeout         how long a browser's request waits for its reply
 * @param maxQueuedBytes       on the raw WebSocket endpoint, bytes queued for one client before {@code slowClients} applies
 * @param slowClients          {@code disconnect} (close it with 4001) or {@code conflate} (keep the newest message per address)
 */
public record BridgeOptions(Duration pingTimeout, int maxHandlersPerSocket, int maxMessageSize, Duration replyTimeout,
                            int maxQueuedBytes, SlowClientPolicy slowClients) {
  public static final BridgeOptions DEFAULTS = new BridgeOptions(Duration.ofSeconds(60), 500, 64 * 1024, Duration.ofSeconds(30),
      4 * 1024 * 1024, SlowClientPolicy.DISCONNECT);

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
    int maxQueuedBytes = section.integer("maxQueuedBytes", DEFAULTS.maxQueuedBytes(), 16 * 1024, 1024 * 1024 * 1024);
    String policy = section.optionalString("slowClients", "disconnect");
    SlowClientPolicy slowClients = switch (policy) {
      case "disconnect" -> SlowClientPolicy.DISCONNECT;
      case "conflate" -> SlowClientPolicy.CONFLATE;
      default -> throw new ConfigException(section.field("slowClients"), "must be \"disconnect\" or \"conflate\", not \"" + policy + "\"");
    };
    section.finish();
    return new BridgeOptions(pingTimeout, maxHandlers, maxMessageSize, replyTimeout, maxQueuedBytes, slowClients);
  }

  /** What a client must stay within ({@code GET /api/bridge}): a larger message closes its socket. */
  JsonObject limits() {
    return new JsonObject().put("maxMessageSize", maxMessageSize).put("maxHandlersPerSocket", maxHandlersPerSocket)
        .put("replyTimeoutMs", replyTimeout.toMillis()).put("pingTimeoutMs", pingTimeout.toMillis());
  }

  SockJSBridgeOptions applyTo(SockJSBridgeOptions options) {
    return options
        .setPingTimeout(pingTimeout.toMillis())
        .setMaxHandlersPerSocket(maxHandlersPerSocket)
        // The same bound as the fan-out path's (vertx-web's own is 200): an address works on both or neither.
        .setMaxAddressLength(BridgeRules.MAX_ADDRESS_LENGTH)
        .setReplyTimeout(replyTimeout.toMillis());
  }

  /** The same bounds for the fan-out path that serves the raw WebSocket endpoint. */
  FanoutOptions fanout() {
    return new FanoutOptions(maxQueuedBytes, slowClients, FanoutOptions.defaults().maxBatch(), pingTimeout.toMillis(),
        maxMessageSize, replyTimeout.toMillis(), maxHandlersPerSocket, FanoutOptions.defaults().sockJsHeartbeatMs());
  }

  /** The HTTP server must bound WebSocket messages itself: the bridge only sees them once they are read whole. */
  public HttpServerOptions applyTo(HttpServerOptions options) {
    return options
        .setMaxWebSocketFrameSize(maxMessageSize)
        .setMaxWebSocketMessageSize(maxMessageSize);
  }
}
