package dev.switchboard.server.http;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import io.vertx.core.http.HttpServerOptions;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * How long the HTTP server waits on a client, from the {@code http} section. Without them a client
 * holds a connection for ever with nothing on it, or with a request it never finishes.
 *
 * @param idle    a connection with no bytes either way for this long is closed ({@code http.idleTimeout});
 *                the bridge's WebSockets are exempt, its ping timeout ends the silent ones
 * @param request a request's headers must arrive within this of the connection's opening or the
 *                previous answer's end, and its body within this again of the headers
 *                ({@code http.requestTimeout}); see {@link RequestDeadlines}
 */
public record HttpTimeouts(Duration idle, Duration request) {
  public static final HttpTimeouts DEFAULTS = new HttpTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(30));
  private static final Duration SHORTEST = Duration.ofSeconds(1);
  /** SockJS's own default heartbeat: kept when the idle timeout leaves room for it. */
  private static final long SOCKJS_HEARTBEAT_MS = 25_000;

  /** Reads {@code idleTimeout} and {@code requestTimeout} of the {@code http} section (the caller finishes it). */
  public static HttpTimeouts from(ConfigSection http) {
    return new HttpTimeouts(atLeastOneSecond(http, "idleTimeout", DEFAULTS.idle()),
        atLeastOneSecond(http, "requestTimeout", DEFAULTS.request()));
  }

  private static Duration atLeastOneSecond(ConfigSection http, String field, Duration fallback) {
    Duration value = http.duration(field, fallback);
    if (value.compareTo(SHORTEST) < 0) {
      throw new ConfigException(http.field(field), "must be at least 1s, not " + value.toMillis() + "ms");
    }
    return value;
  }

  /**
   * The idle timeout, and HTTP/1 only: nothing here speaks cleartext HTTP/2 (browsers never do), and
   * one protocol is one set of timeouts to get right.
   */
  public HttpServerOptions applyTo(HttpServerOptions options) {
    return options
        .setIdleTimeout((int) idle.toMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setHttp2ClearTextEnabled(false);
  }

  /**
   * How often SockJS's HTTP transports get a heartbeat: well inside the idle timeout, so that a long
   * poll or a stream waiting within its normal cycle always has traffic before it would be idle.
   */
  public long sockJsHeartbeatMs() {
    return Math.min(SOCKJS_HEARTBEAT_MS, idle.toMillis() / 2);
  }
}
