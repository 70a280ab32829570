package dev.switchboard.server.http;

import dev.switchboard.core.envelope.EnvelopeView;
import dev.switchboard.core.envelope.JsonEnvelope;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code /subscribe?address=A&address=B&format=envelope|data}: a plain WebSocket that any client can
 * consume as it is (Node-RED's stock {@code websocket in} node, {@code wscat}, a script). The addresses
 * are chosen in the URL and checked by the same bridge rules; each message is one text frame (the
 * envelope, or only its {@code data}); nothing has to be sent, not even pings: the server pings, and a
 * client whose pong does not come is closed. Read-only: it can receive nothing from the client.
 */
final class SubscriptionEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(SubscriptionEndpoint.class);
  /** At most this many addresses in one subscription. */
  static final int MAX_ADDRESSES = 50;
  /** Close code for a client that does not read fast enough. */
  static final short CLOSE_SLOW = 4001;
  static final short CLOSE_NO_PONG = 4002;

  private final Vertx vertx;
  private final BridgeRules rules;
  private final long pingIntervalMs;

  /** @param pingIntervalMs how often the server pings; a pong must come before the next ping */
  SubscriptionEndpoint(Vertx vertx, BridgeRules rules, long pingIntervalMs) {
    this.vertx = vertx;
    this.rules = rules;
    this.pingIntervalMs = pingIntervalMs;
  }

  void handle(RoutingContext ctx) {
    Set<String> addresses = new LinkedHashSet<>(ctx.queryParam("address"));
    String format = ctx.queryParams().get("format") == null ? "envelope" : ctx.queryParams().get("format");
    String refused = refusal(addresses, format);
    if (refused != null) {
      HttpApi.error(ctx, refused.startsWith("not permitted") ? 403 : 400, refused);
      return;
    }
    boolean dataOnly = format.equals("data");
    ctx.request().toWebSocket().onSuccess(ws -> serve(ws, addresses, dataOnly)).onFailure(err -> {
      if (!ctx.response().ended()) {
        HttpApi.error(ctx, 400, "a WebSocket upgrade is expected here: " + err.getMessage());
      }
    });
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
      if (!rules.mayReceive(address)) {
        return "not permitted: " + (address.length() > 80 ? address.substring(0, 80) + "..." : address)
            + " is not an address a client may receive";
      }
    }
    return null;
  }

  private void serve(ServerWebSocket ws, Set<String> addresses, boolean dataOnly) {
    List<MessageConsumer<Object>> consumers = new ArrayList<>();
    for (String address : addresses) {
      consumers.add(vertx.eventBus().consumer(address, msg -> {
        if (ws.writeQueueFull()) {
          // One slow reader must not hold the server's memory: it reconnects and asks again.
          ws.close(CLOSE_SLOW, "too slow: the queue is full");
          return;
        }
        Object body = msg.body();
        JsonEnvelope raw = body instanceof JsonObject json ? EnvelopeView.untouched(json) : null;
        if (raw != null) { // the upstream's own text, not parsed and encoded again
          ws.writeTextMessage(dataOnly ? raw.dataText() : raw.toBuffer().toString());
          return;
        }
        Object frame = dataOnly && body instanceof JsonObject envelope && envelope.containsKey("data") ? envelope.getValue("data") : body;
        ws.writeTextMessage(frame instanceof String s ? s : io.vertx.core.json.Json.encode(frame));
      }));
    }
    boolean[] ponged = {true};
    ws.pongHandler(pong -> ponged[0] = true);
    long pinger = vertx.setPeriodic(pingIntervalMs, id -> {
      if (!ponged[0]) {
        ws.close(CLOSE_NO_PONG, "no pong to the last ping");
        return;
      }
      ponged[0] = false;
      ws.writePing(Buffer.buffer("sb"));
    });
    ws.handler(data -> { }); // read-only: what a client writes is ignored (a subscribe frame of another protocol, say)
    ws.closeHandler(v -> {
      vertx.cancelTimer(pinger);
      consumers.forEach(MessageConsumer::unregister);
    });
    LOG.debug("subscription on {} ({})", addresses, dataOnly ? "data" : "envelope");
  }
}
