package dev.switchboard.upstream;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.UpstreamTls;

import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * A generic feed listener's own config.
 *
 * @param onConnect        messages written right after the socket opens (a subscribe, say), in order
 * @param heartbeatPayload null for WebSocket ping frames; otherwise an application message sent as the
 *                         heartbeat, with any inbound message counting as the answer
 * @param staleAfter       connected but no message for longer than this: stale (unhealthy); zero is off
 * @param reconnectWhenStale a stale connection is renewed rather than only reported
 * @param tls              which certificates a wss:// URL's upstream may present
 */
public record FeedSettings(
    URI url,
    Map<String, String> headers,
    List<String> subprotocols,
    List<String> onConnect,
    String heartbeatPayload,
    int maxFrameSize,
    java.time.Duration staleAfter,
    boolean reconnectWhenStale,
    UpstreamTls tls) {

  public static FeedSettings from(ConfigSection s) {
    URI url = s.webSocketUrl("url");
    Map<String, String> headers = s.httpHeaders("headers");
    List<String> subprotocols = s.httpTokens("subprotocols");
    List<String> onConnect = s.array("onConnect").stream().map(FeedSettings::asText).toList();
    ConfigSection heartbeat = s.section("heartbeat");
    String mode = heartbeat.string("mode");
    String payload = null;
    if (mode.equals("message")) {
      Object value = heartbeat.any("payload");
      if (value == null) {
        throw new ConfigException(heartbeat.field("payload"), "is required when mode is \"message\"");
      }
      payload = asText(value);
    } else if (!mode.equals("ping")) {
      throw new ConfigException(heartbeat.field("mode"), "must be \"ping\" (WebSocket ping frames) or \"message\", not \"" + mode + "\"");
    }
    heartbeat.finish();
    int maxFrameSize = s.integer("maxFrameSize", 125, 64 * 1024 * 1024);
    java.time.Duration staleAfter = s.duration("staleAfter");
    boolean reconnectWhenStale = s.bool("reconnectWhenStale");
    if (reconnectWhenStale && staleAfter.isZero()) {
      throw new ConfigException(s.field("reconnectWhenStale"), "needs staleAfter: say after how long a silent connection is stale");
    }
    UpstreamTls tls = UpstreamTls.from(s, url);
    s.finish();
    return new FeedSettings(url, headers, subprotocols, onConnect, payload, maxFrameSize, staleAfter, reconnectWhenStale, tls);
  }

  /** Strings are sent as they are; any other JSON value is sent encoded. */
  private static String asText(Object value) {
    if (value instanceof String s) {
      return s;
    }
    return io.vertx.core.json.Json.encode(value);
  }
}
