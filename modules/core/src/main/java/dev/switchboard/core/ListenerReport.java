package dev.switchboard.core;

/**
 * What a listener instance tells the supervisor, on {@link Addresses#LISTENER_REPORTS} (local, as it
 * is, through {@link LocalCodec}): its handshake is done, or it ended and why.
 *
 * @param generation the instance's generation: a report of any other than the live one is stale
 * @param failure    why it ended; null for {@link Event#CONNECTED}
 */
public record ListenerReport(String name, long generation, Event event, ListenerFailure failure) {

  public enum Event { CONNECTED, EXIT }

  public static ListenerReport connected(String name, long generation) {
    return new ListenerReport(name, generation, Event.CONNECTED, null);
  }

  public static ListenerReport exit(String name, long generation, ListenerFailure failure) {
    return new ListenerReport(name, generation, Event.EXIT, failure);
  }
}
