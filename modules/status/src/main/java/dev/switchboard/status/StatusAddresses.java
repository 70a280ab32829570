package dev.switchboard.status;

/** The event-bus addresses of the status module (the supervisor's own are in {@code dev.switchboard.core.Addresses}). */
public final class StatusAddresses {
  /** Request/reply: {@code {seq}} -> the deltas after it, or a snapshot when they are no longer all kept. */
  public static final String STATUS_SINCE = "switchboard.status.since";
  /** Publish: one activity flag changed: {@code {seq, channel, flag, value, reason, flags, at}}. */
  public static final String ACTIVITY = "switchboard.activity";
  /** Send (request/reply): a publisher reports {@code {channel, type}}. */
  public static final String ACTIVITY_REPORT = "switchboard.activity.report";
  /** Request/reply: every known channel with its flags, and the current activity {@code seq}. */
  public static final String ACTIVITY_SNAPSHOT = "switchboard.activity.snapshot";
  /** Request/reply: {@code {address, after}} -> the kept envelopes of a data address after a seq. */
  public static final String HISTORY = "switchboard.history";

  private StatusAddresses() {
  }
}
