package dev.switchboard.server.http;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.KindAddresses;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.examples.echo.EchoKind;
import dev.switchboard.status.StatusAddresses;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a browser's send is allowed, decided without a socket: the rules as the kinds declare them. */
class BridgeRulesTest {
  private static final String TOKEN = "bridge-rules-test-token";

  /** A kind whose free pattern is broad enough to take in its acting address too. */
  private static final EchoKind OVERLAPPING = new EchoKind() {
    @Override
    public String type() {
      return "overlap";
    }

    @Override
    public KindAddresses addresses() {
      return new KindAddresses(List.of("message"), List.of("message"), List.of("[a-z]+"), List.of("call"), List.of("call"));
    }
  };

  private final BridgeRules rules = new BridgeRules(new ControlToken(TOKEN), ListenerKinds.of(OVERLAPPING));

  private BridgeRules.Verdict send(String address, JsonObject headers, Object body) {
    return rules.send("s1", "127.0.0.1", address, headers, body).verdict();
  }

  @Test
  @DisplayName("an acting address needs the token even where a free pattern matches it too")
  void actBeforeAsk() {
    assertEquals(BridgeRules.Verdict.ALLOWED, send("overlap.n1.status", null, new JsonObject()));
    assertEquals(BridgeRules.Verdict.NO_TOKEN, send("overlap.n1.call", new JsonObject(), new JsonObject()));
    assertEquals(BridgeRules.Verdict.ALLOWED, send("overlap.n1.call", new JsonObject().put("token", TOKEN), new JsonObject()));
  }

  @Test
  @DisplayName("the history answers a browser only for an address it may receive")
  void historyOfReceivableAddressesOnly() {
    JsonObject ofReports = new JsonObject().put("address", Addresses.LISTENER_REPORTS).put("after", 0);
    assertEquals(BridgeRules.Verdict.NOT_PERMITTED, send(StatusAddresses.HISTORY, null, ofReports));
    JsonObject ofMessages = new JsonObject().put("address", "overlap.n1.message").put("after", 0);
    assertEquals(BridgeRules.Verdict.ALLOWED, send(StatusAddresses.HISTORY, null, ofMessages));
    assertEquals(BridgeRules.Verdict.ALLOWED, send(StatusAddresses.HISTORY, null, new JsonObject().put("after", 0)),
        "no address: the history itself answers 400, with the reason");
  }
}
