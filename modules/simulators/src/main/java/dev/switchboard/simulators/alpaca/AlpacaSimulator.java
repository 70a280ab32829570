package dev.switchboard.simulators.alpaca;

import dev.switchboard.simulators.Recent;
import dev.switchboard.simulators.SimulatorVerticle;
import dev.switchboard.simulators.TcpGate;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An Alpaca market-data stream server (v2 stocks and v1beta3 crypto; JSON frames, or msgpack when the
 * upgrade asks for it), faithful to the parts that hurt clients: {@code connectionLimit} authenticated
 * connections per key and endpoint (406 for one more), a dropped connection that keeps
 * counting for a reap window (406 right after a reconnect), full-set subscription answers with no
 * request ids, data batched per frame, slow-client 407, server pings. On command it drops
 * connections (cleanly or not), goes mute, goes down, restarts, loses a subscription silently.
 * Commands work from Java (tests) or over HTTP under {@code /admin/} (demos); they may be called
 * from any thread and run on the simulator's event loop.
 */
public class AlpacaSimulator extends SimulatorVerticle {
  private static final Logger LOG = LoggerFactory.getLogger(AlpacaSimulator.class);
  /** How many of each record are kept (a client in a reconnect loop makes thousands); the totals count them all. */
  static final int KEPT = 1_000;
  /** How many of the newest error codes the stats show. */
  private static final int ERRORS_SHOWN = 20;

  /** What one {@code auth} got: "authenticated" or the error code. */
  public record AuthOutcome(int session, String feed, long at, String outcome) {
  }

  /** An error frame sent to a session. */
  public record SentError(int session, long at, int code) {
  }

  /** A session that ended without a close frame: it still counts against the limit until {@code until}. */
  private record Ghost(String key, String feed, long until) {
  }

  private final AlpacaSimulatorOptions options;
  private final Map<Integer, AlpacaSession> sessions = new ConcurrentHashMap<>();
  private final List<Ghost> ghosts = new CopyOnWriteArrayList<>();
  private final Recent<SubscriptionChange> changes;
  private final Recent<AuthOutcome> auths;
  private final Recent<SentError> errors;
  private final Recent<Short> closeCodes;
  private final AtomicInteger nextSession = new AtomicInteger();
  private final AtomicLong dataMessages = new AtomicLong();
  private final AtomicLong overlapping = new AtomicLong();
  /** The clients' own frames (auth, changes), text and binary: which encoding a client really speaks. */
  private final AtomicLong clientTextFrames = new AtomicLong();
  private final AtomicLong clientBinaryFrames = new AtomicLong();
  private final MarketDataGenerator data = new MarketDataGenerator();
  private volatile Duration ackDelay;
  private volatile Set<String> badlyFormatted = Set.of();
  /** The error the next subscription changes are answered with instead, and how many more; none when 0. */
  private final AtomicInteger failingChanges = new AtomicInteger();
  private volatile AlpacaError changeFailure;
  private volatile boolean up;
  private HttpServer server;
  private int port;
  /** Sessions of an earlier life of the server (before a restart) leave no ghosts. */
  private int epoch;
  private final List<Long> timers = new ArrayList<>();

  public AlpacaSimulator(AlpacaSimulatorOptions options) {
    this(options, KEPT);
  }

  /** @param kept how many of each record to keep (tests of the bound use a few) */
  AlpacaSimulator(AlpacaSimulatorOptions options, int kept) {
    this.options = options;
    this.ackDelay = options.ackDelay();
    this.changes = new Recent<>(kept);
    this.auths = new Recent<>(kept);
    this.errors = new Recent<>(kept);
    this.closeCodes = new Recent<>(kept);
  }

  @Override
  public Future<?> start() {
    return listen(options.port());
  }

  @Override
  public Future<?> stop() {
    return shutDown();
  }

  private Future<Void> listen(int wanted) {
    server = vertx.createHttpServer(new HttpServerOptions().setMaxWebSocketFrameSize(1024 * 1024).setMaxWebSocketMessageSize(1024 * 1024))
        .webSocketHandshakeHandler(this::handshake)
        .webSocketHandler(this::accept)
        .requestHandler(this::admin);
    return server.listen(0, "127.0.0.1")
        .compose(s -> TcpGate.open(vertx, options.host(), wanted, s.actualPort()))
        .map(g -> {
          gate = g;
          port = g.port();
          up = true;
          startTimers();
          // SLF4J has no escape for braces: only "{}" is a placeholder, so single braces print as they are.
          LOG.info("alpaca simulator on ws://{}:{}/v2/{iex,sip,delayed_sip,test} and /v1beta3/crypto/{us,us-1,eu-1}, JSON or msgpack",
              options.host(), port);
          return null;
        });
  }

  private Future<Void> shutDown() {
    up = false;
    timers.forEach(vertx::cancelTimer);
    timers.clear();
    epoch++;
    Future<Void> gateClosed = gate == null ? Future.succeededFuture() : gate.close();
    Future<Void> serverClosed = server == null ? Future.succeededFuture() : server.close();
    return Future.join(gateClosed, serverClosed).onComplete(ar -> ghosts.clear()).mapEmpty();
  }

  private void startTimers() {
    if (options.ticksPerSecond() > 0) {
      long period = Math.max(1, Math.round(1000 / options.ticksPerSecond()));
      timers.add(vertx.setPeriodic(period, id -> sessions.values().forEach(s -> s.tick(data))));
    }
    if (!options.barInterval().isZero()) {
      timers.add(vertx.setPeriodic(options.barInterval().toMillis(), id -> sessions.values().forEach(s -> s.bars(data))));
    }
    if (!options.serverPingInterval().isZero()) {
      timers.add(vertx.setPeriodic(options.serverPingInterval().toMillis(), id -> sessions.values().forEach(s -> {
        if (!s.ws.isClosed()) {
          s.ws.writePing(Buffer.buffer("alpaca"));
        }
      })));
    }
  }

  private void handshake(ServerWebSocketHandshake handshake) {
    if (AlpacaEndpoint.of(handshake.path()).isPresent()) {
      handshake.accept();
    } else {
      handshake.reject(404);
    }
  }

  private void accept(ServerWebSocket ws) {
    AlpacaEndpoint endpoint = AlpacaEndpoint.of(ws.path()).orElseThrow();
    int sessionEpoch = epoch;
    AlpacaSession session = new AlpacaSession(nextSession.incrementAndGet(), endpoint, ws, ws.headers(), this, options, vertx);
    sessions.put(session.id, session);
    connectionOpened();
    ws.closeHandler(v -> {
      session.ended();
      if (sessions.remove(session.id) != null) {
        connectionClosed();
      }
      short code = ws.closeStatusCode();
      closeCodes.add(code);
      // 1006: no close frame came. The real server keeps such a connection counted until it reaps it.
      if (code == 1006 && session.authenticated() && sessionEpoch == epoch && !options.reapWindow().isZero()) {
        ghosts.add(new Ghost(session.key(), endpoint.feed(), System.currentTimeMillis() + options.reapWindow().toMillis()));
      }
    });
    session.start();
  }

  /** Checks an auth: null when it may go on, otherwise the error to send. */
  AlpacaError authorize(AlpacaSession session, String key, String secret) {
    AlpacaError refusal = null;
    if (key == null || secret == null || !secret.equals(options.credentials().get(key))) {
      refusal = new AlpacaError(402, "auth failed");
    } else if (!options.entitledFeeds().contains(session.endpoint.feed())) {
      refusal = new AlpacaError(409, "insufficient subscription");
    } else if (sessionsHeld(key, session.endpoint.feed(), session) >= options.connectionLimit()) {
      refusal = new AlpacaError(406, "connection limit exceeded");
    }
    auths.add(new AuthOutcome(session.id, session.endpoint.feed(), System.currentTimeMillis(),
        refusal == null ? "authenticated" : String.valueOf(refusal.code())));
    return refusal;
  }

  private long sessionsHeld(String key, String feed, AlpacaSession except) {
    reapGhosts();
    long live = sessions.values().stream()
        .filter(s -> s != except && s.authenticated() && key.equals(s.key()) && feed.equals(s.endpoint.feed()))
        .count();
    return live + ghosts.stream().filter(g -> g.key.equals(key) && g.feed.equals(feed)).count();
  }

  private void reapGhosts() {
    long now = System.currentTimeMillis();
    ghosts.removeIf(g -> g.until <= now);
  }

  void recordChange(SubscriptionChange change) {
    changes.add(change);
    if (change.whileUnanswered()) {
      overlapping.incrementAndGet();
    }
  }

  void recordError(int session, int code) {
    errors.add(new SentError(session, System.currentTimeMillis(), code));
  }

  void countData(int messages) {
    dataMessages.addAndGet(messages);
  }

  Duration ackDelay() {
    return ackDelay;
  }

  private Future<Void> eachSession(java.util.function.Consumer<AlpacaSession> action) {
    return onLoop(() -> {
      sessions.values().forEach(action);
      return Future.succeededFuture();
    });
  }

  // ---- commands -----------------------------------------------------------------------------

  public int port() {
    return port;
  }

  /** The stock stream URL for a feed ("iex", "sip", "delayed_sip", "test"). */
  public String url(String feed) {
    return "ws://" + options.host() + ":" + port + "/v2/" + feed;
  }

  /**
   * Ends every connection: with a close frame (1001, going away) when {@code clean}, else at the TCP
   * level with no close frame, which leaves each authenticated session counted for the reap window.
   */
  public Future<Void> drop(boolean clean) {
    return onLoop(() -> {
      if (!clean) {
        gate.cutAll();
        return Future.succeededFuture();
      }
      List<Future<Void>> closing = new ArrayList<>();
      sessions.values().forEach(s -> closing.add(s.ws.close((short) 1001, "simulator: drop")));
      return Future.join(closing).mapEmpty();
    });
  }

  /** The live sessions go mute: pings still answered, no more data. New sessions are not affected. */
  public Future<Void> mute() {
    return eachSession(s -> s.muted = true);
  }

  /** Freezes the live connections below WebSocket: no data, no pongs, no close; TCP stays open. New ones are not affected. */
  public Future<Void> stall() {
    return onLoop(() -> {
      gate.blackhole();
      return Future.succeededFuture();
    });
  }

  /** Every connection cut, the port closed for {@code downFor}, then open again (a fresh server: no ghosts). */
  public Future<Void> down(Duration downFor) {
    return onLoop(() -> {
      int samePort = port;
      return shutDown().onSuccess(v -> vertx.setTimer(Math.max(1, downFor.toMillis()), t -> listen(samePort)
          .onFailure(err -> LOG.error("alpaca simulator could not come back on port {}", samePort, err))));
    });
  }

  /** Down and up again at once, on the same port. */
  public Future<Void> restart() {
    return onLoop(() -> {
      int samePort = port;
      return shutDown().compose(v -> listen(samePort));
    });
  }

  public boolean isUp() {
    return up;
  }

  /** Sends a text frame as it is to every authenticated session (malformed frames included), whatever its encoding. */
  public Future<Void> sendRaw(String text) {
    return eachSession(s -> {
      if (s.authenticated() && !s.ws.isClosed()) {
        s.ws.writeTextMessage(text);
      }
    });
  }

  /** Sends one data frame to every authenticated session, in its encoding. */
  public Future<Void> send(JsonArray frame) {
    return eachSession(s -> {
      if (s.authenticated() && !s.ws.isClosed()) {
        s.write(frame);
      }
    });
  }

  /** Sends every authenticated session a frame that breaks off in the middle, in its encoding. */
  public Future<Void> sendMalformed() {
    return eachSession(s -> {
      if (s.authenticated() && !s.ws.isClosed()) {
        s.writeMalformed();
      }
    });
  }

  /** 407 to every session, then closed. */
  public Future<Void> slowClient() {
    return eachSession(AlpacaSession::slowClient);
  }

  /** 500 to every session, then closed with 1011. */
  public Future<Void> internalError() {
    return eachSession(s -> {
      s.error(500, "internal error");
      s.ws.close((short) 1011, "internal error");
    });
  }

  /** Every session silently forgets one subscription: the next answer shows it gone. */
  public Future<Void> lose(String channel, String symbol) {
    return eachSession(s -> s.lose(channel, symbol));
  }

  /** How long subscribe/unsubscribe answers wait from now on. */
  public void ackDelay(Duration delay) {
    this.ackDelay = delay;
  }

  /**
   * Symbols a subscribe is refused for from now on, as a whole, with 400 "invalid syntax": Alpaca's own symbol
   * rules are not published, and may refuse a symbol that Switchboard's check lets through.
   */
  public void refuseAsBadlyFormatted(Set<String> symbols) {
    this.badlyFormatted = Set.copyOf(symbols);
  }

  boolean badlyFormatted(String symbol) {
    return badlyFormatted.contains(symbol);
  }

  /**
   * The next {@code times} subscribe/unsubscribe requests are answered with this error instead, the connection
   * left open: an upstream failing in a way the protocol does not document (a 429 answered to a change, say).
   */
  public void failChanges(int code, String message, int times) {
    changeFailure = new AlpacaError(code, message);
    failingChanges.set(times);
  }

  /** The error the next change gets instead of its answer; null when it is answered. */
  AlpacaError nextChangeFailure() {
    return failingChanges.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? changeFailure : null;
  }

  /** What the one live authenticated session is subscribed to (empty if none). */
  public Future<Map<String, List<String>>> subscriptions() {
    return onLoop(() -> Future.succeededFuture(sessions.values().stream()
        .filter(AlpacaSession::authenticated)
        .findFirst()
        .map(AlpacaSession::subscriptions)
        .orElseGet(LinkedHashMap::new)));
  }

  public long dataMessagesSent() {
    return dataMessages.get();
  }

  /** The subscribes and unsubscribes received, in order (the last {@value #KEPT} by default). */
  public List<SubscriptionChange> changes() {
    return changes.list();
  }

  void clientFrame(boolean binary) {
    (binary ? clientBinaryFrames : clientTextFrames).incrementAndGet();
  }

  /** Changes that arrived while an earlier one of the same session was unanswered (every one, not only those kept). */
  public long overlappingChanges() {
    return overlapping.get();
  }

  /** What each auth got, in order (the last {@value #KEPT} by default). */
  public List<AuthOutcome> auths() {
    return auths.list();
  }

  /** The error frames sent, in order (the last {@value #KEPT} by default). */
  public List<SentError> errors() {
    return errors.list();
  }

  public Optional<SentError> lastError() {
    return errors.last();
  }

  /** The close code of each connection that ended (1006 when it ended without a close frame; the last {@value #KEPT} by default). */
  public List<Short> closeCodes() {
    return closeCodes.list();
  }

  @Override
  public JsonObject stats() {
    reapGhosts();
    long authenticated = sessions.values().stream().filter(AlpacaSession::authenticated).count();
    long msgpack = sessions.values().stream().filter(s -> s.msgpack).count();
    return new JsonObject()
        .put("up", up)
        .put("port", port)
        .put("connections", concurrentConnections())
        .put("authenticated_connections", authenticated)
        .put("msgpack_connections", msgpack)
        .put("client_text_frames", clientTextFrames.get())
        .put("client_binary_frames", clientBinaryFrames.get())
        .put("connection_limit", options.connectionLimit())
        .put("max_concurrent", maxConcurrentConnections())
        .put("total_connections", totalConnections())
        .put("counted_dropped_connections", ghosts.size())
        .put("data_messages_sent", dataMessagesSent())
        .put("subscription_changes", changes.total())
        .put("overlapping_changes", overlappingChanges())
        .put("errors_sent", new JsonArray(errors.newest(ERRORS_SHOWN).stream().map(SentError::code).toList()))
        .put("errors_sent_total", errors.total());
  }

  // ---- HTTP admin, for demos ------------------------------------------------------------------

  private void admin(HttpServerRequest req) {
    spareAdminConnection(req, gate);
    runAdmin(req, () -> adminCommand(req));
  }

  /** Runs the command; null when it answered itself. */
  private Future<?> adminCommand(HttpServerRequest req) {
    return switch (req.method().name() + " " + req.path()) {
      case "GET /admin/stats" -> Future.succeededFuture();
      case "GET /admin/subscriptions" -> {
        subscriptions().onComplete(ar -> req.response().putHeader("content-type", "application/json")
            .end(new JsonObject(new LinkedHashMap<>(ar.result())).encode()));
        yield null;
      }
      case "POST /admin/drop" -> drop(!"false".equals(req.getParam("clean")));
      case "POST /admin/mute" -> mute();
      case "POST /admin/down" -> {
        int seconds = intParam(req, "seconds", 5, 0, 3600);
        answerAdminThen(req, gate, () -> down(Duration.ofSeconds(seconds))); // the port it answers on closes
        yield null;
      }
      case "POST /admin/restart" -> {
        answerAdminThen(req, gate, this::restart);
        yield null;
      }
      case "POST /admin/slow" -> slowClient();
      case "POST /admin/error" -> internalError();
      case "POST /admin/malformed" -> sendMalformed();
      default -> {
        req.response().setStatusCode(404).end("unknown admin command; try GET /admin/stats, GET /admin/subscriptions or POST /admin/"
            + "{drop?clean=true|false,mute,down?seconds=N,restart,slow,error,malformed}\n");
        yield null;
      }
    };
  }
}
