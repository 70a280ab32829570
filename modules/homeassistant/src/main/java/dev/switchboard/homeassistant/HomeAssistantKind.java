package dev.switchboard.homeassistant;

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
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** {@code "type": "homeassistant"}: Home Assistant events and states over its WebSocket API. */
public class HomeAssistantKind implements ListenerKind {
  static final List<ConfigField> FIELDS = List.of(
      ConfigField.of("url", Type.URL, "ws(s)://host:port" + HomeAssistantSettings.PATH + ", where Home Assistant serves its WebSocket API").asRequired()
          .matching("^[Ww][Ss][Ss]?://[^/?#]+[^?#]*" + HomeAssistantSettings.PATH + "([?#].*)?$"),
      ConfigField.of("token", Type.STRING, "a long-lived access token; put it in the environment: \"${HA_TOKEN}\"").asRequired().asSecret(),
      ConfigField.of("eventTypes", Type.STRING_LIST, "one subscribe_events per type; \"*\" alone is every event")
          .withDefault(new io.vertx.core.json.JsonArray().add("state_changed")),
      ConfigField.of("staleAfter", Type.DURATION, "no event for longer than this makes the listener unhealthy; 0 is off").withDefault("0s"),
      ConfigField.of("reconnectWhenStale", Type.BOOLEAN, "renew a stale connection instead of only reporting it (needs staleAfter)")
          .withDefault(false),
      ConfigField.of("commandTimeout", Type.DURATION, "how long any command may wait for its answer").withDefault("10s"),
      ConfigField.of("maxFrameSize", Type.INTEGER, "the largest message accepted (get_states of a big home is several MB)")
          .withDefault(HomeAssistantSettings.DEFAULT_MAX_FRAME_SIZE),
      UpstreamTls.FIELD);

  static final List<StatusField> STATUS_FIELDS = List.of(
      StatusField.of("subscribed", "boolean", "subscribed to every configured event type on the current connection"),
      StatusField.of("event_types", "string[]", "the configured event types"),
      new StatusField("events_session", "integer", "events since this process started or the listener was defined (in a cluster: since this node became its owner)", StatusField.Metric.GAUGE),
      new StatusField("events_total", "integer", "events since the first start, kept in the data dir (and, in a cluster, cluster-wide)",
          StatusField.Metric.COUNTER),
      new StatusField("event_rate_per_min", "number", "events in the last minute", StatusField.Metric.GAUGE),
      StatusField.of("last_event_at", "timestamp", "when the last event came"),
      new StatusField("entities", "integer", "entities whose last-known state is kept", StatusField.Metric.GAUGE),
      StatusField.of("ha_version", "string", "the Home Assistant version, from auth_required and auth_ok"),
      StatusField.of("ha_state", "string", "Home Assistant's core state (get_config): RUNNING, or STARTING while it starts, "
          + "or UNKNOWN while get_config fails, when no entity missing from its snapshot is taken as removed; "
          + "absent while not connected"),
      StatusField.of("stale", "boolean", "subscribed, but no event for longer than staleAfter"),
      StatusField.of("last_gap", "object", "{from, to}: the last outage, published on homeassistant.<name>.gap"));

  @Override
  public String type() {
    return "homeassistant";
  }

  @Override
  public String description() {
    return "Home Assistant events and entity states over its WebSocket API, with service calls.";
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
    return new KindAddresses(List.of("gap"), List.of("(event|state)\\..+", "gap", "snapshot"), List.of("states"),
        List.of("call"), List.of("states", "call")); // the companion serves them where the listener runs
  }

  /**
   * The last home to run under each listener, keyed as its counter file is (data dir and name: one process's
   * kinds may be several instances, and several nodes may share a JVM in tests). A changed definition gets a
   * new {@link HomeState}, which takes the entity states of the one before it: the last-known states outlive a
   * redefinition as they outlive a reconnect (invariant 6), and its first snapshot tells what changed since.
   */
  private static final Map<Path, HomeState> LAST_RUN = new ConcurrentHashMap<>();

  @Override
  public ListenerFactory configure(String name, ConfigSection fields, Path dataDir) {
    HomeAssistantSettings settings = HomeAssistantSettings.from(fields);
    HomeState home = new HomeState();
    Path lastRunKey = dataDir.toAbsolutePath().resolve(name);
    return new ListenerFactory() {
      @Override
      public String url() {
        return settings.url().toString();
      }

      @Override
      public ListenerVerticle newInstance(ListenerSpec spec, ListenerStats stats) {
        return new HomeAssistantListener(spec, stats, settings, home);
      }

      @Override
      public List<Deployable> companions(ListenerSpec spec, ListenerStats stats) {
        // Here, not in configure(): a definition only checked (validate, the cluster's check) never runs.
        home.takeStatesOf(LAST_RUN.put(lastRunKey, home));
        return List.of(new HomeAssistantCompanion(spec, stats, settings, home, dataDir));
      }

      @Override
      public Optional<String> healthProblem(ListenerStatus status) {
        return HomeAssistantKind.healthProblem(settings, home, System.currentTimeMillis());
      }

      @Override
      public Future<Void> deleteState(Vertx vertx) {
        LAST_RUN.remove(lastRunKey); // whichever ran last: none of it outlives the removal
        Future<Void> file = new CounterFile(vertx, dataDir, name).delete();
        return vertx.isClustered() ? Future.all(file, SharedCounter.delete(vertx, name)).mapEmpty() : file;
      }
    };
  }

  /** Connected is not enough: the stream must be subscribed, and not silent for longer than staleAfter. */
  static Optional<String> healthProblem(HomeAssistantSettings settings, HomeState home, long now) {
    if (!home.subscribed()) {
      return Optional.of("connected but not subscribed to Home Assistant events " + settings.eventTypes());
    }
    if (settings.staleCheck()) {
      // A fresh subscription gets the full staleAfter before an event is due.
      long since = Math.max(home.lastEventAt(), home.subscribedAt());
      long silent = now - since;
      if (silent > settings.staleAfter().toMillis()) {
        return Optional.of("no Home Assistant event for " + Duration.ofMillis(silent).toSeconds() + " s (staleAfter "
            + settings.staleAfter().toMillis() + " ms)");
      }
    }
    return Optional.empty();
  }
}
