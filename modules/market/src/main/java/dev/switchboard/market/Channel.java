package dev.switchboard.market;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The channels a client can watch; each maps to the Alpaca subscription key of the same name. */
public enum Channel {
  TRADES("trades"), QUOTES("quotes"), BARS("bars");

  private final String wire;

  Channel(String wire) {
    this.wire = wire;
  }

  /** The name on the wire and in addresses: "trades", "quotes", "bars". */
  public String wire() {
    return wire;
  }

  public static Optional<Channel> of(String name) {
    for (Channel c : values()) {
      if (c.wire.equals(name)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  public static String names() {
    return Arrays.stream(values()).map(Channel::wire).collect(Collectors.joining(", "));
  }
}
