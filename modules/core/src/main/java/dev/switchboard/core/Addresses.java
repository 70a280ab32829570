package dev.switchboard.core;

/** Every event-bus address Switchboard uses, in one place. */
public final class Addresses {
  /** Request/reply: {@code {action: start|stop|restart|status, name}}. */
  public static final String CONTROL = "switchboard.control";
  /** Publish: {@code {seq, status}} whenever a listener's status changes. */
  public static final String STATUS = "switchboard.status";
  /** Request/reply: every status with the current {@code seq}. */
  public static final String STATUS_SNAPSHOT = "switchboard.status.snapshot";
  /** Publish (local): bridge sockets created/closed, registers/unregisters. */
  public static final String BRIDGE_EVENTS = "switchboard.bridge.events";
  /** Local: listener instances report {@code connected} and {@code exit} to the supervisor here. */
  public static final String LISTENER_REPORTS = "switchboard.internal.listener";

  private Addresses() {
  }

  public static String upstreamMessages(String listener) {
    return "upstream." + listener + ".message";
  }

  public static String upstreamSend(String listener) {
    return "upstream." + listener + ".send";
  }
}
