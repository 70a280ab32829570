package dev.switchboard.simulators.homeassistant;

import dev.switchboard.simulators.SimulatorVerticle;
import dev.switchboard.simulators.TcpGate;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A Home Assistant server speaking the real WebSocket API at {@code /api/websocket}, for the demo and
 * the tests: a home of lights, sensors and switches whose states change at a rate, the commands a
 * client uses (auth, supported_features, subscribe/unsubscribe_events, get_states, get_config,
 * get_services, call_service, fire_event, ping, subscribe_entities), HA's limits, and a record of every
 * frame each client sent. On command it misbehaves: drops connections (cleanly or abruptly), stalls,
 * goes down, restarts (STARTING, then RUNNING), rotates the token, refuses subscriptions, floods.
 * <p>
 * Commands may be called from any thread (tests) or over HTTP under {@code /admin/} (demos); they
 * run on the simulator's event loop and return futures.
 */
public class HomeAssistantSimulator extends SimulatorVerticle {
  public static final String PATH = "/api/websocket";
  private static final Logger LOG = LoggerFactory.getLogger(HomeAssistantSimulator.class);
  private static final int MAX_RECORDS = 1_000;
  private static final int INBOUND_LIMIT = 4 * 1024 * 1024; // aiohttp's default max_msg_size, which HA keeps
  private static final long TICK_MS = 10;
  private static final int FLOOD_CHUNK = 256;

  private final HomeAssistantSimulatorOptions options;
  private final Random random;
  private SimulatedHome home;
  private final Set<HaSession> sessions = new LinkedHashSet<>();
  private final List<ConnectionRecord> records = new CopyOnWriteArrayList<>();
  private final AtomicLong eventsFired = new AtomicLong();
  private volatile String token;
  private volatile String coreState = "RUNNING";
  private volatile boolean refuseSubscriptions;
  private volatile boolean failConfig;
  /** A change to make right after the next get_states result is queued: {entity_id, state}, or null. */
  private volatile String[] changeAfterStates;
  private HttpServer server;
  private volatile int publicPort;
  private double rate;
  private long rateSince;
  private long madeSinceRate;

  public HomeAssistantSimulator(HomeAssistantSimulatorOptions options) {
    this.options = options;
    this.token = options.token();
    this.rate = options.ratePerSecond();
    this.random = new Random(options.seed() == 0 ? ThreadLocalRandom.current().nextLong() : options.seed());
  }

  @Override
  public Future<?> start() {
    home = new SimulatedHome(options, random);
    home.onEvent(event -> {
      eventsFired.incrementAndGet();
      for (HaSession session : List.copyOf(sessions)) {
        session.deliver(event);
      }
    });
    server = vertx.createHttpServer(new HttpServerOptions()
            .setMaxWebSocketFrameSize(INBOUND_LIMIT)
            .setMaxWebSocketMessageSize(INBOUND_LIMIT)
            .setWebSocketClosingTimeout(2))
        .webSocketHandshakeHandler(handshake -> {
          if (handshake.path().equals(PATH)) {
            handshake.accept();
          } else {
            handshake.reject(404);
          }
        })
        .webSocketHandler(this::accept)
        .requestHandler(this::admin);
    rateSince = System.nanoTime();
    vertx.setPeriodic(TICK_MS, id -> tick());
    return server.listen(0, "127.0.0.1")
        .compose(s -> openGate(options.port()))
        .onSuccess(v -> LOG.info("Home Assistant simulator on {} ({} entities, {} changes/s)", url(), home.size(), rate));
  }

  @Override
  public Future<?> stop() {
    Future<Void> gateClosed = gate == null ? Future.succeededFuture() : gate.close();
    return Future.join(gateClosed, server.close());
  }

  private Future<Void> openGate(int port) {
    return TcpGate.open(vertx, options.host(), port, server.actualPort()).map(g -> {
      gate = g;
      publicPort = g.port();
      return null;
    });
  }

  private void accept(ServerWebSocket ws) {
    if (gate == null) {
      ws.close((short) 1001, "simulator: down"); // a connection that reached the direct port while down
      return;
    }
    ConnectionRecord record = new ConnectionRecord((int) connectionOpened());
    records.add(record);
    if (records.size() > MAX_RECORDS) {
      records.remove(0);
    }
    HaSession session = new HaSession(this, vertx, context, ws, record);
    sessions.add(session);
    session.open();
  }

  void closed(HaSession session) {
    if (sessions.remove(session)) {
      connectionClosed();
    }
  }

  /** Cuts one connection below the WebSocket layer; false when it did not come through the relay. */
  boolean cut(ServerWebSocket ws) {
    return gate != null && gate.cut(ws.remoteAddress().port());
  }

  HomeAssistantSimulatorOptions options() {
    return options;
  }

  SimulatedHome home() {
    return home;
  }

  String token() {
    return token;
  }

  /** {@code get_config}'s {@code state}: NOT_RUNNING, STARTING, RUNNING, STOPPING. */
  public String coreState() {
    return coreState;
  }

  boolean refusesSubscriptions() {
    return refuseSubscriptions;
  }

  boolean failsConfig() {
    return failConfig;
  }

  /** The home changes {@code rate} times a second, on average, whatever the timer's jitter. */
  private void tick() {
    if (rate <= 0) {
      return;
    }
    long due = (long) (rate * (System.nanoTime() - rateSince) / 1e9);
    long owed = due - madeSinceRate;
    long cap = Math.max(1, (long) rate);
    if (owed > cap) {
      madeSinceRate += owed - cap; // fell behind (a paused loop): skip rather than burst
      owed = cap;
    }
    for (long i = 0; i < owed; i++) {
      home.randomChange();
    }
    madeSinceRate += Math.max(0, owed);
  }

  // ---- commands -----------------------------------------------------------------------------

  /** The port clients connect to (through the relay that can stall and cut connections). */
  public int port() {
    return publicPort;
  }

  public String url() {
    return "ws://" + options.host() + ":" + port() + PATH;
  }

  /** The server itself, without the relay: for benchmarks. Stall, cut and down do not apply to it. */
  public String directUrl() {
    return "ws://127.0.0.1:" + server.actualPort() + PATH;
  }

  /** The token {@code auth} accepts from now on; live connections stay, the next auth needs the new one. */
  public Future<Void> rotateToken(String newToken) {
    return onLoopRun(() -> token = newToken);
  }

  /** State changes per second made by the home itself. */
  public Future<Void> setRate(double perSecond) {
    return onLoopRun(() -> {
      rate = perSecond;
      rateSince = System.nanoTime();
      madeSinceRate = 0;
    });
  }

  /**
   * While on, the token is a non-admin user's: {@code subscribe_events} to an event type outside Home
   * Assistant's allow-list ({@code state_changed} and the registry updates are in it, {@code "*"} is
   * not) is answered with an {@code unauthorized} error.
   */
  public Future<Void> refuseSubscriptions(boolean on) {
    return onLoopRun(() -> refuseSubscriptions = on);
  }

  /**
   * While on, {@code get_config} is answered with an {@code unknown_error}: what Home Assistant sends when a
   * command's handler throws. A client cannot tell from it whether the core has finished starting.
   */
  public Future<Void> failConfig(boolean on) {
    return onLoopRun(() -> failConfig = on);
  }

  /**
   * Sets an entity's state right after the next {@code get_states} result is queued, in the same turn: with
   * coalescing on, its event leaves in the same array, after the result. What a home that changes while it
   * answers sends, and the order a client must keep.
   */
  public Future<Void> changeRightAfterNextStates(String entityId, String state) {
    return onLoopRun(() -> changeAfterStates = new String[] {entityId, state});
  }

  /** The change armed by {@link #changeRightAfterNextStates}, made once. */
  void afterStatesQueued() {
    String[] change = changeAfterStates;
    changeAfterStates = null;
    if (change != null) {
      set(change[0], change[1], null);
    }
  }

  /** An entity's new state, as a change of nobody's; attributes are kept when null. Simulator loop. */
  private void set(String entityId, String state, JsonObject attributes) {
    var old = home.get(entityId);
    JsonObject attrs = attributes != null ? attributes.copy() : old != null ? old.attributes : new JsonObject();
    home.set(entityId, state, attrs, home.context(null));
  }

  /** Sets an entity's state (creating the entity if needed); attributes are kept when null. */
  public Future<Void> setState(String entityId, String state, JsonObject attributes) {
    return onLoopRun(() -> set(entityId, state, attributes));
  }

  public Future<Void> removeEntities(String... entityIds) {
    return onLoopRun(() -> {
      for (String id : entityIds) {
        home.remove(id);
      }
    });
  }

  /** Fires {@code count} events of a type in one go, {@code data} {"n": 1..count}: they leave coalesced. */
  public Future<Void> fireEvents(String eventType, int count) {
    return onLoopRun(() -> {
      for (int n = 1; n <= count; n++) {
        home.fire(eventType, new JsonObject().put("n", n), home.context(null));
      }
    });
  }

  /** Makes {@code count} random state changes in one go (unpaced: a slow client may be cancelled). */
  public Future<Void> burst(int count) {
    return onLoopRun(() -> {
      long target = eventsFired.get() + count;
      while (eventsFired.get() < target) {
        home.randomChange();
      }
    });
  }

  /**
   * Makes {@code count} random state changes as fast as the clients read them: it never queues more
   * than a client's socket takes, so it measures the client rather than HA's slow-client limit.
   */
  public Future<Void> flood(long count) {
    return onLoop(() -> {
      Promise<Void> done = Promise.promise();
      floodStep(eventsFired.get() + count, done);
      return done.future();
    });
  }

  private void floodStep(long target, Promise<Void> done) {
    if (eventsFired.get() >= target) {
      done.complete();
      return;
    }
    if (sessions.stream().anyMatch(HaSession::backlogged)) {
      vertx.setTimer(1, id -> floodStep(target, done));
      return;
    }
    long stop = Math.min(target, eventsFired.get() + FLOOD_CHUNK);
    while (eventsFired.get() < stop) {
      home.randomChange();
    }
    context.runOnContext(v -> floodStep(target, done)); // lets the queued frames go out first
  }

  /** Closes every connection: with a normal close frame (1000) when {@code clean}, else at the TCP level. */
  public Future<Void> dropAll(boolean clean) {
    return onLoopRun(() -> {
      if (clean) {
        List.copyOf(sessions).forEach(s -> s.close((short) 1000, ""));
      } else {
        List.copyOf(sessions).forEach(HaSession::abort);
      }
    });
  }

  /** Freezes the live connections: nothing read, nothing written, no pongs, TCP left open. */
  public Future<Void> stall() {
    return onLoopRun(() -> {
      sessions.forEach(HaSession::stall);
      gate.blackhole();
    });
  }

  /** Every session stops answering, while WebSocket pongs keep coming unasked, as from a live proxy in front of a frozen server. */
  public Future<Void> stallBehindAProxy() {
    return onLoopRun(() -> sessions.forEach(s -> s.stallBehindAProxy(50)));
  }

  /** Stops listening: live connections are cut and new ones refused until {@link #up()}. */
  public Future<Void> down() {
    return onLoop(() -> {
      if (gate == null) {
        return Future.succeededFuture();
      }
      TcpGate closing = gate;
      gate = null;
      return closing.close();
    });
  }

  /** Listens again, on the same port. */
  public Future<Void> up() {
    return onLoop(() -> gate != null ? Future.succeededFuture() : openGate(publicPort));
  }

  /** Down for a while, then up again; completes once it is back. */
  public Future<Void> down(Duration duration) {
    return down().compose(v -> vertx.timer(Math.max(1, duration.toMillis()))).compose(v -> up());
  }

  /**
   * Restarts Home Assistant: {@code homeassistant_stop} fired, every connection closed, down for
   * {@code downFor}, then up with {@code state} STARTING for {@code startingFor}, then RUNNING and
   * {@code homeassistant_started}. Completes once RUNNING.
   */
  public Future<Void> restart(Duration downFor, Duration startingFor) {
    return restart(downFor, () -> vertx.timer(Math.max(1, startingFor.toMillis())).mapEmpty());
  }

  /**
   * As {@link #restart(Duration, Duration)}, but STARTING until {@code running} completes, with the
   * entities {@code loadedLate} absent meanwhile (their integration has not loaded yet: {@code get_states}
   * leaves them out), and added back as it reaches RUNNING, each with a {@code state_changed} whose
   * {@code old_state} is null.
   */
  public Future<Void> restart(Duration downFor, Future<Void> running, String... loadedLate) {
    return restart(downFor, () -> running, loadedLate);
  }

  private Future<Void> restart(Duration downFor, Supplier<Future<Void>> startingUntil, String... loadedLate) {
    Map<String, JsonObject> late = new LinkedHashMap<>();
    return onLoop(() -> {
      coreState = "STOPPING";
      home.fire("homeassistant_stop", new JsonObject(), home.context(null));
      Promise<Void> closed = Promise.promise();
      // After the queued homeassistant_stop messages have gone out; then going down must wait for the
      // close handshakes, or the relay would cut what is still on its way.
      context.runOnContext(v -> {
        List<Future<Void>> closing = new ArrayList<>();
        List.copyOf(sessions).forEach(s -> closing.add(s.close((short) 1000, "")));
        coreState = "NOT_RUNNING";
        for (String id : loadedLate) {
          var entity = home.get(id);
          if (entity != null) {
            late.put(id, entity.json().copy());
            home.remove(id); // no one is connected any more to hear it
          }
        }
        Future.join(closing).<Void>mapEmpty().onComplete(closed);
      });
      return closed.future();
    }).compose(v -> down(downFor)).compose(v -> onLoopRun(() -> {
      coreState = "STARTING";
      home.fire("homeassistant_start", new JsonObject(), home.context(null));
    })).compose(v -> startingUntil.get()).compose(v -> onLoopRun(() -> {
      late.forEach((id, entity) -> home.set(id, entity.getString("state"), entity.getJsonObject("attributes"), home.context(null)));
      coreState = "RUNNING";
      home.fire("homeassistant_started", new JsonObject(), home.context(null));
    }));
  }

  /** Text that starts like a message but is not JSON, to every authenticated client. */
  public Future<Void> sendMalformed() {
    return onLoopRun(() -> sessions.forEach(s -> s.sendRaw("{\"id\": 1, \"type\": \"event\", \"event\": {\"event_type\": ")));
  }

  /** A valid event of about {@code bytes} bytes on each client's first subscription. */
  public Future<Void> sendOversized(int bytes) {
    return onLoopRun(() -> sessions.forEach(s -> {
      JsonObject event = new JsonObject()
          .put("event_type", "switchboard_oversized")
          .put("data", new JsonObject().put("blob", "x".repeat(Math.max(0, bytes - 200))))
          .put("origin", "LOCAL")
          .put("time_fired", HaTime.iso(java.time.Instant.now()))
          .put("context", home.context(null));
      s.sendRaw(new JsonObject().put("id", s.firstEventSubscription()).put("type", "event").put("event", event).encode());
    }));
  }

  /** A {@code state_changed} event for {@code entityId} whose data lacks {@code new_state} (not null: absent), on each client's first subscription. */
  public Future<Void> sendStateChangedWithoutNewState(String entityId) {
    return onLoopRun(() -> sessions.forEach(s -> {
      JsonObject event = new JsonObject()
          .put("event_type", "state_changed")
          .put("data", new JsonObject().put("entity_id", entityId))
          .put("origin", "LOCAL")
          .put("time_fired", HaTime.iso(java.time.Instant.now()))
          .put("context", home.context(null));
      s.sendRaw(new JsonObject().put("id", s.firstEventSubscription()).put("type", "event").put("event", event).encode());
    }));
  }

  // ---- what happened --------------------------------------------------------------------------

  /** An entity's current state as {@code get_states} shows it, or null. */
  public JsonObject state(String entityId) {
    EntityState s = home.get(entityId);
    return s == null ? null : s.json().copy();
  }

  /** Every entity's current state, by entity id. */
  public Map<String, JsonObject> states() {
    Map<String, JsonObject> out = new LinkedHashMap<>();
    home.all().forEach(s -> out.put(s.entityId, s.json().copy()));
    return out;
  }

  /** How many live {@code subscribe_events} subscriptions to exactly {@code eventType} all clients hold. */
  public Future<Long> liveSubscriptions(String eventType) {
    return onLoop(() -> Future.succeededFuture(sessions.stream().mapToLong(s -> s.subscriptionsTo(eventType)).sum()));
  }

  /** Events fired in the home since start (whoever listened). */
  public long eventsFired() {
    return eventsFired.get();
  }

  /** Every connection so far (the last thousand), oldest first. */
  public List<ConnectionRecord> connections() {
    return List.copyOf(records);
  }

  public ConnectionRecord lastConnection() {
    List<ConnectionRecord> all = connections();
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  @Override
  public JsonObject stats() {
    JsonArray connections = new JsonArray();
    List<ConnectionRecord> recent = connections();
    for (ConnectionRecord r : recent.subList(Math.max(0, recent.size() - 10), recent.size())) {
      connections.add(new JsonObject().put("number", r.number()).put("open", r.isOpen()).put("authenticated", r.authenticated())
          .put("frames_received", r.frames().size()).put("events_sent", r.eventsSent()).put("close_code", r.isOpen() ? null : (Short) r.closeCode())
          .put("ended_because", r.endedBecause()));
    }
    return new JsonObject()
        .put("url", url())
        .put("state", coreState)
        .put("entities", home.size())
        .put("rate_per_second", rate)
        .put("events_fired", eventsFired())
        .put("connections", concurrentConnections())
        .put("max_concurrent", maxConcurrentConnections())
        .put("total_connections", totalConnections())
        .put("refusing_subscriptions", refuseSubscriptions)
        .put("failing_config", failConfig)
        .put("recent_connections", connections);
  }

  // ---- HTTP admin, for demos ------------------------------------------------------------------

  private void admin(HttpServerRequest req) {
    spareAdminConnection(req, gate);
    runAdmin(req, () -> adminCommand(req));
  }

  /** Runs the command; null when it answered itself. */
  private Future<Void> adminCommand(HttpServerRequest req) {
    return switch (req.method().name() + " " + req.path()) {
      case "GET /admin/stats" -> Future.succeededFuture();
      case "POST /admin/drop" -> dropAll(!"false".equals(req.getParam("clean")));
      case "POST /admin/stall" -> stall();
      case "POST /admin/down" -> {
        Duration downFor = Duration.ofMillis(Math.round(decimal(req, "seconds", 10, 3600) * 1000));
        answerAdminThen(req, gate, () -> down(downFor)); // the port it answers on closes; it comes back by itself
        yield null;
      }
      case "POST /admin/restart" -> {
        Duration downFor = Duration.ofMillis(Math.round(decimal(req, "down", 2, 3600) * 1000));
        Duration startingFor = Duration.ofMillis(Math.round(decimal(req, "starting", 3, 3600) * 1000));
        answerAdminThen(req, gate, () -> restart(downFor, startingFor));
        yield null;
      }
      case "POST /admin/rotate-token" -> rotateToken(required(req, "token"));
      case "POST /admin/remove" -> removeEntities(required(req, "entity_id").split(","));
      case "POST /admin/set" -> setState(required(req, "entity_id"), required(req, "state"), null);
      case "POST /admin/flood" -> {
        flood(intParam(req, "count", 10_000, 0, 1_000_000));
        yield Future.succeededFuture();
      }
      case "POST /admin/rate" -> setRate(decimal(req, "per_second", 2, 10_000));
      case "POST /admin/refuse-subscribe" -> refuseSubscriptions(!"false".equals(req.getParam("on")));
      case "POST /admin/fail-config" -> failConfig(!"false".equals(req.getParam("on")));
      case "POST /admin/malformed" -> sendMalformed();
      case "POST /admin/oversized" -> sendOversized(intParam(req, "bytes", 1_048_576, 0, MAX_ADMIN_BYTES));
      default -> {
        unknownCommand(req);
        yield null;
      }
    };
  }

  private static void unknownCommand(HttpServerRequest req) {
    req.response().setStatusCode(404).end("unknown admin command; try GET /admin/stats or POST /admin/"
        + "{drop?clean=true|false, stall, down?seconds=N, restart?down=S&starting=S, rotate-token?token=T,"
        + " remove?entity_id=a,b, set?entity_id=E&state=S, flood?count=N, rate?per_second=N,"
        + " refuse-subscribe?on=true|false, fail-config?on=true|false, malformed, oversized?bytes=N}\n");
  }

  private static String required(HttpServerRequest req, String name) {
    String value = req.getParam(name);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("missing query parameter '" + name + "'");
    }
    return value;
  }

  /** A number from 0 to {@code max}, {@code fallback} when absent; anything else is refused (400). */
  private static double decimal(HttpServerRequest req, String name, double fallback, double max) {
    String value = req.getParam(name);
    if (value == null) {
      return fallback;
    }
    try {
      double d = Double.parseDouble(value);
      if (d < 0 || d > max || Double.isNaN(d)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("query parameter '" + name + "' must be a number from 0 to " + max + ", not '" + value + "'");
    }
  }
}
