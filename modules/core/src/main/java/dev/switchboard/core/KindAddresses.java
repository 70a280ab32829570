package dev.switchboard.core;

import java.util.List;

/**
 * The event-bus surface of a listener kind. Every address of a listener named {@code n} is
 * {@code <namespace>.<n>.<suffix>}; each list holds suffix regular expressions, which the server
 * turns into the bridge's permissions. The server names no kind: this is all it knows of one.
 *
 * @param data      concrete suffixes where data envelopes are published (what a generic dashboard
 *                  panel shows); each must also match {@code receive}
 * @param receive   what a browser may register on
 * @param ask       what a browser may request without the control token (it changes nothing)
 * @param act       what a browser may send to only with the control token
 * @param ownerOnly what is served only where the listener runs (in a cluster, it follows the owner)
 */
public record KindAddresses(List<String> data, List<String> receive, List<String> ask, List<String> act,
                            List<String> ownerOnly) {

  /** A listener name as it stands in an address. */
  public static final String NAME = "[A-Za-z0-9_-]+";

  public KindAddresses {
    data = List.copyOf(data);
    receive = List.copyOf(receive);
    ask = List.copyOf(ask);
    act = List.copyOf(act);
    ownerOnly = List.copyOf(ownerOnly);
  }

  /** The full-address regular expressions of {@code suffixes} under {@code namespace}, for any listener name. */
  public static List<String> patterns(String namespace, List<String> suffixes) {
    return suffixes.stream().map(s -> java.util.regex.Pattern.quote(namespace) + "\\." + NAME + "\\.(?:" + s + ")").toList();
  }
}
