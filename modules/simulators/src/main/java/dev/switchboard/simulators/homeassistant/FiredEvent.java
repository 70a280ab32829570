package dev.switchboard.simulators.homeassistant;

/**
 * One event fired in the simulated home, its JSON encoded once for every subscriber (as Home
 * Assistant caches it). For {@code state_changed}, the old and new states (either may be null).
 */
record FiredEvent(String eventType, String json, String entityId, EntityState oldState, EntityState newState) {
  boolean isStateChange() {
    return entityId != null;
  }
}
