package dev.switchboard.server.fanout;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.BridgeActivity;
import dev.switchboard.core.LocalCodec;
import dev.switchboard.core.envelope.EnvelopeView;
import dev.switchboard.core.envelope.JsonEnvelope;
import dev.switchboard.server.http.BridgeRules;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.UUID;

/**
 * The fan-out path: the event-bus bridge protocol over WebSockets, built for many clients. It serves
 * raw WebSocket clients ({@link #handle}), SockJS's websocket transport ({@link #handleSockJs}), the
 * one {@code @vertx/eventbus-bridge-client.js} takes, and plain read-only subscriptions whose
 * addresses come with the request ({@link #subscribe}); see {@link Framing}.
 * <ul>
 *   <li>one event-bus consumer per address, however many clients hold it (one copy of the message);</li>
 *   <li>each message encoded once, as a bridge frame inside a whole WebSocket frame, and the same
 *       bytes written to every client;</li>
 *   <li>writes batched: clients are flushed once per event-loop turn, all their queued frames in one
 *       write, so under load many frames go out per system call;</li>
 *   <li>{@code ?batch=true} clients get JSON arrays of bridge frames, several messages per frame, in order;</li>
 *   <li>bounded per-client queues with a {@link SlowClientPolicy}.</li>
 * </ul>
 * The SockJS bridge's {@link BridgeRules} hold here too: a client registers only where it may receive,
 * sends only where it may send, with the control token where the address acts, and never publishes.
 * A send with a {@code replyAddress} gets its reply (or the failure) back as a bridge frame. Bridge
 * activity is republished on {@link Addresses#BRIDGE_EVENTS} exactly as the SockJS bridge does.
 *
 * <p>Create it on the event loop of the HTTP server that routes to it (in the verticle's
 * {@code start()}): its state is confined to that loop, and its consumers and timer belong to that
 * verticle. Several server instances need one endpoint each.
 */
public final class FanoutEndpoint {
  /** Close code for a client whose queue overflowed under {@link SlowClientPolicy#DISCONNECT}. */
  public static final int CLOSE_SLOW_CLIENT = 4001;
  /** Close code for a client that sent nothing (a subscription: no pong) for longer than the ping timeout. */
  public static final int CLOSE_PING_TIMEOUT = 4002;
  /** Close code when the server shuts the endpoint down. */
  public static final int CLOSE_GOING_AWAY = 1001;
  /** Close code for a client with more refused sends held back by the token throttle than it may have replies pending. */
  public static final int CLOSE_POLICY_VIOLATION = 1008;
  /** How long a closed client's close frame may wait behind unread data before the connection is cut. */
  public static final long CLOSE_GRACE_MS = 2_000;

  private static final Logger LOG = LoggerFactory.getLogger(FanoutEndpoint.class);
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  private static final int MAX_REPLY_ADDRESS = 100;
  private static final Buffer SOCKJS_OPEN = WebSocketFrames.frame(WebSocketFrames.TEXT, Buffer.buffer("o"));

  /**
   * All clients' registrations together, each costing its address's characters and {@link #REGISTRATION_COST}:
   * 16 Mi, about 60,000 registrations, far above any real use (1,000 dashboards of 20 addresses each are 5 Mi).
   */
  static final long MAX_REGISTERED_BYTES = 16L * 1024 * 1024;
  /**
   * What one registration holds besides its address (its entries in the client's and the route's sets and in the
   * clients' counts; a consumer too for a new address), in bytes and rounded up: short addresses must not make
   * the bound a count of characters that a million registrations fit in.
   */
  static final int REGISTRATION_COST = 256;
  /** How often the bound's refusals are logged at most: one line, with how many there were since. */
  private static final long BOUND_LOG_INTERVAL_MS = 10_000;
  private final Vertx vertx;
  private final Context context;
  private final Thread loop;
  private final BridgeRules rules;
  private final FanoutOptions options;
  private final Map<String, Route> routes = new HashMap<>();
  /** The most address bytes all clients together may hold registered: bounded memory whatever they ask. */
  private final long maxRegisteredBytes;
  private long registeredBytes;
  private long boundLoggedAt = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(BOUND_LOG_INTERVAL_MS);
  private long boundRefusals;
  private final Set<FanoutClient> clients = new LinkedHashSet<>();
  /** Sockets taken over and not closed yet: a closed client's stays open while its close frame drains. */
  private int openSockets;
  /** Asked at each upgrade: whether one more client may be taken. */
  private BooleanSupplier roomForClient = () -> true;
  /** Told of each HTTP connection that became a client here: from then on its close reaches only the client. */
  private Handler<HttpConnection> upgrades = connection -> {
  };
  private List<FanoutClient> dirty = new ArrayList<>();
  /** The list {@link #flushDirty} walks, kept between turns with the other: no list is grown for every turn. */
  private List<FanoutClient> flushing = new ArrayList<>();
  private boolean flushScheduled;
  private long conflations;
  private long conflatedMessages;
  private long slowClientCloses;
  /**
   * The most bytes all clients together may hold unsent (queued, or handed to their sockets): each client's
   * own bound times many clients that read nothing would be more than the heap.
   */
  private final long maxHeldBytes;
  /**
   * Only a client whose socket has taken nothing for this long may be closed for the budget: clients that read
   * but are handed one burst together (one shared message, counted once per client) are not slow.
   */
  private final long stalledNanos;
  private long nextBudgetScan = System.nanoTime();
  private long heldBytes;
  private long budgetCloses;
  /** What all clients hold of messages they have not finished sending, and the most they may. */
  private long unfinishedBytes;
  private final long maxUnfinishedBytes;
  private long unfinishedCloses;
  private final long sweeper;
  private final long heartbeat;
  private final long pinger;

  /**
   * The clients of one address and the one consumer that feeds them all. The consumer delivers to
   * its own route, never to a newer one for the same address, so a message still in flight to a
   * released consumer cannot reach a client twice.
   */
  private static final class Route {
    private final Set<FanoutClient> clients = new LinkedHashSet<>();
    /** The clients as an array, made again only after a change: what each message is delivered over. */
    private FanoutClient[] snapshot;
    /** {@code {"type":"rec","address":"<address>","body":}}: what every bridge frame of this address starts with. */
    final byte[] recPrefix;
    MessageConsumer<Object> consumer;

    Route(String address) {
      // The same encoder as the JsonObject path (Jackson's string escaping).
      recPrefix = ("{\"type\":\"rec\",\"address\":" + Json.encode(address) + ",\"body\":").getBytes(StandardCharsets.UTF_8);
    }

    void add(FanoutClient client) {
      clients.add(client);
      snapshot = null;
    }

    void remove(FanoutClient client) {
      clients.remove(client);
      snapshot = null;
    }

    boolean isEmpty() {
      return clients.isEmpty();
    }

    /**
     * The clients now. The array is not changed afterwards, so it may be walked while a client leaves
     * (a slow client closed by {@code enqueue} leaves the route during the walk).
     */
    FanoutClient[] clients() {
      if (snapshot == null) {
        snapshot = clients.toArray(new FanoutClient[0]);
      }
      return snapshot;
    }
  }

  public FanoutEndpoint(Vertx vertx, BridgeRules rules, FanoutOptions options) {
    this(vertx, rules, options, MAX_REGISTERED_BYTES, heldBudget(Runtime.getRuntime().maxMemory()), STALLED_FOR_BUDGET_MS);
  }

  FanoutEndpoint(Vertx vertx, BridgeRules rules, FanoutOptions options, long maxRegisteredBytes, long maxHeldBytes,
                 long stalledForBudgetMs) {
    LocalCodec.register(vertx, BridgeActivity.class);
    this.maxRegisteredBytes = maxRegisteredBytes;
    this.maxHeldBytes = maxHeldBytes;
    this.maxUnfinishedBytes = maxHeldBytes / 4;
    this.stalledNanos = TimeUnit.MILLISECONDS.toNanos(stalledForBudgetMs);
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    if (!Context.isOnEventLoopThread()) {
      throw new IllegalStateException("create the fan-out endpoint on the HTTP server's event loop (in the verticle's start())");
    }
    this.loop = Thread.currentThread();
    this.rules = rules;
    this.options = options;
    this.sweeper = vertx.setPeriodic(Math.max(50, options.pingTimeoutMs() / 4), id -> closeSilentClients());
    this.heartbeat = vertx.setPeriodic(options.sockJsHeartbeatMs(), id -> heartbeat());
    // Every client is pinged three times within the timeout, and its pongs keep it: a subscription sends nothing
    // of its own, and a bridge client in a background tab sends its pings when the browser lets its timers run
    // (once a minute, after a few minutes hidden, in Chrome), where the browser answers pings at once.
    this.pinger = vertx.setPeriodic(options.pingTimeoutMs() / 3, id -> pingClients());
  }

  /**
   * Takes an upgrade on the raw endpoint ({@code /eventbus/websocket}): one bridge frame per
   * WebSocket frame, or arrays of them with {@code ?batch=true}. Anything else gets 400 with the reason.
   */
  public void handle(HttpServerRequest request) {
    upgrade(request, "true".equals(request.getParam("batch")) ? Framing.BATCH : Framing.RAW, Set.of());
  }

  /**
   * Takes an upgrade on SockJS's websocket transport ({@code /eventbus/<server>/<session>/websocket}),
   * the one {@code @vertx/eventbus-bridge-client.js} uses whenever the browser has WebSockets.
   */
  public void handleSockJs(HttpServerRequest request) {
    upgrade(request, Framing.SOCKJS, Set.of());
  }

  /**
   * Takes an upgrade for a read-only subscription ({@code /subscribe}): registered at once on the given
   * addresses, which the caller has checked against the bridge rules; each message one text frame, its
   * envelope or only its data. It is pinged, and its pongs keep it connected. Anything wrong with the
   * upgrade gets 400 with the reason; no room left for its registrations, 503.
   */
  public void subscribe(HttpServerRequest request, Set<String> addresses, boolean dataOnly) {
    upgrade(request, dataOnly ? Framing.SUBSCRIBE_DATA : Framing.SUBSCRIBE_ENVELOPE, addresses);
  }

  /** @param addresses what a subscription registers on at once; empty for a bridge client, which registers itself */
  private void upgrade(HttpServerRequest request, Framing framing, Set<String> addresses) {
    if (Thread.currentThread() != loop) {
      // Requests run on a duplicate of the server's context, so compare threads. Another thread is a
      // wiring mistake (the endpoint's state is confined to its loop): refuse loudly.
      refuse(request, 500, "fan-out endpoint called off its event loop");
      LOG.error("FanoutEndpoint.handle called off its event loop: create one endpoint per HTTP server instance");
      return;
    }
    String problem = upgradeProblem(request);
    if (problem != null) {
      refuse(request, 400, problem);
      return;
    }
    if (!roomForClient.getAsBoolean()) {
      // Closed after the answer: the client asked for a WebSocket, and its connection is better freed at once.
      request.response().putHeader(HttpHeaders.CONNECTION, "close");
      refuse(request, 503, "the server has as many bridge clients as it may hold; try again later")
          .onComplete(v -> request.connection().close());
      return;
    }
    if (registeredBytes + addresses.stream().mapToLong(FanoutEndpoint::cost).sum() > maxRegisteredBytes) {
      boundReached("a subscription");
      refuse(request, 503, "the server holds as many registrations as it may; try again later");
      return;
    }
    request.response()
        .putHeader(HttpHeaders.UPGRADE, "websocket")
        .putHeader(HttpHeaders.CONNECTION, "Upgrade")
        .putHeader("Sec-WebSocket-Accept", WebSocketFrames.acceptKey(request.getHeader("Sec-WebSocket-Key")));
    request.toNetSocket()
        .onSuccess(socket -> {
          upgrades.handle(request.connection());
          accept(socket, framing, addresses);
        })
        .onFailure(err -> {
          LOG.info("fan-out upgrade from {} failed: {}", request.remoteAddress(), err.toString());
          if (!request.response().headWritten()) {
            request.response().headers().clear(); // the upgrade's headers: this is no upgrade
            refuse(request, 400, "the upgrade could not be made: " + err.getMessage());
          }
        });
  }

  /** An upgrade not taken: {@code {"error": ...}}, as every API path answers. */
  private static Future<Void> refuse(HttpServerRequest request, int code, String message) {
    return request.response().setStatusCode(code).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("error", message).encode());
  }

  /**
   * Tells {@code handler} of each HTTP connection taken over by a client, as it is taken: that connection's
   * own close handler is not called again; the socket's close ends it ({@link #socketCount} drops).
   */
  public void onUpgrade(Handler<HttpConnection> handler) {
    this.upgrades = handler;
  }

  /**
   * Bounds the clients: an upgrade while {@code roomForClient} says no is answered 503, and its connection
   * closed. Unset, every upgrade is taken; HttpApi sets it from http.maxConnections, and counts and logs the
   * refusals.
   */
  public void boundClients(BooleanSupplier roomForClient) {
    this.roomForClient = roomForClient;
  }

  /** Sockets taken over and not closed yet: the clients, and closed ones whose close frame is still draining. */
  public int socketCount() {
    return openSockets;
  }

  /** Clients connected now. */
  public int clientCount() {
    return clients.size();
  }

  /** Event-bus consumers held now: one per address with at least one client. */
  public int consumerCount() {
    return routes.size();
  }

  /** How many times a full queue was conflated (under {@link SlowClientPolicy#CONFLATE}). */
  public long conflations() {
    return conflations;
  }

  /** Messages a client did not get because its full queue was conflated. */
  public long conflatedMessages() {
    return conflatedMessages;
  }

  /** Clients closed with {@link #CLOSE_SLOW_CLIENT} so far, by their own bound or by the budget of all. */
  public long slowClientCloses() {
    return slowClientCloses;
  }

  /** Of those, the clients closed because all clients together held more than the budget. */
  public long budgetCloses() {
    return budgetCloses;
  }

  /** Bytes all clients hold now, queued or handed to their sockets and not yet written. */
  public long heldBytes() {
    return heldBytes;
  }

  /** Bytes all clients hold of messages they have not finished sending. */
  public long unfinishedBytes() {
    return unfinishedBytes;
  }

  /** Clients closed with 1008 for a message they did not finish: too slowly, or holding the most past the bound of all. */
  public long unfinishedCloses() {
    return unfinishedCloses;
  }

  /**
   * Counts what a client holds of a message it has not finished sending. Past the bound of all clients (an eighth
   * of the heap), the one that holds the most is closed: clients that each begin a large message and never end it
   * cannot take the heap, however many there are.
   */
  void unfinished(long bytes) {
    unfinishedBytes += bytes;
    while (bytes > 0 && unfinishedBytes > maxUnfinishedBytes) {
      FanoutClient largest = null;
      for (FanoutClient client : clients) {
        if (largest == null || client.unfinishedBytes() > largest.unfinishedBytes()) {
          largest = client;
        }
      }
      if (largest == null || largest.unfinishedBytes() == 0) {
        return;
      }
      unfinishedCloses++;
      LOG.info("bridge socket {}: closed: the bridge's clients hold {} bytes of messages they have not finished sending, more than"
          + " the {} they may in all; this one held the most, {}", largest.id, unfinishedBytes, maxUnfinishedBytes, largest.unfinishedBytes());
      largest.close(CLOSE_POLICY_VIOLATION, "the server holds as many unfinished messages as it may, and this one's is the largest");
    }
  }

  /** How long a client's socket must have taken nothing before the budget may close it. */
  static final long STALLED_FOR_BUDGET_MS = 1_000;

  /** Half the heap: the rest is for everything else (listeners, their stores, the registrations). */
  static long heldBudget(long maxHeapBytes) {
    return maxHeapBytes / 2;
  }

  void held(long bytes) {
    heldBytes += bytes;
  }

  /**
   * Past the budget, closes the stalled client that holds the most (its socket has taken nothing for a second:
   * it reads least, or asks most) with 4001, until the rest are within it: many clients that never read cannot
   * take the heap, however many there are. Clients that read are left alone, whatever they were just handed.
   */
  void withinBudget() {
    if (heldBytes <= maxHeldBytes) {
      return;
    }
    long now = System.nanoTime();
    if (now - nextBudgetScan < 0) {
      return; // none was stalled long enough a moment ago: not a scan of every client for every message
    }
    while (heldBytes > maxHeldBytes) {
      FanoutClient largest = null;
      for (FanoutClient client : clients) {
        if (client.fullFor(now) >= stalledNanos && (largest == null || client.heldBytes() > largest.heldBytes())) {
          largest = client;
        }
      }
      if (largest == null || largest.heldBytes() == 0) {
        nextBudgetScan = now + TimeUnit.MILLISECONDS.toNanos(10);
        return;
      }
      budgetCloses++;
      slowClientCloses++;
      LOG.info("bridge socket {}: closed as slow: the bridge's clients hold {} bytes unsent, more than the {} they may in all;"
          + " this one held the most, {}", largest.id, heldBytes, maxHeldBytes, largest.heldBytes());
      largest.close(CLOSE_SLOW_CLIENT, "slow client: the bridge's clients hold more than they may in all, and this one the most");
    }
  }

  /** Closes every client with 1001 and drops the consumers. */
  public Future<Void> close() {
    vertx.cancelTimer(sweeper);
    vertx.cancelTimer(heartbeat);
    vertx.cancelTimer(pinger);
    List<Future<Void>> done = new ArrayList<>();
    for (FanoutClient client : List.copyOf(clients)) {
      client.close(CLOSE_GOING_AWAY, "server shutting down");
    }
    routes.values().forEach(r -> done.add(r.consumer.unregister()));
    routes.clear();
    return Future.all(done).mapEmpty();
  }

  private static String upgradeProblem(HttpServerRequest request) {
    if (request.method() != HttpMethod.GET) {
      return "a WebSocket upgrade must be a GET";
    }
    String upgrade = request.getHeader(HttpHeaders.UPGRADE);
    if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
      return "this endpoint speaks WebSocket only (Upgrade: websocket)";
    }
    if (!asksForUpgrade(request)) {
      return "a WebSocket upgrade needs Connection: Upgrade";
    }
    if (!"13".equals(request.getHeader("Sec-WebSocket-Version"))) {
      return "only WebSocket version 13 is supported";
    }
    if (request.getHeader("Sec-WebSocket-Key") == null) {
      return "Sec-WebSocket-Key is missing";
    }
    return null;
  }

  /** The Connection header is a list of tokens, in one or several headers; one of them must be "upgrade". */
  private static boolean asksForUpgrade(HttpServerRequest request) {
    for (String value : request.headers().getAll(HttpHeaders.CONNECTION)) {
      for (String token : value.split(",")) {
        if (token.trim().equalsIgnoreCase("upgrade")) {
          return true;
        }
      }
    }
    return false;
  }

  private void accept(NetSocket socket, Framing framing, Set<String> addresses) {
    exemptFromIdleTimeout(socket);
    FanoutClient client = new FanoutClient(UUID.randomUUID().toString(), this, socket, framing, options, System.nanoTime());
    clients.add(client);
    if (framing == Framing.SOCKJS) {
      socket.write(SOCKJS_OPEN);
    }
    socket.handler(data -> client.onData(data, System.nanoTime()));
    socket.drainHandler(v -> client.drained());
    socket.exceptionHandler(err -> LOG.debug("fan-out client {}: {}", client.id, err.toString()));
    openSockets++;
    socket.closeHandler(v -> {
      openSockets--;
      client.connectionClosed();
      removed(client);
    });
    activity(BridgeActivity.Kind.SOCKET_CREATED, client.id, null);
    for (String address : addresses) {
      // Already checked against the rules and the registration bound, within this same event-loop turn.
      add(client, address);
    }
  }

  /**
   * Takes the HTTP server's idle timeout off an upgraded connection: from here on the ping timeout
   * decides when a client is gone (its pongs to the server's pings count), which the idle timeout may be
   * shorter than.
   */
  private static void exemptFromIdleTimeout(NetSocket socket) {
    if (socket instanceof NetSocketInternal internal) {
      ChannelPipeline pipeline = internal.channelHandlerContext().pipeline();
      if (pipeline.get(IdleStateHandler.class) != null) {
        pipeline.remove(IdleStateHandler.class);
      }
    }
  }

  /** Registers the client on an address, or answers why not. */
  void register(FanoutClient client, String address) {
    if (address != null && address.length() > BridgeRules.MAX_ADDRESS_LENGTH) {
      client.reply(error(address.substring(0, 40) + "...", "address_too_long: at most " + BridgeRules.MAX_ADDRESS_LENGTH + " characters"));
      return;
    }
    if (!rules.mayReceive(address)) {
      client.reply(error(address, "access_denied"));
      return;
    }
    if (client.addresses.contains(address)) {
      return;
    }
    if (client.handlers() >= options.maxHandlersPerSocket()) {
      client.reply(error(address, "max_handlers_reached"));
      return;
    }
    if (registeredBytes + cost(address) > maxRegisteredBytes) {
      boundReached("a registration");
      client.reply(error(address, "too_many_registrations: the server holds as many as it may; try again later"));
      return;
    }
    add(client, address);
  }

  private static long cost(String address) {
    return address.length() + REGISTRATION_COST;
  }

  /** Logs a refusal at the bound, at most once per interval: a client that keeps asking does not flood the log from the loop. */
  private void boundReached(String what) {
    boundRefusals++;
    long now = System.nanoTime();
    if (now - boundLoggedAt >= TimeUnit.MILLISECONDS.toNanos(BOUND_LOG_INTERVAL_MS)) {
      LOG.warn("fan-out: refused {} ({} refused since the last such line): the clients' registrations hold {} bytes, the bound",
          what, boundRefusals, registeredBytes);
      boundLoggedAt = now;
      boundRefusals = 0;
    }
  }

  /** Registers a client on an address; the caller has checked it against the rules and the registration bound. */
  private void add(FanoutClient client, String address) {
    if (client.addresses.add(address)) {
      registeredBytes += cost(address);
      if (!address.equals(Addresses.BRIDGE_DROPPED)) { // the client's own notices: nothing comes from the event bus
        routes.computeIfAbsent(address, a -> {
          Route route = new Route(a);
          route.consumer = vertx.eventBus().consumer(a, msg -> deliver(route, a, msg.body()));
          return route;
        }).add(client);
      }
      activity(BridgeActivity.Kind.REGISTER, client.id, address);
    }
  }

  /**
   * A client's send, decided by the bridge rules. Refused: {@code access_denied} for an address no
   * browser may send to; for a missing or wrong token, the reason on the reply address (when there
   * is one) and the bridge's {@code rejected}, as the SockJS bridge answers.
   */
  void send(FanoutClient client, String address, JsonObject frame) {
    Object replyValue = frame.getValue("replyAddress");
    if (replyValue != null && !(replyValue instanceof String r && !r.isEmpty() && r.length() <= MAX_REPLY_ADDRESS)) {
      client.reply(error(address, "invalid_reply_address"));
      return;
    }
    String replyAddress = (String) replyValue;
    JsonObject headers = frame.getValue("headers") instanceof JsonObject h ? h : null;
    Object body = frame.getValue("body");
    BridgeRules.Decision decision = rules.send(client.id, client.remote, address, headers, body);
    switch (decision.verdict()) {
      case ALLOWED -> forward(client, address, headers, body, replyAddress);
      case NOT_PERMITTED -> client.reply(error(address, "access_denied"));
      default -> refuse(client, address, replyAddress, decision);
    }
  }

  /**
   * Answers a send refused for its token: at once, or, for a wrong token from an address that keeps
   * sending them, after the throttle's delay. A held-back refusal counts as a pending reply; a client
   * with more of them than it may have replies pending is a guesser, and is closed.
   */
  private void refuse(FanoutClient client, String address, String replyAddress, BridgeRules.Decision decision) {
    BridgeRules.Verdict verdict = decision.verdict();
    if (decision.delayMs() == 0) {
      answerRefusal(client, address, replyAddress, verdict);
      return;
    }
    if (client.handlers() >= options.maxHandlersPerSocket()) {
      LOG.info("bridge socket {}: closed: more than {} refused sends awaiting their answer", client.id, options.maxHandlersPerSocket());
      client.close(CLOSE_POLICY_VIOLATION, "too many refused sends awaiting their answer");
      return;
    }
    client.pendingReplies++;
    vertx.setTimer(decision.delayMs(), id -> {
      client.pendingReplies--;
      answerRefusal(client, address, replyAddress, verdict);
    });
  }

  private static void answerRefusal(FanoutClient client, String address, String replyAddress, BridgeRules.Verdict verdict) {
    if (replyAddress != null) {
      client.reply(failure(replyAddress, verdict.failureCode, ReplyFailure.RECIPIENT_FAILURE, verdict.message));
    }
    client.reply(error(address, "rejected"));
  }

  /** Audits a publish and answers it with the bridge's {@code rejected}: browsers send, never publish. */
  void publish(FanoutClient client, String address) {
    rules.publishRefused(client.id, client.remote, address);
    client.reply(error(address, "rejected"));
  }

  private void forward(FanoutClient client, String address, JsonObject headers, Object body, String replyAddress) {
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(options.replyTimeoutMs());
    if (headers != null) {
      headers.forEach(h -> delivery.addHeader(h.getKey(), String.valueOf(h.getValue())));
    }
    if (replyAddress == null) {
      try {
        vertx.eventBus().send(address, body, delivery);
      } catch (IllegalArgumentException e) { // a body the event bus has no codec for, e.g. a huge integer
        client.reply(error(address, "invalid_body"));
      }
      return;
    }
    if (client.handlers() >= options.maxHandlersPerSocket()) {
      client.reply(failure(replyAddress, 429, ReplyFailure.RECIPIENT_FAILURE, "too many requests awaiting a reply on this socket"));
      return;
    }
    Future<Message<Object>> reply;
    try {
      reply = vertx.eventBus().request(address, body, delivery);
    } catch (IllegalArgumentException e) {
      client.reply(error(address, "invalid_body"));
      return;
    }
    client.pendingReplies++;
    reply.onComplete(ar -> {
      client.pendingReplies--;
      if (ar.failed()) {
        ReplyException e = ar.cause() instanceof ReplyException re ? re
            : new ReplyException(ReplyFailure.RECIPIENT_FAILURE, String.valueOf(ar.cause().getMessage()));
        client.reply(failure(replyAddress, e.failureCode(), e.failureType(), e.getMessage()));
        return;
      }
      try {
        client.reply(new JsonObject().put("type", "rec").put("address", replyAddress).put("body", ar.result().body()));
      } catch (RuntimeException e) {
        LOG.warn("fan-out: the reply from {} cannot be encoded as JSON ({})", address, e.toString());
        client.reply(failure(replyAddress, 500, ReplyFailure.RECIPIENT_FAILURE, "the reply cannot be encoded as JSON"));
      }
    });
  }

  static JsonObject error(String address, String body) {
    JsonObject error = new JsonObject().put("type", "err").put("body", body);
    return address == null ? error : error.put("address", address);
  }

  private static JsonObject failure(String replyAddress, int code, ReplyFailure type, String message) {
    return new JsonObject().put("type", "err").put("address", replyAddress)
        .put("failureCode", code).put("failureType", type.name()).put("message", message);
  }

  void unregister(FanoutClient client, String address) {
    if (!client.addresses.remove(address)) {
      return;
    }
    registeredBytes -= cost(address);
    Route route = routes.get(address);
    if (route != null) {
      route.remove(client);
      if (route.isEmpty()) {
        routes.remove(address);
        route.consumer.unregister();
      }
    }
    activity(BridgeActivity.Kind.UNREGISTER, client.id, address);
  }

  /** A client is gone (closed by either side): release what it held, once. */
  void removed(FanoutClient client) {
    if (!clients.remove(client)) {
      return;
    }
    for (String address : List.copyOf(client.addresses)) {
      unregister(client, address);
    }
    activity(BridgeActivity.Kind.SOCKET_CLOSED, client.id, null);
  }

  /** Flush this client at the end of the current event-loop turn, with whatever else queues by then. */
  void markDirty(FanoutClient client) {
    if (!client.dirty) {
      client.dirty = true;
      dirty.add(client);
    }
    if (!flushScheduled) {
      flushScheduled = true;
      context.runOnContext(v -> flushDirty());
    }
  }

  void closeLater(NetSocket socket) {
    vertx.setTimer(CLOSE_GRACE_MS, id -> socket.close());
  }

  void conflated(int messages) {
    conflations++;
    conflatedMessages += messages;
  }

  void slowClientClosed() {
    slowClientCloses++;
  }

  private void flushDirty() {
    flushScheduled = false;
    List<FanoutClient> now = dirty;
    dirty = flushing; // a client marked dirty while these flush waits for the next turn
    flushing = now;
    for (FanoutClient client : now) {
      client.dirty = false;
      client.flush();
    }
    now.clear();
  }

  private void deliver(Route route, String address, Object body) {
    if (route.isEmpty()) {
      return;
    }
    Delivery delivery;
    JsonEnvelope envelope = body instanceof JsonObject json ? EnvelopeView.untouched(json) : null;
    if (envelope != null) {
      // The upstream's own bytes inside the frame: nothing parsed, nothing encoded but the envelope's head.
      delivery = Delivery.ofEnvelope(address, route.recPrefix, envelope);
    } else {
      try {
        delivery = Delivery.ofBody(address, route.recPrefix, body);
      } catch (RuntimeException e) {
        LOG.warn("fan-out: a message on {} cannot be encoded as JSON ({}); not delivered", address, e.toString());
        return;
      }
    }
    for (FanoutClient client : route.clients()) {
      client.enqueue(delivery);
    }
  }

  private void heartbeat() {
    for (FanoutClient client : List.copyOf(clients)) { // a copy: a slow client closed by enqueue leaves the set
      if (client.framing() == Framing.SOCKJS) {
        client.enqueue(Delivery.SOCKJS_HEARTBEAT);
      }
    }
  }

  private void pingClients() {
    for (FanoutClient client : List.copyOf(clients)) { // a copy: a slow client closed by enqueue leaves the set
      client.enqueue(Delivery.SERVER_PING);
    }
  }

  private void closeSilentClients() {
    long limit = System.nanoTime() - options.pingTimeoutMs() * 1_000_000L;
    for (FanoutClient client : List.copyOf(clients)) {
      long unfinishedSince = client.unfinishedSince();
      if (client.lastSeen < limit) {
        client.close(CLOSE_PING_TIMEOUT, "no pong to the server's pings, nor any other frame, for " + options.pingTimeoutMs() + " ms");
      } else if (unfinishedSince != 0 && unfinishedSince < limit) {
        // Its pongs keep it from the check above; what it holds of a message it never ends would stay for good.
        unfinishedCloses++;
        LOG.info("bridge socket {}: closed: a message not finished within {} ms ({} bytes of it held)", client.id,
            options.pingTimeoutMs(), client.unfinishedBytes());
        client.close(CLOSE_POLICY_VIOLATION, "a message not finished within " + options.pingTimeoutMs() + " ms");
      }
    }
  }

  private void activity(BridgeActivity.Kind kind, String socket, String address) {
    vertx.eventBus().publish(Addresses.BRIDGE_EVENTS, new BridgeActivity(kind, socket, address), LOCAL);
  }
}
