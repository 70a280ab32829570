package dev.switchboard.simulators.homeassistant;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Objects;

/**
 * One entity's state, immutable, with its JSON built once (the shape of {@code State.as_dict}:
 * {@code entity_id, state, attributes, last_changed, last_reported, last_updated, context}).
 * The JSON and the attributes are shared by every message that carries them: never mutate them.
 */
final class EntityState {
  final String entityId;
  final String state;
  final JsonObject attributes;
  final Instant lastChanged;
  final Instant lastUpdated;
  final Instant lastReported;
  final JsonObject context;
  private final JsonObject json;

  EntityState(String entityId, String state, JsonObject attributes, Instant lastChanged, Instant lastUpdated,
              Instant lastReported, JsonObject context) {
    this.entityId = entityId;
    this.state = state;
    this.attributes = attributes;
    this.lastChanged = lastChanged;
    this.lastUpdated = lastUpdated;
    this.lastReported = lastReported;
    this.context = context;
    this.json = new JsonObject()
        .put("entity_id", entityId)
        .put("state", state)
        .put("attributes", attributes)
        .put("last_changed", HaTime.iso(lastChanged))
        .put("last_reported", HaTime.iso(lastReported))
        .put("last_updated", HaTime.iso(lastUpdated))
        .put("context", context);
  }

  /** The state that follows this one, with Home Assistant's rules for which times move. */
  EntityState next(String newState, JsonObject newAttributes, Instant now, JsonObject newContext) {
    boolean stateChanged = !state.equals(newState);
    boolean attributesChanged = !attributes.equals(newAttributes);
    return new EntityState(entityId, newState, newAttributes,
        stateChanged ? now : lastChanged,
        stateChanged || attributesChanged ? now : lastUpdated,
        now, newContext);
  }

  boolean sameAs(EntityState other) {
    return other != null && state.equals(other.state) && attributes.equals(other.attributes);
  }

  JsonObject json() {
    return json;
  }

  String domain() {
    return entityId.substring(0, entityId.indexOf('.'));
  }

  @Override
  public String toString() {
    return entityId + "=" + state;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EntityState e && json.equals(e.json);
  }

  @Override
  public int hashCode() {
    return Objects.hash(entityId, state);
  }
}
