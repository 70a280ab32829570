package dev.switchboard.homeassistant;

import dev.switchboard.core.ListenerFailure;
import dev.switchboard.core.Secrets;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.WebSocketListener;
import dev.switchboard.core.UpstreamTls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One connection to Home Assistant. It authenticates, asks for coalesced messages, subscribes to the
 * configured event types, reads {@code get_states} to replace the last-known states, publishes a
 * {@code gap} and the snapshot, and from then on publishes every event and state change. It is
 * CONNECTED only once all of that is done: a listener that looks connected is subscribed.
 * <p>
 * Home Assistant accepts connections while it is still starting, when integrations that have not
 * loaded yet leave their entities out of {@code get_states}. So while {@code get_config} says it is
 * not RUNNING, an entity missing from the snapshot is not taken as removed; once it runs, the snapshot
 * is read again and replaces the states.
 * <p>
 * Everything that must outlive this connection is in {@link HomeState}; a reconnect is a fresh
 * instance, so nothing here is ever reset or re-subscribed in place.
 */
final class HomeAssistantListener extends WebSocketListener {
  private enum Phase { AUTH, SETUP, LIVE }

  /** Home Assistant's core state once it has started (get_config's {@code state}). */
  private static final String RUNNING = "RUNNING";
  /** Our own word, not Home Assistant's: get_config failed, so whether it runs is not known. */
  private static final String UNKNOWN = "UNKNOWN";
  /** How often a starting Home Assistant is asked whether it runs yet. */
  private static final long STARTING_POLL_MS = 1_000;

  private final HomeAssistantSettings settings;
  private final HomeState home;
  private final String name;
  private final String eventPrefix;
  private final String statePrefix;
  private CommandChannel commands;
  private Promise<Void> authenticated;
  private Phase phase = Phase.AUTH;
  /** Events that arrived before the snapshot: published after the gap message, in order. */
  private final List<JsonObject> held = new ArrayList<>();
  private long gapFrom;

  HomeAssistantListener(ListenerSpec spec, ListenerStats stats, HomeAssistantSettings settings, HomeState home) {
    super(spec, stats);
    this.settings = settings;
    this.home = home;
    this.name = spec.name();
    this.eventPrefix = HomeAssistantAddresses.event(name, "");
    this.statePrefix = HomeAssistantAddresses.state(name, "");
  }

  @Override
  protected WebSocketConnectOptions connectOptions() {
    return new WebSocketConnectOptions().setAbsoluteURI(settings.url().toString());
  }

  @Override
  protected int maxFrameSize() {
    return settings.maxFrameSize();
  }

  @Override
  protected UpstreamTls tls() {
    return settings.tls();
  }

  // ---- handshake --------------------------------------------------------------------------------

  @Override
  protected Future<Void> handshake() {
    gapFrom = home.heardAt();
    commands = new CommandChannel(vertx, this::sendText);
    authenticated = Promise.promise();
    // Sent at once, without waiting for auth_required: the server reads it whenever it is ready.
    return sendText(new JsonObject().put("type", "auth").put("access_token", settings.token()).encode())
        .compose(v -> authenticated.future())
        .compose(v -> setUp());
  }

  /**
   * Everything after auth, pipelined: supported_features (id 1), one subscribe_events per event type,
   * get_config, get_states. Ids are allocated and written in that order; answers are matched by id.
   */
  private Future<Void> setUp() {
    phase = Phase.SETUP;
    Future<Object> features = commands.send("supported_features",
        new JsonObject().put("features", new JsonObject().put("coalesce_messages", 1)), settings.commandTimeout());
    List<Future<Void>> subscribed = new ArrayList<>();
    for (String type : settings.eventTypes()) {
      subscribed.add(commands.subscribe("subscribe_events", new JsonObject().put("event_type", type), settings.commandTimeout(),
              this::onEvent)
          .recover(err -> Future.failedFuture(ListenerFailure.retry(code(err, "subscribe_refused"),
              "Home Assistant refused subscribe_events for '" + type + "': " + err.getMessage()))));
    }
    Future<Object> config = commands.send("get_config", null, settings.commandTimeout());
    Future<Object> snapshot = commands.send("get_states", null, settings.commandTimeout());
    // An older server without coalescing still works: the feature is an optimisation.
    Future<Object> coalescing = features.recover(err -> {
      log.info("Home Assistant did not enable coalesce_messages ({}); going on without it", err.getMessage());
      return Future.succeededFuture();
    });
    // Not knowing whether it runs is taken as starting: a snapshot then only adds, never removes what may be an
    // integration still loading, and get_config is asked again until it says RUNNING.
    Future<String> coreState = config.map(HomeAssistantListener::coreState).recover(err -> {
      log.warn("get_config failed ({}): not known whether Home Assistant runs; asking again", err.getMessage());
      return Future.succeededFuture(UNKNOWN);
    });
    return Future.all(subscribed)
        .compose(v -> coalescing)
        .compose(v -> coreState)
        .compose(state -> states(snapshot).map(list -> {
          goLive(list, state);
          return null;
        }));
  }

  /** get_config's {@code state}; a server too old to say is taken as running. */
  private static String coreState(Object config) {
    return config instanceof JsonObject c && c.getValue("state") instanceof String state ? state : RUNNING;
  }

  private static Future<JsonArray> states(Future<Object> answer) {
    return answer
        .recover(err -> Future.failedFuture(ListenerFailure.retry(code(err, "get_states_failed"), "get_states failed: " + err.getMessage())))
        .compose(states -> states instanceof JsonArray list ? Future.succeededFuture(list)
            : Future.failedFuture(ListenerFailure.retry("get_states_failed", "get_states answered something that is not a list")));
  }

  private static String code(Throwable err, String fallback) {
    return err instanceof CommandFailure f ? f.code() : fallback;
  }

  /** Subscribed and holding a fresh snapshot: tell consumers what they may have missed, then go live. */
  private void goLive(JsonArray snapshot, String coreState) {
    long now = System.currentTimeMillis();
    JsonObject window = new JsonObject()
        .put("from", gapFrom == 0 ? null : Instant.ofEpochMilli(gapFrom).toString())
        .put("to", Instant.ofEpochMilli(now).toString());
    publish(HomeAssistantAddresses.gap(name), "gap", window);
    if (gapFrom != 0) {
      stats.put("last_gap", window.copy()); // an outage; the first connection of all had nothing to miss
    }
    phase = Phase.LIVE;
    home.heard(now);
    for (JsonObject event : held) {
      onEvent(event);
    }
    held.clear();
    boolean running = RUNNING.equals(coreState);
    stats.put("ha_state", coreState);
    replaceStates(snapshot, running);
    home.subscribed(true, now);
    stats.put("subscribed", true);
    vertx.eventBus().<JsonObject>localConsumer(HomeAssistantAddresses.connectionCall(name), this::onCall);
    if (settings.reconnectWhenStale()) {
      // The same rule as the health check; here it renews the connection (the timer ends with this instance).
      vertx.setPeriodic(Math.max(20, settings.staleAfter().toMillis() / 4), id -> renewIfStale());
    }
    log.info("subscribed to {} with {} entities", settings.eventTypes(), home.states().size());
    if (!running) {
      log.info("Home Assistant is {}: until it runs, no entity missing from its snapshot is taken as removed", coreState);
      vertx.setTimer(STARTING_POLL_MS, id -> askWhetherRunning());
    }
  }

  /** While Home Assistant starts: once it runs, its snapshot is read again, and now replaces the states. */
  private void askWhetherRunning() {
    if (ended()) {
      return;
    }
    commands.send("get_config", null, settings.commandTimeout()).map(HomeAssistantListener::coreState).onComplete(ar -> {
      if (ended()) {
        return;
      }
      if (ar.failed() || !RUNNING.equals(ar.result())) {
        stats.put("ha_state", ar.succeeded() ? ar.result() : UNKNOWN);
        vertx.setTimer(STARTING_POLL_MS, id -> askWhetherRunning());
        return;
      }
      states(commands.send("get_states", null, settings.commandTimeout())).onComplete(states -> {
        if (ended()) {
          return;
        }
        if (states.failed()) {
          exit(states.cause() instanceof ListenerFailure f ? f : ListenerFailure.retry("get_states_failed", states.cause().getMessage()));
          return;
        }
        stats.put("ha_state", RUNNING);
        replaceStates(states.result(), true);
        log.info("Home Assistant runs: snapshot read again, {} entities", home.states().size());
      });
    });
  }

  private void renewIfStale() {
    if (ended()) {
      return; // the timer outlives the end by the close handshake: "not subscribed" then is no staleness
    }
    HomeAssistantKind.healthProblem(settings, home, System.currentTimeMillis()).ifPresent(why -> {
      // Its pings were answered while no event came: the next connection's gap starts at the last event.
      home.heard(Math.max(home.lastEventAt(), home.subscribedAt()));
      exit(ListenerFailure.retry("stale", why + ": connection renewed"));
    });
  }

  /**
   * The snapshot REPLACES the last-known states; what changed or vanished meanwhile is published. A
   * snapshot that may be incomplete (Home Assistant still starting) only adds and changes.
   */
  private void replaceStates(JsonArray snapshot, boolean complete) {
    Map<String, JsonObject> before = home.states();
    Map<String, JsonObject> fresh = new LinkedHashMap<>();
    if (!complete) {
      fresh.putAll(before);
    }
    for (Object item : snapshot) {
      if (item instanceof JsonObject s && s.getValue("entity_id") instanceof String id) {
        fresh.put(id, s);
      } else {
        malformed("get_states item without an entity_id");
      }
    }
    JsonArray removed = new JsonArray();
    before.keySet().stream().filter(id -> !fresh.containsKey(id)).forEach(removed::add);
    List<Map.Entry<String, JsonObject>> changed = fresh.entrySet().stream()
        .filter(e -> !sameState(e.getValue(), before.get(e.getKey()))).toList();
    home.replaceStates(fresh);
    publish(HomeAssistantAddresses.snapshot(name), "snapshot",
        new JsonObject().put("states", new JsonArray(new ArrayList<>(fresh.values()))).put("removed", removed));
    for (Object id : removed) {
      publish(statePrefix + id, "removed", new JsonObject().put("entity_id", id));
    }
    for (Map.Entry<String, JsonObject> e : changed) {
      publish(statePrefix + e.getKey(), "state", e.getValue());
    }
  }

  /**
   * Whether two states of an entity say the same thing. {@code last_reported} moves when an integration
   * writes an unchanged value again, which fires no {@code state_changed}: not a change to publish (the
   * fresher state is kept all the same).
   */
  private static boolean sameState(JsonObject fresh, JsonObject known) {
    if (known == null) {
      return false;
    }
    if (fresh.equals(known)) {
      return true;
    }
    JsonObject a = fresh.copy();
    JsonObject b = known.copy();
    a.remove("last_reported");
    b.remove("last_reported");
    return a.equals(b);
  }

  // ---- inbound ----------------------------------------------------------------------------------

  @Override
  protected void onText(String text) {
    if (ended()) {
      return; // a replacement is on its way; what still trickles in here falls in the gap it will report
    }
    if (phase == Phase.LIVE) {
      home.heard(System.currentTimeMillis());
    }
    int start = 0;
    while (start < text.length() && Character.isWhitespace(text.charAt(start))) {
      start++;
    }
    char first = start < text.length() ? text.charAt(start) : ' ';
    try {
      if (first == '[') {
        // A coalesced frame: several messages, handled in order.
        JsonArray messages = new JsonArray(text);
        for (Object message : messages) {
          if (message instanceof JsonObject m) {
            onMessage(m);
          } else {
            malformed("array element that is not a message: " + Secrets.excerpt(String.valueOf(message)));
          }
        }
      } else if (first == '{') {
        onMessage(new JsonObject(text));
      } else {
        malformed("not a JSON message: " + Secrets.excerpt(text));
      }
    } catch (DecodeException e) {
      malformed("invalid JSON: " + Secrets.excerpt(text));
    }
  }

  private void onMessage(JsonObject message) {
    String type = String.valueOf(message.getValue("type"));
    if (phase == Phase.AUTH) {
      onAuthMessage(message, type);
      return;
    }
    if (!(message.getValue("id") instanceof Number number)) {
      malformed(Secrets.excerpt(type) + " message without a numeric id");
      return;
    }
    long id = number.longValue();
    boolean known = switch (type) {
      case "event" -> commands.onEvent(message, id);
      case "result" -> commands.onAnswer(message, id, false);
      case "pong" -> commands.onAnswer(message, id, true);
      default -> {
        malformed("unexpected message type " + Secrets.excerpt(type));
        yield true;
      }
    };
    if (!known) {
      // A late answer to a command that timed out, or an event for a subscription we do not hold.
      problems.warn("[" + name + "] ignored " + type + " for unknown id " + id); // type: event, result or pong
    }
  }

  private void onAuthMessage(JsonObject message, String type) {
    switch (type) {
      case "auth_required" -> stats.put("ha_version", message.getString("ha_version", "unknown"));
      case "auth_ok" -> {
        if (message.getValue("ha_version") instanceof String version) {
          stats.put("ha_version", version);
        }
        authenticated.tryComplete();
      }
      case "auth_invalid" -> {
        String why = message.getValue("message") instanceof String m ? Secrets.excerpt(m) : "no reason given";
        // Retrying a refused token only gets the client's address banned: FAILED until someone acts.
        ListenerFailure failure = ListenerFailure.fatal("auth_invalid", "Home Assistant refused the access token: " + why);
        exit(failure);
        authenticated.tryFail(failure);
      }
      default -> authenticated.tryFail(ListenerFailure.retry("auth_protocol",
          "expected auth_required, auth_ok or auth_invalid, got " + Secrets.excerpt(message.encode())));
    }
  }

  /** One {@code event} message of one of our subscriptions. */
  private void onEvent(JsonObject message) {
    // Held until the snapshot is taken, then replayed before it (they happened before it was read). This relies
    // on goLive running while get_states' answer is handled (the futures from it to goLive complete inline, on
    // this loop): an event that follows that answer in the same coalesced array is then handled live, after the
    // snapshot. Were a stage made asynchronous (a timer, a timeout), such a newer event would be held too, and
    // the older snapshot would overwrite it (HomeAssistantIngestionTest.aChangeRightAfterTheSnapshotIsKept).
    if (phase == Phase.SETUP) {
      held.add(message);
      return;
    }
    if (!(message.getValue("event") instanceof JsonObject event) || !(event.getValue("event_type") instanceof String type)) {
      malformed("event message without an event_type: " + Secrets.excerpt(message.encode()));
      return;
    }
    home.eventReceived(System.currentTimeMillis());
    publish(eventPrefix + type, "event", event);
    if (type.equals("state_changed")) {
      applyStateChange(event.getValue("data"));
    }
  }

  private void applyStateChange(Object data) {
    if (!(data instanceof JsonObject d) || !(d.getValue("entity_id") instanceof String entityId)) {
      malformed("state_changed without data.entity_id");
      return;
    }
    if (!d.containsKey("new_state")) {
      malformed("state_changed without data.new_state"); // only new_state null removes an entity
      return;
    }
    Object newState = d.getValue("new_state");
    if (newState instanceof JsonObject state) {
      home.putState(entityId, state);
      publish(statePrefix + entityId, "state", state);
    } else if (newState == null) {
      home.removeState(entityId); // new_state null: the entity was removed
      publish(statePrefix + entityId, "removed", new JsonObject().put("entity_id", entityId));
    } else {
      malformed("state_changed whose new_state is neither a state nor null");
    }
  }

  private void publish(String address, String type, Object data) {
    vertx.eventBus().publish(address, new JsonObject()
        .put("seq", stats.nextSeq())
        .put("ts", System.currentTimeMillis())
        .put("source", name)
        .put("type", type)
        .put("data", data));
  }

  // ---- heartbeat, service calls, end ------------------------------------------------------------

  @Override
  protected boolean pongAnswersHeartbeat() {
    return false; // only Home Assistant's own answer to its ping command says that it is alive
  }

  /** Home Assistant's own {@code ping}: a {@code pong} proves the server reads and answers. */
  @Override
  protected void sendHeartbeat() {
    commands.ping(spec.policy().heartbeatTimeout()).onSuccess(v -> heartbeatAnswered());
  }

  /** A service call forwarded by the companion; validated there. */
  private void onCall(Message<JsonObject> request) {
    JsonObject body = request.body();
    if (!isOpen() || phase != Phase.LIVE) {
      request.fail(503, "listener '" + name + "' is not connected to Home Assistant; the service was not called");
      return;
    }
    JsonObject fields = new JsonObject().put("domain", body.getString("domain")).put("service", body.getString("service"));
    for (String key : List.of("service_data", "target", "return_response")) {
      if (body.containsKey(key)) {
        fields.put(key, body.getValue(key));
      }
    }
    String what = body.getString("domain") + "." + body.getString("service");
    commands.send("call_service", fields, settings.commandTimeout()).onComplete(ar -> {
      if (ar.succeeded()) {
        request.reply(ar.result() instanceof JsonObject r ? r : new JsonObject().put("result", ar.result()));
      } else if (ar.cause() instanceof CommandFailure f && f.code().equals("timeout")) {
        request.fail(504, "Home Assistant did not answer " + what + " within " + settings.commandTimeout().toMillis()
            + " ms; it may still have run it: check the state before calling again");
      } else if (ar.cause() instanceof CommandFailure f && f.code().equals("not_connected")) {
        request.fail(503, "the connection to Home Assistant ended before " + what + " was answered: " + f.getMessage());
      } else {
        request.fail(502, "Home Assistant refused " + what + ": " + ar.cause());
      }
    });
  }

  @Override
  protected void onEnded() {
    if (phase == Phase.LIVE) {
      home.subscribed(false, System.currentTimeMillis());
    }
    stats.put("subscribed", false);
    stats.put("ha_state", null); // unknown until the next connection's get_config
    if (commands != null) {
      commands.close("the connection to Home Assistant ended");
    }
  }
}
