package dev.switchboard.server.http;

import dev.switchboard.core.Addresses;
import dev.switchboard.server.fanout.FanoutEndpoint;
import io.vertx.ext.web.RoutingContext;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * {@code /subscribe?address=A&address=B&format=envelope|data}: a plain WebSocket that any client can
 * consume as it is (Node-RED's stock {@code websocket in} node, {@code wscat}, a script). The addresses
 * are chosen in the URL and checked here by the same bridge rules; the connection is then the fan-out
 * path's ({@link FanoutEndpoint#subscribe}): each message encoded once for all its clients, one text
 * frame each (the envelope, or only its {@code data}), bounded queues, the server's pings. Read-only:
 * it can receive nothing from the client.
 */
final class SubscriptionEndpoint {
  /** At most this many addresses in one subscription. */
  static final int MAX_ADDRESSES = 50;

  private final BridgeRules rules;
  private final FanoutEndpoint fanout;

  SubscriptionEndpoint(BridgeRules rules, FanoutEndpoint fanout) {
    this.rules = rules;
    this.fanout = fanout;
  }

  void handle(RoutingContext ctx) {
    Set<String> addresses = new LinkedHashSet<>(ctx.queryParam("address"));
    String format = ctx.queryParams().get("format") == null ? "envelope" : ctx.queryParams().get("format");
    String refused = refusal(addresses, format);
    if (refused != null) {
      HttpApi.error(ctx, refused.startsWith("not permitted") ? 403 : 400, refused);
      return;
    }
    fanout.subscribe(ctx.request(), addresses, format.equals("data"));
  }

  private String refusal(Set<String> addresses, String format) {
    if (addresses.isEmpty()) {
      return "name at least one address: /subscribe?address=upstream.<listener>.message[&address=...][&format=envelope|data]";
    }
    if (addresses.size() > MAX_ADDRESSES) {
      return "at most " + MAX_ADDRESSES + " addresses";
    }
    if (!format.equals("envelope") && !format.equals("data")) {
      return "format is envelope (the whole envelope, the default) or data (only its data)";
    }
    for (String address : addresses) {
      if (address.equals(Addresses.BRIDGE_DROPPED)) {
        return Addresses.BRIDGE_DROPPED + " is for bridge clients: a subscription is told nothing of what it did not get";
      }
      if (!rules.mayReceive(address)) {
        return "not permitted: " + (address.length() > 80 ? address.substring(0, 80) + "..." : address)
            + " is not an address a client may receive";
      }
    }
    return null;
  }
}
