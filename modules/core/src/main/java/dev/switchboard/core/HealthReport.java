package dev.switchboard.core;

import io.vertx.core.json.JsonObject;

import java.util.Map;

/** Every listener's health as the supervisor sees it: healthy when every active listener is connected and its kind is content. */
public record HealthReport(boolean healthy, Map<String, ListenerHealth> listeners) {

  /** One listener's health; {@code reason} says what is wrong when it is not healthy. */
  public record ListenerHealth(boolean healthy, ListenerState state, boolean active, String reason) {
    public JsonObject toJson() {
      return new JsonObject().put("healthy", healthy).put("state", state.name()).put("is_active", active).put("reason", reason);
    }
  }

  public JsonObject toJson() {
    JsonObject each = new JsonObject();
    listeners.forEach((name, h) -> each.put(name, h.toJson()));
    return new JsonObject().put("status", healthy ? "UP" : "DOWN").put("listeners", each);
  }
}
