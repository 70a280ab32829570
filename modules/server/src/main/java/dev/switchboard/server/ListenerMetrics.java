package dev.switchboard.server;

import dev.switchboard.core.Addresses;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.backends.BackendRegistries;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * Exposes every listener's status as Prometheus meters ({@code switchboard_listener_*}), fed by the
 * pushed statuses, so that {@code /metrics} needs no polling of its own.
 */
public class ListenerMetrics extends VerticleBase {
  private final String registryName;
  private final Map<String, JsonObject> latest = new ConcurrentHashMap<>();

  public ListenerMetrics(String registryName) {
    this.registryName = registryName;
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
    if (latest.put(name, status) == null && registry != null) {
      Tags tags = Tags.of("listener", name, "type", status.getString("type"));
      gauge(registry, "switchboard_listener_connected", "1 when the listener's upstream connection is up", tags, name,
          s -> s.getBoolean("is_running", false) ? 1 : 0);
      gauge(registry, "switchboard_listener_active", "1 when the listener is meant to run", tags, name,
          s -> s.getBoolean("is_active", false) ? 1 : 0);
      gauge(registry, "switchboard_listener_attempt", "failed connection attempts since the last good one", tags, name,
          s -> s.getInteger("attempt", 0));
      gauge(registry, "switchboard_listener_clients", "bridge clients following the listener", tags, name,
          s -> s.getInteger("connected_clients", 0));
      counter(registry, "switchboard_listener_messages_in", "messages received from the upstream", tags, name, "messages_in");
      counter(registry, "switchboard_listener_messages_out", "messages written to the upstream", tags, name, "messages_out");
      counter(registry, "switchboard_listener_bytes_in", "bytes received from the upstream", tags, name, "bytes_in");
      counter(registry, "switchboard_listener_malformed", "frames dropped as malformed", tags, name, "malformed");
      counter(registry, "switchboard_listener_deployments", "connection instances deployed", tags, name, "deployments");
    }
  }

  private void gauge(MeterRegistry registry, String meter, String help, Tags tags, String name, ToDoubleFunction<JsonObject> value) {
    Gauge.builder(meter, latest, m -> value.applyAsDouble(m.get(name))).description(help).tags(tags).register(registry);
  }

  private void counter(MeterRegistry registry, String meter, String help, Tags tags, String name, String field) {
    FunctionCounter.builder(meter, latest, m -> m.get(name).getLong(field, 0L)).description(help).tags(tags).register(registry);
  }
}
