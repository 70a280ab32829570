package dev.switchboard.server.fanout;

/** What the fan-out path does when a client's queue is full, so that one slow client never slows the others. */
public enum SlowClientPolicy {
  /** Close the client with {@link FanoutEndpoint#CLOSE_SLOW_CLIENT} and a reason naming the limit. */
  DISCONNECT,
  /**
   * Keep the client, but drop its queued messages for the same address (the newest one wins), then
   * the oldest queued ones if still over the limit. For state-like addresses where only the latest
   * value matters; a client that needs every message should use {@link #DISCONNECT}.
   */
  CONFLATE
}
