package dev.switchboard.examples.echo;

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

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code "type": "echo"}: the smallest listener kind, and the example of docs/extending.md. It holds a
 * WebSocket to any server, publishes every text frame it receives on {@code echo.<name>.message} and
 * writes what is sent to {@code echo.<name>.send}. It lives only in this test source set: the server
 * and the dashboard find it through META-INF/services, and nothing under them names it.
 */
public class EchoKind implements ListenerKind {
  static final List<ConfigField> FIELDS = List.of(
      ConfigField.of("url", Type.URL, "the server's ws:// or wss:// URL").asRequired(),
      ConfigField.of("greeting", Type.STRING, "a text frame sent right after every connect; none when absent"),
      ConfigField.of("apiKey", Type.STRING, "sent as the X-Api-Key header of the upgrade request").asSecret(),
      ConfigField.of("quietAfter", Type.DURATION, "unhealthy when connected but silent for longer than this; 0 is off")
          .withDefault("0s"));

  @Override
  public String type() {
    return "echo";
  }

  @Override
  public String description() {
    return "Test kind: publishes the text frames of any WebSocket server and writes what it is sent.";
  }

  @Override
  public List<ConfigField> fields() {
    return FIELDS;
  }

  @Override
  public List<StatusField> statusFields() {
    return List.of(new StatusField("echoes", "integer", "text frames received", StatusField.Metric.COUNTER));
  }

  @Override
  public KindAddresses addresses() {
    return new KindAddresses(List.of("message"), List.of("message"), List.of(), List.of("send"), List.of("send"));
  }

  @Override
  public ListenerFactory configure(String name, ConfigSection fields, Path dataDir) {
    URI url = fields.webSocketUrl("url");
    EchoSettings settings = new EchoSettings(url, fields.string("greeting"), fields.string("apiKey"), fields.duration("quietAfter"));
    fields.finish();
    return new ListenerFactory() {
      @Override
      public String url() {
        return url.toString();
      }

      @Override
      public ListenerVerticle newInstance(ListenerSpec spec, ListenerStats stats) {
        return new EchoListener(spec, stats, settings);
      }

      @Override
      public Optional<String> healthProblem(ListenerStatus status) {
        long quiet = settings.quietAfter().toMillis();
        long last = status.lastMessageAt() == null ? 0 : status.lastMessageAt().toEpochMilli();
        long since = Math.max(last, status.connectedSince() == null ? 0 : status.connectedSince().toEpochMilli());
        return quiet > 0 && System.currentTimeMillis() - since > quiet ? Optional.of("no frame for longer than " + quiet + " ms") : Optional.empty();
      }
    };
  }
}
