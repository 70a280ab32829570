package dev.switchboard.simulators.homeassistant;

import dev.switchboard.simulators.SimulatorVerticle;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static dev.switchboard.simulators.homeassistant.CommandSchema.Kind.BOOL;
import static dev.switchboard.simulators.homeassistant.CommandSchema.Kind.ENTITY_IDS;
import static dev.switchboard.simulators.homeassistant.CommandSchema.Kind.FEATURES;
import static dev.switchboard.simulators.homeassistant.CommandSchema.Kind.INT;
import static dev.switchboard.simulators.homeassistant.CommandSchema.Kind.OBJECT;
import static dev.switchboard.simulators.homeassistant.CommandSchema.Kind.STRING;
import static dev.switchboard.simulators.homeassistant.CommandSchema.Kind.STRING_LIST;

/**
 * One client connection, as Home Assistant's {@code websocket_api} handles it: the auth phase, then
 * commands with strictly increasing ids, subscriptions, and an outgoing queue that coalesces ready
 * messages into arrays and cancels a client that cannot keep up. Runs on the simulator's event loop.
 */
final class HaSession {
  private static final Logger LOG = LoggerFactory.getLogger(HaSession.class);
  private static final int MAX_BATCH = 1024;
  /** The event types a non-admin user may subscribe to (websocket_api's SUBSCRIBE_ALLOWLIST); never "*". */
  private static final Set<String> NON_ADMIN_EVENTS = Set.of("state_changed", "area_registry_updated", "device_registry_updated",
      "entity_registry_updated", "floor_registry_updated", "label_registry_updated", "component_loaded", "core_config_updated",
      "service_registered", "service_removed", "themes_updated", "lovelace_updated", "panels_updated", "shopping_list_updated",
      "recorder_5min_statistics_generated", "recorder_hourly_statistics_generated");

  private static final CommandSchema AUTH = CommandSchema.object()
      .required("type", STRING).optional("access_token", STRING).optional("api_password", STRING);
  private static final CommandSchema TARGET = CommandSchema.object()
      .optional("entity_id", ENTITY_IDS).optional("device_id", ENTITY_IDS).optional("area_id", ENTITY_IDS)
      .optional("floor_id", ENTITY_IDS).optional("label_id", ENTITY_IDS);
  private static final CommandSchema ENTITY_FILTER = CommandSchema.object()
      .optional("domains", STRING_LIST).optional("entities", STRING_LIST).optional("entity_globs", STRING_LIST);
  private static final Map<String, CommandSchema> COMMANDS = Map.of(
      "supported_features", CommandSchema.command().required("features", FEATURES),
      "subscribe_events", CommandSchema.command().optional("event_type", STRING),
      "unsubscribe_events", CommandSchema.command().required("subscription", INT),
      "get_states", CommandSchema.command(),
      "get_config", CommandSchema.command(),
      "get_services", CommandSchema.command(),
      "ping", CommandSchema.command(),
      "call_service", CommandSchema.command().required("domain", STRING).required("service", STRING)
          .optional("service_data", OBJECT).optional("target", OBJECT).optional("return_response", BOOL),
      "subscribe_entities", CommandSchema.command().optional("entity_ids", STRING_LIST)
          .optional("include", OBJECT).optional("exclude", OBJECT),
      "fire_event", CommandSchema.command().required("event_type", STRING).optional("event_data", OBJECT));

  private enum Phase { AUTH, COMMAND, CLOSED }

  private sealed interface Subscription permits EventSubscription, EntitySubscription {
  }

  private record EventSubscription(String eventType) implements Subscription {
  }

  private record EntitySubscription(EntityFilter filter) implements Subscription {
  }

  private record Outgoing(String json, boolean event) {
  }

  private final HomeAssistantSimulator server;
  private final HomeAssistantSimulatorOptions options;
  private final SimulatedHome home;
  private final Vertx vertx;
  private final Context context;
  private final ServerWebSocket ws;
  final ConnectionRecord record;

  private Phase phase = Phase.AUTH;
  private long lastId;
  private boolean coalesce;
  private boolean stalled;
  private final Map<Long, Subscription> subscriptions = new LinkedHashMap<>();
  private final ArrayDeque<Outgoing> outbox = new ArrayDeque<>();
  private boolean flushScheduled;
  private boolean drainWaiting;
  private long authTimer = -1;
  private long pingTimer = -1;
  private long pongDeadline = -1;
  private long peakTimer = -1;

  HaSession(HomeAssistantSimulator server, Vertx vertx, Context context, ServerWebSocket ws, ConnectionRecord record) {
    this.server = server;
    this.options = server.options();
    this.home = server.home();
    this.vertx = vertx;
    this.context = context;
    this.ws = ws;
    this.record = record;
  }

  void open() {
    ws.textMessageHandler(this::onText)
        .binaryMessageHandler(this::onBinary)
        .pongHandler(pong -> clearPongDeadline())
        .exceptionHandler(err -> LOG.debug("connection {}: {}", record.number(), err.toString()))
        .closeHandler(v -> onClosed());
    // Sent directly, never queued or coalesced, like every auth-phase message.
    ws.writeTextMessage(new JsonObject().put("type", "auth_required").put("ha_version", options.haVersion()).encode());
    authTimer = vertx.setTimer(options.authTimeout().toMillis(), id -> {
      authTimer = -1;
      if (phase == Phase.AUTH) {
        disconnect("Did not receive auth message within " + options.authTimeout().toSeconds() + " seconds");
      }
    });
    pingTimer = vertx.setPeriodic(options.pingInterval().toMillis(), id -> ping());
  }

  // ---- inbound ----------------------------------------------------------------------------------

  private void onText(String text) {
    record.frame(text);
    if (stalled) {
      return;
    }
    if (phase == Phase.AUTH) {
      onAuth(text);
    } else if (phase == Phase.COMMAND) {
      onCommands(text);
    }
  }

  private void onBinary(Buffer data) {
    record.frame("<binary " + data.length() + " bytes>");
    if (stalled) {
      return;
    }
    if (phase == Phase.AUTH || data.length() == 0) {
      disconnect("Received binary message " + (phase == Phase.AUTH ? "during auth" : "that is empty"));
    }
    // HA routes other binary frames to per-connection binary handlers (voice); this home has none.
  }

  private void onAuth(String text) {
    cancelTimer(authTimer);
    authTimer = -1;
    Object value;
    try {
      value = Json.decodeValue(text);
    } catch (DecodeException e) {
      disconnect("Received invalid JSON during auth");
      return;
    }
    if (!(value instanceof JsonObject msg)) {
      authInvalid("Auth message incorrectly formatted: expected a dictionary. Got " + PyRepr.of(value));
      return;
    }
    String error = AUTH.check(msg);
    if (error.isEmpty() && !"auth".equals(msg.getValue("type"))) {
      error = "not a valid value @ data['type']. Got " + PyRepr.of(msg.getValue("type"));
    }
    if (error.isEmpty() && msg.containsKey("access_token") && msg.containsKey("api_password")) {
      error = "two or more values in the same group of exclusion 'auth' @ data[<auth>]";
    }
    if (!error.isEmpty()) {
      authInvalid("Auth message incorrectly formatted: " + error);
      return;
    }
    String token = msg.getString("access_token");
    if (token == null || !token.equals(server.token())) {
      authInvalid("Invalid access token or password");
      return;
    }
    phase = Phase.COMMAND;
    record.markAuthenticated();
    ws.writeTextMessage(new JsonObject().put("type", "auth_ok").put("ha_version", options.haVersion()).encode());
  }

  private void authInvalid(String message) {
    record.endedBecause("auth_invalid: " + message);
    phase = Phase.CLOSED;
    ws.writeTextMessage(new JsonObject().put("type", "auth_invalid").put("message", message).encode());
    ws.close();
  }

  private void onCommands(String text) {
    Object value;
    try {
      value = Json.decodeValue(text);
    } catch (DecodeException e) {
      disconnect("Received invalid JSON.");
      return;
    }
    if (value instanceof JsonArray items) {
      for (int i = 0; i < items.size() && phase == Phase.COMMAND; i++) {
        handle(items.getValue(i));
      }
    } else {
      handle(value);
    }
  }

  private void handle(Object value) {
    if (!(value instanceof JsonObject msg)) {
      send(error(0, "invalid_format", "Message incorrectly formatted."), false);
      return;
    }
    Object idValue = msg.getValue("id");
    Object typeValue = msg.getValue("type");
    if (!CommandSchema.isInt(idValue) || ((Number) idValue).longValue() == 0
        || !(typeValue instanceof String type)) { // "" is a string: an unknown command, as HA answers it
      send(error(idValue, "invalid_format", "Message incorrectly formatted."), false);
      return;
    }
    long id = ((Number) idValue).longValue();
    if (id <= lastId) {
      send(error(id, "id_reuse", "Identifier values have to increase."), false);
      return;
    }
    CommandSchema schema = COMMANDS.get(type);
    if (schema == null) {
      send(error(id, "unknown_command", "Unknown command."), false);
      return;
    }
    String invalid = schema.check(msg);
    if (invalid.isEmpty()) {
      invalid = checkNested(type, msg);
    }
    if (!invalid.isEmpty()) {
      send(error(id, "invalid_format", invalid), false);
    } else {
      run(type, id, msg);
    }
    lastId = id; // HA advances it once a handler was found, whatever the handler made of the message
  }

  private static String checkNested(String type, JsonObject msg) {
    if (type.equals("call_service") && msg.getValue("target") instanceof JsonObject target) {
      return TARGET.check(target, "data['target']");
    }
    if (type.equals("subscribe_entities")) {
      for (String key : new String[] {"include", "exclude"}) {
        if (msg.getValue(key) instanceof JsonObject filter) {
          String error = ENTITY_FILTER.check(filter, "data['" + key + "']");
          if (!error.isEmpty()) {
            return error;
          }
        }
      }
    }
    return "";
  }

  private void run(String type, long id, JsonObject msg) {
    switch (type) {
      case "supported_features" -> {
        coalesce = msg.getJsonObject("features").containsKey("coalesce_messages");
        send(result(id, null), false);
      }
      case "subscribe_events" -> subscribeEvents(id, msg.getString("event_type", "*"));
      case "unsubscribe_events" -> {
        long subscription = ((Number) msg.getValue("subscription")).longValue();
        if (subscriptions.remove(subscription) != null) {
          send(result(id, null), false);
        } else {
          send(error(id, "not_found", "Subscription not found."), false);
        }
      }
      case "get_states" -> {
        JsonArray states = new JsonArray();
        home.all().forEach(s -> states.add(s.json()));
        send(result(id, states), false);
        server.afterStatesQueued();
      }
      case "get_config" -> send(server.failsConfig() ? error(id, "unknown_error", "Unknown error")
          : result(id, home.config(server.coreState(), options.haVersion())), false);
      case "get_services" -> later(() -> send(result(id, home.services()), false));
      case "ping" -> send(new JsonObject().put("id", id).put("type", "pong").encode(), false);
      case "call_service" -> later(() -> callService(id, msg));
      case "subscribe_entities" -> subscribeEntities(id, msg);
      case "fire_event" -> {
        if (server.refusesSubscriptions()) {
          send(error(id, "unauthorized", "Unauthorized"), false); // an admin-only command, as subscribe_trigger
          return;
        }
        JsonObject ctx = home.context(SimulatedHome.USER_ID);
        home.fire(msg.getString("event_type"), msg.getJsonObject("event_data", new JsonObject()), ctx);
        send(result(id, new JsonObject().put("context", ctx)), false);
      }
      default -> throw new IllegalStateException("no handler for " + type);
    }
  }

  private void subscribeEvents(long id, String eventType) {
    if (server.refusesSubscriptions() && !NON_ADMIN_EVENTS.contains(eventType)) {
      // What a non-admin user gets for an event type outside the allow-list ("*" included).
      send(error(id, "unauthorized", "Unauthorized"), false);
      return;
    }
    subscriptions.put(id, new EventSubscription(eventType));
    send(result(id, null), false);
  }

  private void subscribeEntities(long id, JsonObject msg) {
    EntityFilter filter = EntityFilter.of(msg.getJsonArray("entity_ids"), msg.getJsonObject("include"), msg.getJsonObject("exclude"));
    subscriptions.put(id, new EntitySubscription(filter));
    // Result first, then the whole snapshot, then diffs: nothing is missed in between (one event loop).
    send(result(id, null), false);
    JsonObject added = new JsonObject();
    home.all().stream().filter(s -> filter.accepts(s.entityId)).forEach(s -> added.put(s.entityId, CompressedStates.of(s)));
    send(event(id, new JsonObject().put("a", added)), true);
  }

  private void callService(long id, JsonObject msg) {
    if (phase != Phase.COMMAND) {
      return;
    }
    try {
      JsonObject ctx = home.call(msg.getString("domain"), msg.getString("service"),
          msg.getJsonObject("service_data"), msg.getJsonObject("target"));
      send(result(id, new JsonObject().put("context", ctx).put("response", null)), false);
    } catch (SimulatedHome.ServiceError e) {
      JsonObject error = new JsonObject().put("code", e.code).put("message", e.getMessage());
      if (e.translation != null) {
        error.mergeIn(e.translation);
      }
      send(new JsonObject().put("id", id).put("type", "result").put("success", false).put("error", error).encode(), false);
    }
  }

  /** Async handlers run as tasks: their results may come after those of later commands. */
  private void later(Runnable action) {
    long delay = options.asyncResultDelay().toMillis();
    if (delay > 0) {
      vertx.setTimer(delay, id -> action.run());
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  // ---- events -----------------------------------------------------------------------------------

  /** One event fired in the home: a message for every subscription of this connection that wants it. */
  void deliver(FiredEvent fired) {
    if (phase != Phase.COMMAND) {
      return;
    }
    for (Map.Entry<Long, Subscription> entry : subscriptions.entrySet()) {
      long id = entry.getKey();
      if (entry.getValue() instanceof EventSubscription s && SimulatedHome.matches(s.eventType(), fired.eventType())) {
        // Built as HA caches it: the event encoded once, the id last.
        send("{\"type\":\"event\",\"event\":" + fired.json() + ",\"id\":" + id + "}", true);
      } else if (entry.getValue() instanceof EntitySubscription s && fired.isStateChange() && s.filter().accepts(fired.entityId())) {
        send(event(id, entityChange(fired)), true);
      }
      if (phase != Phase.COMMAND) {
        return; // cancelled for being slow: its subscriptions are gone
      }
    }
  }

  private static JsonObject entityChange(FiredEvent fired) {
    if (fired.oldState() == null) {
      return new JsonObject().put("a", new JsonObject().put(fired.entityId(), CompressedStates.of(fired.newState())));
    }
    if (fired.newState() == null) {
      return new JsonObject().put("r", new JsonArray().add(fired.entityId()));
    }
    return new JsonObject().put("c", new JsonObject().put(fired.entityId(), CompressedStates.diff(fired.oldState(), fired.newState())));
  }

  // ---- outbound ---------------------------------------------------------------------------------

  private void send(JsonObject message, boolean event) {
    send(message.encode(), event);
  }

  private void send(String json, boolean event) {
    if (phase == Phase.CLOSED) {
      return;
    }
    outbox.add(new Outgoing(json, event));
    int pending = outbox.size();
    if (pending >= options.maxPending()) {
      cancel("Client unable to keep up with pending messages. Reached " + options.maxPending() + " pending messages");
      return;
    }
    if (pending > options.pendingPeak() && peakTimer < 0) {
      peakTimer = vertx.setTimer(options.pendingPeakTime().toMillis(), id -> {
        peakTimer = -1;
        if (outbox.size() >= options.pendingPeak()) { // HA: still at or above the peak
          cancel("Client unable to keep up with pending messages. Stayed over " + options.pendingPeak()
              + " for " + options.pendingPeakTime().toMillis() + " ms");
        }
      });
    }
    if (!flushScheduled && !stalled) {
      // Deferred to the end of this turn, like HA's call_soon: what is ready by then goes out together.
      flushScheduled = true;
      context.runOnContext(v -> flush());
    }
  }

  private void flush() {
    flushScheduled = false;
    while (!outbox.isEmpty() && phase != Phase.CLOSED && !stalled) {
      if (ws.writeQueueFull()) {
        if (!drainWaiting) {
          drainWaiting = true;
          ws.drainHandler(v -> {
            drainWaiting = false;
            flush();
          });
        }
        return;
      }
      if (coalesce && outbox.size() > 1) {
        StringBuilder frame = new StringBuilder("[");
        for (int n = 0; n < MAX_BATCH && !outbox.isEmpty(); n++) {
          Outgoing next = outbox.poll();
          if (n > 0) {
            frame.append(',');
          }
          frame.append(next.json());
          if (next.event()) {
            record.eventSent();
          }
        }
        record.arrayFrameSent();
        ws.writeTextMessage(frame.append(']').toString());
      } else {
        Outgoing next = outbox.poll();
        ws.writeTextMessage(next.json());
        if (next.event()) {
          record.eventSent();
        }
      }
    }
  }

  /** Writes a frame as it is, past the queue: for fault injection. */
  void sendRaw(String text) {
    if (phase == Phase.COMMAND && !stalled) {
      ws.writeTextMessage(text);
    }
  }

  /** The first event subscription's id, or 0: where an injected event goes. */
  long firstEventSubscription() {
    return subscriptions.entrySet().stream().filter(e -> e.getValue() instanceof EventSubscription)
        .mapToLong(Map.Entry::getKey).findFirst().orElse(0);
  }

  private static String result(long id, Object result) {
    return new JsonObject().put("id", id).put("type", "result").put("success", true).put("result", result).encode();
  }

  private static String error(Object id, String code, String message) {
    return new JsonObject().put("id", id).put("type", "result").put("success", false)
        .put("error", new JsonObject().put("code", code).put("message", message)).encode();
  }

  private static JsonObject event(long id, JsonObject event) {
    return new JsonObject().put("id", id).put("type", "event").put("event", event);
  }

  // ---- liveness and faults ----------------------------------------------------------------------

  private void ping() {
    if (stalled || phase == Phase.CLOSED || pongDeadline >= 0) {
      return;
    }
    ws.writePing(Buffer.buffer("ha"));
    pongDeadline = vertx.setTimer(options.pongTimeout().toMillis(), id -> {
      pongDeadline = -1;
      record.endedBecause("no pong to a WebSocket ping within " + options.pongTimeout().toMillis() + " ms");
      abort();
    });
  }

  private void clearPongDeadline() {
    cancelTimer(pongDeadline);
    pongDeadline = -1;
  }

  /** HA's cancel path for a slow client: subscriptions torn down, a normal close, no message saying why. */
  private void cancel(String reason) {
    LOG.warn("connection {}: {}", record.number(), reason);
    record.endedBecause(reason);
    phase = Phase.CLOSED;
    subscriptions.clear();
    outbox.clear();
    ws.close();
  }

  /** The server ends the connection with a normal close frame. */
  void disconnect(String reason) {
    record.endedBecause(reason);
    phase = Phase.CLOSED;
    ws.close();
  }

  /** A clean close with a chosen code, for fault commands. */
  Future<Void> close(short code, String reason) {
    phase = Phase.CLOSED;
    return ws.close(code, reason).recover(err -> Future.succeededFuture());
  }

  /** The TCP connection closed with no close frame. */
  void abort() {
    phase = Phase.CLOSED;
    if (!server.cut(ws)) {
      ws.close((short) 1011, "simulator: aborted");
    }
  }

  /** Stops reading and writing: from the client's side, the server froze. */
  void stall() {
    stalled = true;
    ws.pause();
  }

  /**
   * Home Assistant froze behind a proxy that is still alive: no message is answered any more, but WebSocket
   * pongs keep coming (as a proxy's keep-alive would send them, unasked) every {@code everyMs}.
   */
  void stallBehindAProxy(long everyMs) {
    stall();
    SimulatorVerticle.pongLikeAProxy(vertx, ws, everyMs);
  }

  boolean isAuthenticated() {
    return phase == Phase.COMMAND;
  }

  /** Live {@code subscribe_events} subscriptions of this exact event type. */
  long subscriptionsTo(String eventType) {
    if (phase != Phase.COMMAND) {
      return 0;
    }
    return subscriptions.values().stream().filter(s -> s instanceof EventSubscription e && e.eventType().equals(eventType)).count();
  }

  /** More queued than a paced sender should add to. */
  boolean backlogged() {
    return outbox.size() > options.pendingPeak() / 2 || ws.writeQueueFull();
  }

  private void onClosed() {
    phase = Phase.CLOSED;
    subscriptions.clear();
    outbox.clear();
    cancelTimer(authTimer);
    cancelTimer(pingTimer);
    cancelTimer(pongDeadline);
    cancelTimer(peakTimer);
    Short code = ws.closeStatusCode();
    record.closed(code == null ? -1 : code);
    server.closed(this);
  }

  private void cancelTimer(long id) {
    if (id >= 0) {
      vertx.cancelTimer(id);
    }
  }

  /** Which entities a {@code subscribe_entities} subscription wants. */
  record EntityFilter(Set<String> ids, JsonObject include, JsonObject exclude) {
    static EntityFilter of(JsonArray ids, JsonObject include, JsonObject exclude) {
      Set<String> set = ids == null ? null : Set.copyOf(ids.stream().map(String::valueOf).toList());
      return new EntityFilter(set, include, exclude);
    }

    boolean accepts(String entityId) {
      if (ids != null && !ids.contains(entityId)) {
        return false;
      }
      if (include != null && !matches(include, entityId)) {
        return false;
      }
      return exclude == null || !matches(exclude, entityId);
    }

    private static boolean matches(JsonObject filter, String entityId) {
      String domain = entityId.substring(0, entityId.indexOf('.'));
      if (filter.getJsonArray("domains", new JsonArray()).contains(domain)
          || filter.getJsonArray("entities", new JsonArray()).contains(entityId)) {
        return true;
      }
      for (Object glob : filter.getJsonArray("entity_globs", new JsonArray())) {
        String regex = ("\\Q" + glob + "\\E").replace("*", "\\E.*\\Q").replace("?", "\\E.\\Q");
        if (Pattern.matches(regex, entityId)) {
          return true;
        }
      }
      return false;
    }
  }
}
