package dev.switchboard.core;

/** Where a listener is in its lifecycle. Only the supervisor moves a listener between these. */
public enum ListenerState {
  STOPPED, STARTING, CONNECTED, BACKOFF, FAILED, STOPPING,
  /** In a cluster: no node owns the listener now (its owner left, or no majority); the status says why. */
  UNASSIGNED;

  /** The {@code connection_status} field of the single-listener services' runbooks. */
  public String connectionStatus() {
    return switch (this) {
      case CONNECTED -> "connected";
      case STARTING -> "connecting";
      default -> "disconnected";
    };
  }
}
