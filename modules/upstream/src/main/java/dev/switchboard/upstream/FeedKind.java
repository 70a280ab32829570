package dev.switchboard.upstream;

import dev.switchboard.core.ConfigField;
import dev.switchboard.core.ConfigField.Type;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.KindAddresses;
import dev.switchboard.core.ListenerFactory;
import dev.switchboard.core.ListenerKind;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.ListenerStatus;
import dev.switchboard.core.ListenerVerticle;
import dev.switchboard.core.StatusField;
import dev.switchboard.core.UpstreamTls;

import io.vertx.core.Deployable;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** {@code "type": "upstream"}: any JSON (or text, or binary) over WebSocket. */
public class FeedKind implements ListenerKind {
  static final List<ConfigField> FIELDS = List.of(
      ConfigField.of("url", Type.URL, "the feed's ws:// or wss:// URL").asRequired(),
      ConfigField.of("headers", Type.STRING_MAP,
          "HTTP headers of the upgrade request, e.g. {\"Authorization\": \"Bearer ${FEED_TOKEN}\"}; shown masked").asSecret(),
      ConfigField.of("subprotocols", Type.STRING_LIST, "WebSocket sub-protocols to offer"),
      ConfigField.of("onConnect", Type.ANY,
          "messages sent right after every connect, in order (strings as they are, JSON encoded); shown masked, as it may log in")
          .asSecret().anArray(),
      ConfigField.object("heartbeat", "how the connection is checked", List.of(
          ConfigField.of("mode", Type.STRING,
              "ping: WebSocket ping frames; message: send heartbeat.payload, any inbound message counts as the answer").withDefault("ping")
              .oneOfWords("ping", "message"),
          ConfigField.of("payload", Type.ANY, "the heartbeat message; required with mode message"))),
      ConfigField.of("maxFrameSize", Type.INTEGER, "larger frames are counted as malformed and the connection renewed (125 to 67108864)")
          .withDefault(65_536),
      ConfigField.of("staleAfter", Type.DURATION,
          "connected but no message for longer than this: stale, and unhealthy; 0 is off (a feed may be quiet by nature)")
          .withDefault("0s"),
      ConfigField.of("reconnectWhenStale", Type.BOOLEAN, "renew a stale connection instead of only reporting it (needs staleAfter)")
          .withDefault(false),
      UpstreamTls.FIELD);

  static final List<StatusField> STATUS_FIELDS = List.of(
      StatusField.of("stale", "boolean", "connected, but silent for longer than staleAfter"),
      StatusField.of("last_gap", "object", "{from, to}: the last outage, published as a gap envelope on the message address"));

  @Override
  public String type() {
    return "upstream";
  }

  @Override
  public String namespace() {
    return FeedAddresses.NAMESPACE;
  }

  @Override
  public String description() {
    return "A generic feed: any JSON, text or binary over WebSocket (Node-RED, IoT).";
  }

  @Override
  public List<ConfigField> fields() {
    return FIELDS;
  }

  @Override
  public List<StatusField> statusFields() {
    return STATUS_FIELDS;
  }

  @Override
  public KindAddresses addresses() {
    return new KindAddresses(List.of("message"), List.of("message"), List.of(), List.of("send"), List.of("send"));
  }

  @Override
  public ListenerFactory configure(String name, ConfigSection fields, Path dataDir) {
    FeedSettings settings = FeedSettings.from(fields);
    return new ListenerFactory() {
      @Override
      public String url() {
        return settings.url().toString();
      }

      @Override
      public ListenerVerticle newInstance(ListenerSpec spec, ListenerStats stats) {
        return new FeedListener(spec, stats, settings);
      }

      @Override
      public Optional<String> healthProblem(ListenerStatus status) {
        return Boolean.TRUE.equals(status.kindFields().getValue("stale"))
            ? Optional.of("connected but no message for longer than staleAfter (" + settings.staleAfter().toMillis() + " ms)")
            : Optional.empty();
      }

      @Override
      public List<Deployable> companions(ListenerSpec spec, ListenerStats stats) {
        return List.of(new FeedSendAddress(spec.name()));
      }
    };
  }
}
