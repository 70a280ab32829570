package dev.switchboard.server.fanout;

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

  /** Switchboard's outbound rules: status pushes, and the data addresses of every listener kind. */
  public static OutboundRules switchboardDefaults() {
    return new OutboundRules(
        List.of("switchboard.status"),
        List.of(
            Pattern.compile("upstream\\.[A-Za-z0-9_-]+\\.message"),
            Pattern.compile("homeassistant\\.[A-Za-z0-9_-]+\\.(event|state)\\..+"),
            Pattern.compile("market\\.[A-Za-z0-9_-]+\\.(trades|quotes|bars)\\..+")));
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
