package dev.switchboard.examples.echo;

import java.net.URI;
import java.time.Duration;

/** An echo listener's own fields, read by {@link EchoKind#configure}. */
record EchoSettings(URI url, String greeting, String apiKey, Duration quietAfter) {
  @Override
  public String toString() {
    return "EchoSettings[url=" + url + ", greeting=" + greeting + ", apiKey=***, quietAfter=" + quietAfter + "]";
  }
}
