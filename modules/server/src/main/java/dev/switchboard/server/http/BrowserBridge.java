package dev.switchboard.server.http;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.BridgeActivity;
import dev.switchboard.core.LocalCodec;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * vertx-web's SockJS event-bus bridge at {@code /eventbus}: today it serves SockJS's {@code info} route
 * and the HTTP fallback transports; {@code HttpApi} routes every WebSocket to the fan-out path first.
 * It applies the same {@link BridgeRules}: browsers may listen to the status and data addresses and ask
 * the read-only questions; a send that acts must carry the control token in its {@code token} header,
 * and a refusal is audited. What happens on the bridge is republished on
 * {@code switchboard.bridge.events}, so that listener modules can follow their clients without
 * knowing about HTTP.
 */
public final class BrowserBridge {
  private static final Logger LOG = LoggerFactory.getLogger(BrowserBridge.class);
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final Vertx vertx;
  private final BridgeRules rules;
  private final BridgeOptions options;
  // Per bridge instance, hence per event loop: plain maps.
  private final Map<SockJSSocket, String> ids = new HashMap<>();
  private final Map<String, Set<String>> held = new HashMap<>();

  BrowserBridge(Vertx vertx, BridgeRules rules, BridgeOptions options) {
    this.vertx = vertx;
    this.rules = rules;
    LocalCodec.register(vertx, BridgeActivity.class);
    this.options = options;
  }

  Router router() {
    SockJSBridgeOptions bridge = options.applyTo(new SockJSBridgeOptions());
    rules.receive().forEach(regex -> bridge.addOutboundPermitted(new PermittedOptions().setAddressRegex(regex)));
    rules.ask().forEach(regex -> bridge.addInboundPermitted(new PermittedOptions().setAddressRegex(regex)));
    rules.act().forEach(regex -> bridge.addInboundPermitted(new PermittedOptions().setAddressRegex(regex)));
    Router router = SockJSHandler.create(vertx).bridge(bridge, this::onEvent);
    // The HTTP fallback transports post their messages: they need a body, bounded like a WebSocket message.
    router.post().order(-1).handler(BodyHandler.create(false).setBodyLimit(options.maxMessageSize()));
    return router;
  }

  private void onEvent(BridgeEvent event) {
    SockJSSocket socket = event.socket();
    switch (event.type()) {
      case SOCKET_CREATED -> {
        String id = UUID.randomUUID().toString();
        ids.put(socket, id);
        held.put(id, new HashSet<>());
        publish(BridgeActivity.Kind.SOCKET_CREATED, id, null);
      }
      case SEND -> {
        event.complete(allowSend(event));
        return;
      }
      case REGISTER -> {
        // Before the bridge registers: an address no browser may hold (too long, say) never costs memory.
        String address = event.getRawMessage() == null ? null : event.getRawMessage().getString("address");
        event.complete(rules.mayReceive(address));
        return;
      }
      case PUBLISH -> {
        // Nothing a browser may reach is a publish address; a publish to an acting one would act unchecked.
        rules.publishRefused(socketId(event), event.getRawMessage().getString("address"));
        event.complete(false);
        return;
      }
      case REGISTERED -> {
        String id = ids.get(socket);
        String address = event.getRawMessage().getString("address");
        if (id != null && held.get(id).add(address)) {
          publish(BridgeActivity.Kind.REGISTER, id, address);
        }
      }
      case UNREGISTER -> {
        // Vert.x raises this before checking that the socket held the address: only real ones count.
        String id = ids.get(socket);
        String address = event.getRawMessage() == null ? null : event.getRawMessage().getString("address");
        if (id != null && held.get(id).remove(address)) {
          publish(BridgeActivity.Kind.UNREGISTER, id, address);
        }
      }
      case SOCKET_ERROR -> {
        // The bridge has already dropped the socket's registrations (the UNREGISTERs came first) but
        // leaves the socket open and unusable, e.g. after a message over maxMessageSize. Close it:
        // the browser then reconnects and registers again.
        JsonObject raw = event.getRawMessage();
        LOG.info("bridge socket {}: closed after a transport error: {}", socketId(event),
            raw == null ? "unknown" : raw.getString("message"));
        socket.close();
      }
      case SOCKET_CLOSED -> {
        String id = ids.remove(socket);
        if (id != null) {
          held.remove(id).forEach(address -> publish(BridgeActivity.Kind.UNREGISTER, id, address));
          publish(BridgeActivity.Kind.SOCKET_CLOSED, id, null);
        }
      }
      default -> {
      }
    }
    event.complete(true);
  }

  /**
   * Decides a browser's send by the {@link BridgeRules}. Addresses outside them are left to the
   * bridge, which denies them with its own {@code access_denied}.
   */
  private boolean allowSend(BridgeEvent event) {
    JsonObject raw = event.getRawMessage();
    JsonObject headers = raw.getValue("headers") instanceof JsonObject h ? h : null;
    BridgeRules.Verdict verdict = rules.send(socketId(event), raw.getString("address"), headers, raw.getValue("body"));
    if (verdict == BridgeRules.Verdict.ALLOWED || verdict == BridgeRules.Verdict.NOT_PERMITTED) {
      return true; // NOT_PERMITTED: outside the inbound permits, so the bridge itself denies it
    }
    answerRefusal(event, verdict);
    return false;
  }

  /**
   * When the browser waits for a reply, answers its refused send with the reason: the bridge itself
   * only writes an unaddressed "rejected", which the browser cannot tie to its send.
   */
  private static void answerRefusal(BridgeEvent event, BridgeRules.Verdict verdict) {
    String replyAddress = event.getRawMessage().getString("replyAddress");
    if (replyAddress != null && replyAddress.length() <= 36) {
      event.socket().write(Buffer.buffer(new JsonObject()
          .put("type", "err")
          .put("address", replyAddress)
          .put("failureCode", verdict.failureCode)
          .put("failureType", ReplyFailure.RECIPIENT_FAILURE.name())
          .put("message", verdict.message)
          .encode()));
    }
  }

  private String socketId(BridgeEvent event) {
    return ids.getOrDefault(event.socket(), "?");
  }

  private void publish(BridgeActivity.Kind kind, String socket, String address) {
    vertx.eventBus().publish(Addresses.BRIDGE_EVENTS, new BridgeActivity(kind, socket, address), LOCAL);
  }
}
