package dev.switchboard.core;

import io.vertx.core.json.JsonObject;

/**
 * A listener as the supervisor knows it: its common spec, the factory of its kind, and the JSON it
 * was read from (placeholders unresolved, as persisted) with its version, which grows by one with
 * every change of the definition.
 */
public record ListenerDefinition(ListenerSpec spec, ListenerFactory factory, JsonObject source, long version) {
  public String name() {
    return spec.name();
  }
}
