package dev.switchboard.core;

import io.vertx.core.json.JsonObject;

/**
 * A field a kind adds to its listeners' status. A field with a {@link Metric} is also exported on
 * {@code /metrics} as {@code switchboard_listener_<name>}, by a server that knows no kind.
 */
public record StatusField(String name, String type, String doc, Metric metric) {

  /** How a numeric status field is exported to Prometheus, if at all. */
  public enum Metric { NONE, GAUGE, COUNTER }

  public static StatusField of(String name, String type, String doc) {
    return new StatusField(name, type, doc, Metric.NONE);
  }

  public JsonObject toJson() {
    return new JsonObject().put("name", name).put("type", type).put("doc", doc)
        .put("metric", metric == Metric.NONE ? null : metric.name().toLowerCase(java.util.Locale.ROOT));
  }
}
