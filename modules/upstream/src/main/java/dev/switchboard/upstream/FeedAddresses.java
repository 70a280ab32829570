package dev.switchboard.upstream;

/** The event-bus addresses of a generic feed listener named {@code name}. */
public final class FeedAddresses {
  public static final String NAMESPACE = "upstream";

  private FeedAddresses() {
  }

  /** Publish: one message from the feed, as an envelope {@code {seq, ts, source, type, data}}. */
  public static String messages(String name) {
    return NAMESPACE + "." + name + ".message";
  }

  /** Request/reply: a message to write to the feed -> {@code {sent: true}}, or a failure. */
  public static String send(String name) {
    return NAMESPACE + "." + name + ".send";
  }

  /** Local: from the long-lived send address to the live connection, when there is one. */
  static String connectionSend(String name) {
    return "switchboard.internal." + NAMESPACE + "." + name + ".send";
  }
}
