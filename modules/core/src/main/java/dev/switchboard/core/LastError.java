package dev.switchboard.core;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/** The last thing that went wrong with a listener; {@code code} is the upstream's own code when it gave one. */
public record LastError(Instant at, String message, String code) {

  public JsonObject toJson() {
    return new JsonObject().put("at", at.toString()).put("message", message).put("code", code);
  }

  public static LastError fromJson(JsonObject json) {
    return json == null ? null
        : new LastError(Instant.parse(json.getString("at")), json.getString("message"), json.getString("code"));
  }
}
