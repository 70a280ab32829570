package dev.switchboard.server.fanout;

import dev.switchboard.server.http.BrowserBridge;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which addresses a bridge client may register on. The defaults are the outbound rules of the
 * SockJS bridge ({@code BrowserBridge}); both paths must keep the same ones.
 */
public record OutboundRules(List<String> exactAddresses, List<Pattern> addressPatterns) {

  public OutboundRules {
    exactAddresses = List.copyOf(exactAddresses);
    addressPatterns = List.copyOf(addressPatterns);
  }

  /** Switchboard's outbound rules: exactly the SockJS bridge's, read from it so the two cannot drift apart. */
  public static OutboundRules switchboardDefaults() {
    return new OutboundRules(List.of(), BrowserBridge.OUTBOUND.stream().map(Pattern::compile).toList());
  }

  public boolean permits(String address) {
    if (address == null) {
      return false;
    }
    if (exactAddresses.contains(address)) {
      return true;
    }
    for (Pattern p : addressPatterns) {
      if (p.matcher(address).matches()) {
        return true;
      }
    }
    return false;
  }
}
