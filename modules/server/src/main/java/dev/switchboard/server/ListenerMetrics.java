package dev.switchboard.server;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.ListenerKind;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.StatusField;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.backends.BackendRegistries;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * Exposes every listener's status as Prometheus meters ({@code switchboard_listener_*}), fed by the
 * pushed statuses, so that {@code /metrics} needs no polling of its own: the common fields, and the
 * status fields each kind marks as a metric. A removed listener's meters go with it.
 */
public class ListenerMetrics extends VerticleBase {
  private final String registryName;
  private final ListenerKinds kinds;
  private final Map<String, JsonObject> latest = new ConcurrentHashMap<>();
  private final Map<String, List<Meter>> meters = new ConcurrentHashMap<>();

  /** In a cluster, this node's name: only the listeners it owns are exported here, with a {@code node} label. */
  private final String node;

  /** Every listener's meters, by their name after {@code switchboard_listener_} (as update() makes them). */
  static final Set<String> BUILT_IN = Set.of("connected", "active", "state", "failed_attempts", "bridge_clients",
      "last_message_timestamp_seconds", "messages_received", "messages_sent", "received_bytes", "malformed_frames", "deployments");

  public ListenerMetrics(String registryName, ListenerKinds kinds, String node) {
    // Micrometer would hand a kind's meter of such a name the built-in one back: /metrics would show the wrong value.
    for (ListenerKind kind : kinds.all()) {
      for (StatusField f : kind.statusFields()) {
        if (f.metric() != StatusField.Metric.NONE && BUILT_IN.contains(f.name())) {
          throw new IllegalStateException("kind '" + kind.type() + "': status field '" + f.name() + "' would be exported as "
              + "switchboard_listener_" + f.name() + ", one of every listener's meters: give it a name of its own");
        }
      }
    }
    this.registryName = registryName;
    this.kinds = kinds;
    this.node = node;
  }

  @Override
  public Future<?> start() {
    MeterRegistry registry = BackendRegistries.getNow(registryName);
    vertx.eventBus().<JsonObject>localConsumer(Addresses.STATUS, msg -> update(registry, msg.body().getJsonObject("status")));
    return vertx.eventBus().<JsonObject>request(Addresses.STATUS_SNAPSHOT, null).onSuccess(reply ->
        reply.body().getJsonArray("listeners").forEach(s -> update(registry, (JsonObject) s)));
  }

  private void update(MeterRegistry registry, JsonObject status) {
    String name = status.getString("name");
    // In a cluster, another node's listener is that node's to export: counted twice, sums would lie.
    boolean elsewhere = node != null && !node.equals(status.getString("owner"));
    if (status.getBoolean("removed", false) || elsewhere) {
      latest.remove(name);
      List<Meter> gone = meters.remove(name);
      if (gone != null && registry != null) {
        gone.forEach(registry::remove);
      }
      return;
    }
    JsonObject before = latest.put(name, status);
    if (registry == null || (before != null && before.getString("type").equals(status.getString("type")))) {
      return;
    }
    if (before != null) {
      // Redefined as another kind: its meters are another kind's too.
      meters.remove(name).forEach(registry::remove);
    }
    List<Meter> made = new ArrayList<>();
    Tags common = Tags.of("listener", name, "type", status.getString("type"));
    Tags tags = node == null ? common : common.and("node", node);
    // Prometheus conventions: units in the names, _total on counters (added by the registry).
    made.add(gauge(registry, "switchboard_listener_connected", "1 when the listener's upstream connection is up", tags, name,
        s -> s.getBoolean("is_running", false) ? 1 : 0));
    made.add(gauge(registry, "switchboard_listener_active", "1 when the listener is meant to run", tags, name,
        s -> s.getBoolean("is_active", false) ? 1 : 0));
    for (ListenerState state : ListenerState.values()) {
      made.add(gauge(registry, "switchboard_listener_state", "1 for the listener's current state, 0 for the others",
          tags.and("state", state.name()), name, s -> state.name().equals(s.getString("state")) ? 1 : 0));
    }
    made.add(gauge(registry, "switchboard_listener_failed_attempts", "failed connection attempts since the last good one", tags, name,
        s -> s.getInteger("attempt", 0)));
    made.add(gauge(registry, "switchboard_listener_bridge_clients", "bridge clients following the listener", tags, name,
        s -> s.getInteger("connected_clients", 0)));
    made.add(gauge(registry, "switchboard_listener_last_message_timestamp_seconds",
        "when the last upstream message came, in seconds since the epoch (0: none yet)", tags, name,
        s -> s.getString("last_message_at") == null ? 0 : Instant.parse(s.getString("last_message_at")).toEpochMilli() / 1000.0));
    made.add(counter(registry, "switchboard_listener_messages_received", "messages received from the upstream", tags, name, "messages_in"));
    made.add(counter(registry, "switchboard_listener_messages_sent", "messages written to the upstream", tags, name, "messages_out"));
    made.add(counter(registry, "switchboard_listener_received_bytes", "bytes received from the upstream", tags, name, "bytes_in"));
    made.add(counter(registry, "switchboard_listener_malformed_frames", "frames dropped as malformed", tags, name, "malformed"));
    made.add(counter(registry, "switchboard_listener_deployments", "connection instances deployed", tags, name, "deployments"));
    kinds.kind(status.getString("type")).ifPresent(kind -> {
      for (StatusField f : kind.statusFields()) {
        String meter = "switchboard_listener_" + f.name();
        switch (f.metric()) {
          case GAUGE -> made.add(gauge(registry, meter, f.doc(), tags, name, s -> number(s, f.name())));
          case COUNTER -> made.add(counter(registry, meter, f.doc(), tags, name, f.name()));
          case NONE -> {
          }
        }
      }
    });
    meters.put(name, made);
  }

  private static double number(JsonObject status, String field) {
    return status != null && status.getValue(field) instanceof Number n ? n.doubleValue() : 0;
  }

  private Meter gauge(MeterRegistry registry, String meter, String help, Tags tags, String name, ToDoubleFunction<JsonObject> value) {
    return Gauge.builder(meter, latest, m -> m.containsKey(name) ? value.applyAsDouble(m.get(name)) : 0)
        .description(help).tags(tags).register(registry);
  }

  private Meter counter(MeterRegistry registry, String meter, String help, Tags tags, String name, String field) {
    return FunctionCounter.builder(meter, latest, m -> number(m.get(name), field)).description(help).tags(tags).register(registry);
  }
}
