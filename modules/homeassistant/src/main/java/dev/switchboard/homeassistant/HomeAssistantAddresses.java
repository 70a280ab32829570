package dev.switchboard.homeassistant;

/**
 * The event-bus addresses of a Home Assistant listener named {@code name}. Data messages are envelopes
 * {@code {seq, ts, source, type, data}} whose {@code seq} grows by one per listener across reconnects.
 */
public final class HomeAssistantAddresses {
  private HomeAssistantAddresses() {
  }

  /** Publish: one Home Assistant event ({@code type} "event", {@code data} the HA event). */
  public static String event(String name, String eventType) {
    return "homeassistant." + name + ".event." + eventType;
  }

  /** Publish: an entity's new state ({@code type} "state"), or its removal ({@code type} "removed"). */
  public static String state(String name, String entityId) {
    return "homeassistant." + name + ".state." + entityId;
  }

  /** Publish: events may have been missed between {@code from} and {@code to}; a fresh snapshot follows. */
  public static String gap(String name) {
    return "homeassistant." + name + ".gap";
  }

  /** Publish: every state as read on (re)connect, and the entities that disappeared meanwhile. */
  public static String snapshot(String name) {
    return "homeassistant." + name + ".snapshot";
  }

  /** Request/reply: the last-known states (also while disconnected). */
  public static String states(String name) {
    return "homeassistant." + name + ".states";
  }

  /** Request/reply: call a service ({@code domain, service, service_data, target}). */
  public static String call(String name) {
    return "homeassistant." + name + ".call";
  }

  /** Local: from the long-lived companion to the live connection, when there is one. */
  static String connectionCall(String name) {
    return "switchboard.internal.homeassistant." + name + ".call";
  }
}
