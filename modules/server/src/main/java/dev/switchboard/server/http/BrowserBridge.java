package dev.switchboard.server.http;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.BridgeActivity;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The SockJS event-bus bridge at {@code /eventbus}. Browsers may listen to the status and data
 * addresses and ask the read-only questions; a send that acts (control, writing to an upstream,
 * calling a Home Assistant service, reporting activity) must carry the control token in its
 * {@code token} header, and a refusal is audited. What happens on the bridge is republished on
 * {@code switchboard.bridge.events}, so that listener modules can follow their clients without
 * knowing about HTTP.
 */
public final class BrowserBridge {
  /** The header an acting send carries the control token in. */
  static final String TOKEN_HEADER = "token";
  private static final Logger AUDIT = LoggerFactory.getLogger("switchboard.audit");
  private static final Logger LOG = LoggerFactory.getLogger(BrowserBridge.class);
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  private static final String NAME = "[A-Za-z0-9_-]+";

  /** What a browser may register on (and so receive); the fan-out path keeps the same rules. */
  public static final List<String> OUTBOUND = List.of(
      Pattern.quote(Addresses.STATUS),
      Pattern.quote("switchboard.activity"),
      "upstream\\." + NAME + "\\.message",
      "homeassistant\\." + NAME + "\\.(event|state)\\..+",
      "homeassistant\\." + NAME + "\\.(gap|snapshot)",
      "market\\." + NAME + "\\.(trades|quotes|bars)\\..+");
  /** What a browser may ask without the token: nothing here changes anything. */
  static final List<String> READ_ONLY = List.of(
      Pattern.quote(Addresses.STATUS_SNAPSHOT),
      Pattern.quote("switchboard.status.since"),
      Pattern.quote("switchboard.activity.snapshot"),
      Pattern.quote("switchboard.history"),
      "homeassistant\\." + NAME + "\\.states",
      "market\\." + NAME + "\\.health");
  /** What acts, and so needs the token. */
  static final List<String> ACTING = List.of(
      Pattern.quote(Addresses.CONTROL),
      Pattern.quote("switchboard.activity.report"),
      "upstream\\." + NAME + "\\.send",
      "homeassistant\\." + NAME + "\\.call");
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_-]{1,40}");
  private static final Pattern ACTING_ADDRESS = Pattern.compile(String.join("|", ACTING));

  private final Vertx vertx;
  private final ControlToken token;
  private final BridgeOptions options;
  // Per bridge instance, hence per event loop: plain maps.
  private final Map<SockJSSocket, String> ids = new HashMap<>();
  private final Map<String, Set<String>> held = new HashMap<>();

  BrowserBridge(Vertx vertx, ControlToken token, BridgeOptions options) {
    this.vertx = vertx;
    this.token = token;
    this.options = options;
  }

  Router router() {
    SockJSBridgeOptions bridge = options.applyTo(new SockJSBridgeOptions());
    OUTBOUND.forEach(regex -> bridge.addOutboundPermitted(new PermittedOptions().setAddressRegex(regex)));
    READ_ONLY.forEach(regex -> bridge.addInboundPermitted(new PermittedOptions().setAddressRegex(regex)));
    ACTING.forEach(regex -> bridge.addInboundPermitted(new PermittedOptions().setAddressRegex(regex)));
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
      case PUBLISH -> {
        // Nothing a browser may reach is a publish address; a publish to an acting one would act unchecked.
        refuse(event, "publish is not allowed from a browser; use send", 403);
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
   * Decides a browser's send. Addresses outside the permitted ones are left to the bridge, which
   * denies them. The token never travels further than this: it is taken out of the headers.
   */
  private boolean allowSend(BridgeEvent event) {
    JsonObject raw = event.getRawMessage();
    String address = raw.getString("address");
    JsonObject headers = raw.getValue("headers") instanceof JsonObject h ? h : null;
    Object presented = headers == null ? null : headers.remove(TOKEN_HEADER);
    if (address == null || !ACTING_ADDRESS.matcher(address).matches()) {
      return true;
    }
    if (presented == null) {
      refuse(event, "no token", 401, "sending to " + address + " needs the control token in the '" + TOKEN_HEADER + "' header");
      return false;
    }
    if (!(presented instanceof String candidate) || !token.matches(candidate)) {
      refuse(event, "wrong token", 403, "the control token is wrong");
      return false;
    }
    AUDIT.info("bridge socket {}: send to {}{}", socketId(event), address, describe(address, raw.getValue("body")));
    return true;
  }

  private void refuse(BridgeEvent event, String reason, int code) {
    refuse(event, reason, code, reason);
  }

  /**
   * Audits a refusal and, when the browser waits for a reply, answers it with the reason: the
   * bridge itself only writes an unaddressed "rejected", which the browser cannot tie to its send.
   */
  private void refuse(BridgeEvent event, String reason, int code, String message) {
    JsonObject raw = event.getRawMessage();
    AUDIT.warn("bridge socket {}: refused {} to {}: {}", socketId(event), event.type().name().toLowerCase(),
        raw.getString("address"), reason);
    String replyAddress = raw.getString("replyAddress");
    if (replyAddress != null && replyAddress.length() <= 36) {
      event.socket().write(Buffer.buffer(new JsonObject()
          .put("type", "err")
          .put("address", replyAddress)
          .put("failureCode", code)
          .put("failureType", ReplyFailure.RECIPIENT_FAILURE.name())
          .put("message", message)
          .encode()));
    }
  }

  /** The part of a control request worth an audit line; never the content of a message to an upstream. */
  private static String describe(String address, Object body) {
    if (Addresses.CONTROL.equals(address) && body instanceof JsonObject control) {
      return " (" + plain(control.getValue("action")) + " " + plain(control.getValue("name")) + ")";
    }
    return "";
  }

  /** A browser's word in a log line: only if it is a plain name, so that it cannot forge lines. */
  private static String plain(Object value) {
    return value instanceof String s && PLAIN.matcher(s).matches() ? s : "?";
  }

  private String socketId(BridgeEvent event) {
    return ids.getOrDefault(event.socket(), "?");
  }

  private void publish(BridgeActivity.Kind kind, String socket, String address) {
    vertx.eventBus().publish(Addresses.BRIDGE_EVENTS, new BridgeActivity(kind, socket, address).toJson(), LOCAL);
  }
}
