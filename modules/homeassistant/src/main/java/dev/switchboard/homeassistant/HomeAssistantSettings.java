package dev.switchboard.homeassistant;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.UpstreamTls;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A Home Assistant listener's own config.
 *
 * @param url            {@code ws(s)://host:port/api/websocket}
 * @param token          a long-lived access token, from the environment ({@code "${HA_TOKEN}"})
 * @param eventTypes     one {@code subscribe_events} per type; {@code "*"} is every event
 * @param staleAfter     no event for longer than this makes the listener unhealthy; zero is off
 * @param reconnectWhenStale a stale connection is renewed rather than only reported
 * @param commandTimeout how long any command may wait for its answer
 * @param maxFrameSize   the largest message accepted ({@code get_states} of a big home is several MB)
 * @param tls            which certificates a wss:// URL's Home Assistant may present (its own self-signed one, say)
 */
public record HomeAssistantSettings(
    URI url,
    String token,
    List<String> eventTypes,
    Duration staleAfter,
    boolean reconnectWhenStale,
    Duration commandTimeout,
    int maxFrameSize,
    UpstreamTls tls) {

  public static final String PATH = "/api/websocket";
  public static final int DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

  public static HomeAssistantSettings from(ConfigSection s) {
    URI url = s.webSocketUrl("url");
    String path = url.getPath() == null ? "" : url.getPath();
    if (!path.endsWith(PATH)) {
      throw new ConfigException(s.field("url"), "must end with " + PATH + ", where Home Assistant serves its WebSocket API"
          + " (e.g. ws://homeassistant.local:8123" + PATH + "), not \"" + (path.isEmpty() ? "/" : path) + "\"");
    }
    String token = s.requiredString("token");
    List<String> listed = s.strings("eventTypes"); // the declared default when absent
    if (listed.isEmpty()) {
      throw new ConfigException(s.field("eventTypes"), "must list at least one event type (e.g. [\"state_changed\"]), or be left out");
    }
    Set<String> unique = new LinkedHashSet<>();
    for (int i = 0; i < listed.size(); i++) {
      if (!unique.add(listed.get(i))) {
        throw new ConfigException(s.field("eventTypes") + "[" + i + "]", "\"" + listed.get(i) + "\" is listed twice");
      }
    }
    if (unique.contains("*") && unique.size() > 1) {
      // Two subscriptions would deliver (and count) the same event twice.
      throw new ConfigException(s.field("eventTypes"), "\"*\" already means every event type; list it alone");
    }
    List<String> eventTypes = List.copyOf(unique);
    Duration staleAfter = s.duration("staleAfter");
    boolean reconnectWhenStale = s.bool("reconnectWhenStale");
    if (reconnectWhenStale && staleAfter.isZero()) {
      throw new ConfigException(s.field("reconnectWhenStale"), "needs staleAfter: say after how long a silent connection is stale");
    }
    Duration commandTimeout = s.duration("commandTimeout");
    if (commandTimeout.isZero()) {
      throw new ConfigException(s.field("commandTimeout"), "must be longer than zero");
    }
    int maxFrameSize = s.integer("maxFrameSize", 1024, 256 * 1024 * 1024);
    UpstreamTls tls = UpstreamTls.from(s, url);
    s.finish();
    return new HomeAssistantSettings(url, token, eventTypes, staleAfter, reconnectWhenStale, commandTimeout, maxFrameSize, tls);
  }

  public boolean staleCheck() {
    return !staleAfter.isZero();
  }

  /** Never shows the token. */
  @Override
  public String toString() {
    return "HomeAssistantSettings[url=" + url + ", token=***, eventTypes=" + eventTypes + ", staleAfter=" + staleAfter
        + ", commandTimeout=" + commandTimeout + ", maxFrameSize=" + maxFrameSize + ", tls=" + tls + "]";
  }
}
