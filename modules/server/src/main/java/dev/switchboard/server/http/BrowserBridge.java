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
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;

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
  private final long heartbeatMs;
  // Per bridge instance, hence per event loop: plain maps.
  private final Map<SockJSSocket, String> ids = new HashMap<>();
  private final Map<String, Set<String>> held = new HashMap<>();
  /** Refusals held back by the token throttle, per socket: bounded like its pending replies. */
  private final Map<SockJSSocket, Integer> heldBack = new HashMap<>();
  /** Asks refused in a row per session because its answers waited unread: bounded by maxHandlersPerSocket. */
  private final Map<SockJSSocket, Integer> unread = new HashMap<>();
  private final BooleanSupplier roomForSession;

  /**
   * @param heartbeatMs    how often a SockJS HTTP transport gets a heartbeat: inside the server's idle
   *                       timeout, so that a long poll or a stream within its normal cycle is never idle
   * @param roomForSession asked for each new session: when it says no, the session is closed
   */
  BrowserBridge(Vertx vertx, BridgeRules rules, BridgeOptions options, long heartbeatMs, BooleanSupplier roomForSession) {
    this.vertx = vertx;
    this.rules = rules;
    this.roomForSession = roomForSession;
    LocalCodec.register(vertx, BridgeActivity.class);
    this.options = options;
    this.heartbeatMs = heartbeatMs;
  }

  /** Sessions open now on SockJS's HTTP transports. */
  int sessionCount() {
    return ids.size();
  }

  Router router() {
    SockJSBridgeOptions bridge = options.applyTo(new SockJSBridgeOptions());
    rules.receive().forEach(regex -> bridge.addOutboundPermitted(new PermittedOptions().setAddressRegex(regex)));
    rules.ask().forEach(regex -> bridge.addInboundPermitted(new PermittedOptions().setAddressRegex(regex)));
    rules.act().forEach(regex -> bridge.addInboundPermitted(new PermittedOptions().setAddressRegex(regex)));
    // No SockJSHandlerOptions.setOrigin: HttpApi checks http.allowedOrigins on every transport before
    // this router, and setOrigin would add nothing right. It takes one origin, refuses requests with
    // neither Origin nor Referer (scripts and services, which are allowed here), and guards only
    // vertx-web's websocket transports, which never see a request (the fan-out path takes them all).
    Router router = SockJSHandler.create(vertx, new SockJSHandlerOptions().setHeartbeatInterval(heartbeatMs))
        .bridge(bridge, this::onEvent);
    // SockJS's HTTP transports would reflect any Origin with Access-Control-Allow-Credentials: true,
    // letting a site read the bridge with the browser's cookies (those of a proxy in front, say).
    // This CORS policy takes their place: the origins http.allowedOrigins lets through may read,
    // never with credentials. The server's own pages are not affected: CORS applies to other origins only.
    router.route().order(-2).handler(CorsHandler.create().allowCredentials(false));
    // The HTTP fallback transports post their messages (xhr_send, jsonp_send): those need a body, bounded like a
    // WebSocket message. Their other posts (a poll, a stream) carry none, and a body there is not read: vertx-web
    // keeps the request that opened a session for the session's life, and with it any body read. (No capture group:
    // vertx-web takes a route's first group for the session's id.)
    router.postWithRegex(".*/(?:xhr_send|jsonp_send)$").order(-1).handler(BodyHandler.create(false).setBodyLimit(options.maxMessageSize()));
    return router;
  }

  private void onEvent(BridgeEvent event) {
    SockJSSocket socket = event.socket();
    switch (event.type()) {
      case SOCKET_CREATED -> {
        if (!roomForSession.getAsBoolean()) {
          event.complete(false); // the bridge closes the session
          return;
        }
        String id = UUID.randomUUID().toString();
        ids.put(socket, id);
        held.put(id, new HashSet<>());
        publish(BridgeActivity.Kind.SOCKET_CREATED, id, null);
      }
      case SEND -> {
        decideSend(event);
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
        rules.publishRefused(socketId(event), remote(socket), event.getRawMessage().getString("address"));
        event.complete(false);
        return;
      }
      case SOCKET_PING -> {
        // As on the fan-out path: the pong lets a client on an HTTP transport see that the server is there.
        socket.write(Buffer.buffer("{\"type\":\"pong\"}"));
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
        heldBack.remove(socket);
        unread.remove(socket);
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
   * Decides a browser's send by the {@link BridgeRules}, and completes the event: at once, or, for a
   * wrong token from an address that keeps sending them, once the throttle's delay has passed.
   * Addresses outside the rules are left to the bridge, which denies them with its own {@code access_denied}.
   */
  private void decideSend(BridgeEvent event) {
    JsonObject raw = event.getRawMessage();
    SockJSSocket socket = event.socket();
    Object headerValue = raw.getValue("headers");
    if (headerValue != null && !(headerValue instanceof JsonObject h && h.stream().allMatch(e -> e.getValue() instanceof String))) {
      // The bridge would take it and then throw on it (an error and a stack trace in the log for each such message).
      answer(socket, raw.getString("replyAddress"), 400, "headers must be an object of strings");
      event.complete(false);
      return;
    }
    JsonObject headers = (JsonObject) headerValue;
    if (raw.getValue("replyAddress") != null && socket.writeQueueFull()) {
      // SockJS keeps what a session has not polled for yet without a bound: a client that asks and never
      // reads would fill the heap with its answers. While its queue (64 Ki characters) is full, an ask gets
      // a short refusal instead of its answer; past maxHandlersPerSocket of them in a row, it is closed.
      int refused = unread.merge(socket, 1, Integer::sum);
      event.complete(false);
      if (refused > options.maxHandlersPerSocket()) {
        LOG.info("bridge socket {}: closed: it keeps asking while its answers wait unread", socketId(event));
        unread.remove(socket);
        socket.close();
      } else {
        answer(socket, raw.getString("replyAddress"), 429, "this session's answers wait unread: poll, then ask again");
      }
      return;
    }
    unread.remove(socket);
    BridgeRules.Decision decision = rules.send(socketId(event), remote(socket), raw.getString("address"), headers, raw.getValue("body"));
    BridgeRules.Verdict verdict = decision.verdict();
    if (verdict == BridgeRules.Verdict.ALLOWED || verdict == BridgeRules.Verdict.NOT_PERMITTED) {
      event.complete(true); // NOT_PERMITTED: outside the inbound permits, so the bridge itself denies it
      return;
    }
    if (decision.delayMs() == 0) {
      answerRefusal(event, verdict);
      event.complete(false);
      return;
    }
    int waiting = heldBack.merge(socket, 1, Integer::sum);
    if (waiting > options.maxHandlersPerSocket()) {
      // Sends faster than their refusals come back: a guesser, not a browser. Each held-back refusal
      // costs a timer, so this is where it stops.
      LOG.info("bridge socket {}: closed: more than {} refused sends awaiting their answer", socketId(event), options.maxHandlersPerSocket());
      heldBack.remove(socket);
      event.complete(false);
      socket.close();
      return;
    }
    // Only its reply address is needed to answer it: what it carried is not kept for the delay (a guesser's
    // large bodies, held by the hundred, would be).
    raw.remove("body");
    raw.remove("headers");
    vertx.setTimer(decision.delayMs(), id -> {
      heldBack.computeIfPresent(socket, (s, n) -> n > 1 ? n - 1 : null);
      if (ids.containsKey(socket)) { // still open
        answerRefusal(event, verdict);
      }
      event.complete(false);
    });
  }

  private static String remote(SockJSSocket socket) {
    return ControlToken.host(socket.remoteAddress());
  }

  /**
   * When the browser waits for a reply, answers its refused send with the reason: the bridge itself
   * only writes an unaddressed "rejected", which the browser cannot tie to its send.
   */
  private static void answerRefusal(BridgeEvent event, BridgeRules.Verdict verdict) {
    answer(event.socket(), event.getRawMessage().getString("replyAddress"), verdict.failureCode, verdict.message);
  }

  private static void answer(SockJSSocket socket, String replyAddress, int failureCode, String message) {
    if (replyAddress != null && replyAddress.length() <= 36) {
      socket.write(Buffer.buffer(new JsonObject()
          .put("type", "err")
          .put("address", replyAddress)
          .put("failureCode", failureCode)
          .put("failureType", ReplyFailure.RECIPIENT_FAILURE.name())
          .put("message", message)
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
