package dev.switchboard.server.fanout;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.BridgeActivity;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.core.LocalCodec;
import dev.switchboard.core.envelope.JsonEnvelope;
import dev.switchboard.core.envelope.JsonEnvelopeCodec;
import dev.switchboard.core.testing.Await;
import dev.switchboard.server.BridgeClient;
import dev.switchboard.server.http.BridgeRules;
import dev.switchboard.server.http.ControlToken;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import static dev.switchboard.server.BridgeClient.sendFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fan-out path with real sockets: Vert.x WebSocket clients speaking the bridge protocol. */
@ExtendWith(VertxExtension.class)
class FanoutEndpointTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final String FEED = "upstream.feed.message";
  private static final String TOKEN = "fanout-test-token";

  private Vertx vertx;
  private final List<BridgeActivity> activity = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    LocalCodec.register(vertx, BridgeActivity.class);
    vertx.eventBus().<BridgeActivity>consumer(Addresses.BRIDGE_EVENTS, m -> activity.add(m.body()))
        .completion().await();
  }

  /** Mounted as HttpApi would mount it: a Router route on the raw endpoint's path. */
  static final class FanoutServer extends VerticleBase {
    private final FanoutOptions options;
    private final long maxRegisteredBytes;
    private final long maxHeldBytes;
    FanoutEndpoint endpoint;
    private HttpServer server;

    FanoutServer(FanoutOptions options) {
      this(options, FanoutEndpoint.MAX_REGISTERED_BYTES);
    }

    FanoutServer(FanoutOptions options, long maxRegisteredBytes) {
      this(options, maxRegisteredBytes, FanoutEndpoint.heldBudget(Runtime.getRuntime().maxMemory()));
    }

    FanoutServer(FanoutOptions options, long maxRegisteredBytes, long maxHeldBytes) {
      this.options = options;
      this.maxRegisteredBytes = maxRegisteredBytes;
      this.maxHeldBytes = maxHeldBytes;
    }

    @Override
    public Future<?> start() {
      endpoint = new FanoutEndpoint(vertx, new BridgeRules(new ControlToken(TOKEN), ListenerKinds.discover()), options, maxRegisteredBytes, maxHeldBytes, 100);
      Router router = Router.router(vertx);
      router.get("/eventbus/websocket").handler(ctx -> endpoint.handle(ctx.request()));
      router.get("/eventbus/:server/:session/websocket").handler(ctx -> endpoint.handleSockJs(ctx.request()));
      // As HttpApi's SubscriptionEndpoint hands it over, once it has checked the addresses against the rules.
      router.get("/subscribe").handler(ctx -> endpoint.subscribe(ctx.request(), new LinkedHashSet<>(ctx.queryParam("address")),
          "data".equals(ctx.queryParams().get("format"))));
      server = vertx.createHttpServer().requestHandler(router);
      return server.listen(0, "127.0.0.1");
    }

    @Override
    public Future<?> stop() {
      return endpoint.close();
    }

    int port() {
      return server.actualPort();
    }

    <T> T onLoop(Supplier<T> read) {
      Promise<T> value = Promise.promise();
      context.runOnContext(v -> value.complete(read.get()));
      return value.future().await();
    }
  }

  private FanoutServer deploy(FanoutOptions options) {
    FanoutServer server = new FanoutServer(options);
    vertx.deployVerticle(server).await();
    return server;
  }

  private long registrations(BridgeActivity.Kind kind) {
    return activity.stream().filter(a -> a.kind() == kind).count();
  }

  private void publish(int from, int to, String address, int padding) {
    String pad = "x".repeat(padding);
    for (int i = from; i < to; i++) {
      vertx.eventBus().publish(address, new JsonObject().put("n", i).put("pad", pad));
    }
  }

  @Test
  @DisplayName("every client receives every message once, in order, and all clients of an address share one consumer")
  void orderAndNoLoss() {
    FanoutServer server = deploy(FanoutOptions.defaults());
    List<BridgeClient> clients = IntStream.range(0, 20).mapToObj(i -> BridgeClient.connect(vertx, server.port(), "/eventbus/websocket")).toList();
    clients.forEach(c -> c.register(FEED));
    Await.until(WAIT, "20 registrations", () -> registrations(BridgeActivity.Kind.REGISTER) == 20);
    assertEquals(1, server.onLoop(server.endpoint::consumerCount));

    publish(0, 5_000, FEED, 200);

    List<Integer> expected = IntStream.range(0, 5_000).boxed().toList();
    for (BridgeClient c : clients) {
      Await.until(WAIT, "5000 messages", () -> c.numbers().size() >= 5_000);
      assertEquals(expected, c.numbers());
      JsonObject first = c.messages().get(0);
      assertEquals("rec", first.getString("type"));
      assertEquals(FEED, first.getString("address"));
    }
  }

  @Test
  @DisplayName("a client that asks for batches gets arrays of bridge frames, every message once and in order")
  void batches() {
    FanoutServer server = deploy(FanoutOptions.defaults());
    BridgeClient batch = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket?batch=true");
    BridgeClient plain = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    batch.register(FEED);
    plain.register(FEED);
    Await.until(WAIT, "2 registrations", () -> registrations(BridgeActivity.Kind.REGISTER) == 2);

    publish(0, 3_000, FEED, 100);

    List<Integer> expected = IntStream.range(0, 3_000).boxed().toList();
    Await.until(WAIT, "3000 messages in batches", () -> batch.numbers().size() >= 3_000);
    Await.until(WAIT, "3000 single messages", () -> plain.numbers().size() >= 3_000);
    assertEquals(expected, batch.numbers());
    assertEquals(expected, plain.numbers());
    assertTrue(batch.frames.stream().allMatch(f -> f instanceof JsonArray), "a batch client only gets arrays");
    assertTrue(batch.frames.stream().allMatch(f -> ((JsonArray) f).size() <= FanoutOptions.defaults().maxBatch()));
    assertTrue(plain.frames.stream().allMatch(f -> f instanceof JsonObject), "a plain client never gets arrays");
  }

  @Test
  @DisplayName("SockJS's websocket transport: 'o' on open, 'h' heartbeats, messages as a[\"frame\",...] in order, sends as arrays of strings, c[code,reason] on close")
  void sockJsFraming() {
    FanoutServer server = deploy(FanoutOptions.defaults().withMaxQueuedBytes(64 * 1024).withSockJsHeartbeatMs(100));
    vertx.eventBus().<JsonObject>consumer(Addresses.STATUS_SNAPSHOT, m -> m.reply(new JsonObject().put("seq", 7))).completion().await();
    List<String> raw = new CopyOnWriteArrayList<>();
    // Handlers before connecting: the server writes 'o' as soon as the upgrade is done.
    // The client referenced to the end (closed below): Vert.x 5 shuts a client down once it is garbage collected.
    WebSocketClient client = vertx.createWebSocketClient();
    ClientWebSocket socket = client.webSocket();
    AtomicInteger closeCode = new AtomicInteger(-1);
    socket.textMessageHandler(raw::add);
    socket.closeHandler(v -> closeCode.set(socket.closeStatusCode()));
    socket.connect(server.port(), "127.0.0.1", "/eventbus/123/abcdef/websocket").await();
    Await.until(WAIT, "the open frame", () -> !raw.isEmpty());
    assertEquals("o", raw.get(0));
    Await.until(WAIT, "a heartbeat", () -> raw.contains("h"));

    // Two bridge frames in one SockJS message, as the client library sends them.
    socket.writeTextMessage(new JsonArray()
        .add(new JsonObject().put("type", "register").put("address", FEED).encode())
        .add(new JsonObject().put("type", "send").put("address", Addresses.STATUS_SNAPSHOT).put("replyAddress", "r-1").encode())
        .encode()).await();
    Await.until(WAIT, "registration", () -> registrations(BridgeActivity.Kind.REGISTER) == 1);
    publish(0, 300, FEED, 0);
    Await.until(WAIT, "300 messages and the reply", () -> sockJsMessages(raw).size() == 301);
    List<JsonObject> messages = sockJsMessages(raw);
    assertEquals(new JsonObject().put("type", "rec").put("address", "r-1").put("body", new JsonObject().put("seq", 7)),
        messages.stream().filter(m -> "r-1".equals(m.getString("address"))).findFirst().orElseThrow());
    assertEquals(IntStream.range(0, 300).boxed().toList(), messages.stream().filter(m -> FEED.equals(m.getString("address")))
        .map(m -> m.getJsonObject("body").getInteger("n")).toList());
    List<String> data = raw.stream().skip(1).filter(f -> !f.equals("h")).toList();
    assertTrue(data.stream().allMatch(f -> f.startsWith("a[")), "every later frame is a SockJS array or a heartbeat");
    assertTrue(data.size() < 301, "several messages share a frame: " + data.size() + " frames");

    socket.pause(); // stops reading: the queue fills and the slow-client policy closes it, SockJS-style
    for (int sent = 300; registrations(BridgeActivity.Kind.SOCKET_CLOSED) == 0 && sent < 200_000; sent += 500) {
      publish(sent, sent + 500, FEED, 1_000);
      server.onLoop(server.endpoint::clientCount); // lets the loop deliver them before the next batch
    }
    assertEquals(1, registrations(BridgeActivity.Kind.SOCKET_CLOSED));
    socket.resume();
    Await.until(WAIT, "closed", () -> closeCode.get() != -1);
    assertEquals(1000, closeCode.get(), "the WebSocket itself closes normally; the reason is in SockJS's frame");
    JsonArray close = new JsonArray(raw.get(raw.size() - 1).substring(1));
    assertEquals(FanoutEndpoint.CLOSE_SLOW_CLIENT, close.getInteger(0));
    assertTrue(close.getString(1).startsWith("slow client"), close.encode());
    client.close().await();
  }

  /** The bridge frames inside SockJS frames: a["&lt;json&gt;",...]. */
  private static List<JsonObject> sockJsMessages(List<String> raw) {
    List<JsonObject> out = new ArrayList<>();
    for (String frame : raw) {
      if (frame.startsWith("a")) {
        new JsonArray(frame.substring(1)).forEach(text -> out.add(new JsonObject((String) text)));
      }
    }
    return out;
  }

  @Test
  @DisplayName("the bridge's outbound rules hold: a forbidden register gets access_denied and no messages")
  void registerRules() {
    FanoutServer server = deploy(FanoutOptions.defaults());
    BridgeClient c = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    c.register("switchboard.control");
    c.register("upstream.feed.send");
    c.register(FEED);
    Await.until(WAIT, "the permitted registration", () -> registrations(BridgeActivity.Kind.REGISTER) == 1);
    Await.until(WAIT, "two refusals", () -> c.messages().size() >= 2);
    List<JsonObject> errors = c.messages();
    assertEquals(List.of("switchboard.control", "upstream.feed.send"), errors.stream().map(e -> e.getString("address")).toList());
    assertTrue(errors.stream().allMatch(e -> e.getString("type").equals("err") && e.getString("body").equals("access_denied")));
    assertEquals(List.of(FEED), activity.stream().filter(a -> a.kind() == BridgeActivity.Kind.REGISTER).map(BridgeActivity::address).toList());

    vertx.eventBus().publish("upstream.feed.send", new JsonObject().put("n", -1));
    vertx.eventBus().publish("switchboard.control", new JsonObject().put("n", -1));
    publish(0, 1, FEED, 0);
    Await.until(WAIT, "the permitted message", () -> c.numbers().size() == 1);
    assertEquals(List.of(0), c.numbers());
    assertEquals(1, server.onLoop(server.endpoint::consumerCount), "no consumer for a refused address");
  }

  @Test
  @DisplayName("sends follow the bridge's inbound rules: read-only ones are answered, acting ones need the token, publishes are rejected")
  void sendRules() {
    FanoutServer server = deploy(FanoutOptions.defaults());
    List<JsonObject> acted = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.STATUS_SNAPSHOT, m -> m.reply(new JsonObject().put("listeners", new JsonArray())));
    vertx.eventBus().<JsonObject>consumer("upstream.feed.send", m -> {
      acted.add(new JsonObject().put("body", m.body()).put("token", m.headers().get("token")).put("other", m.headers().get("other")));
      m.reply(new JsonObject().put("sent", true));
    });
    vertx.eventBus().<JsonObject>consumer("homeassistant.home.call", m -> m.fail(502, "upstream said no")).completion().await();
    BridgeClient c = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");

    c.send(sendFrame(Addresses.STATUS_SNAPSHOT, null, "r-snap", null));
    assertEquals(new JsonObject().put("type", "rec").put("address", "r-snap").put("body", new JsonObject().put("listeners", new JsonArray())),
        c.reply("r-snap"));

    c.send(sendFrame("upstream.feed.send", new JsonObject().put("cmd", "on"), "r-none", null));
    JsonObject noToken = c.reply("r-none");
    assertEquals(401, noToken.getInteger("failureCode"), noToken.encode());
    assertTrue(noToken.getString("message").contains("control token"), noToken.encode());
    c.send(sendFrame("upstream.feed.send", new JsonObject().put("cmd", "on"), "r-wrong", "guess"));
    assertEquals(403, c.reply("r-wrong").getInteger("failureCode"));
    Await.until(WAIT, "two rejections", () -> c.errors("rejected") == 2);
    assertTrue(acted.isEmpty(), "nothing acted without the right token: " + acted);

    JsonObject withToken = sendFrame("upstream.feed.send", new JsonObject().put("cmd", "on"), "r-ok", TOKEN);
    withToken.getJsonObject("headers").put("other", "kept");
    c.send(withToken);
    assertEquals(new JsonObject().put("sent", true), c.reply("r-ok").getJsonObject("body"));
    assertEquals(new JsonObject().put("body", new JsonObject().put("cmd", "on")).putNull("token").put("other", "kept"), acted.get(0),
        "the token goes no further than the bridge; other headers do");

    c.send(sendFrame("homeassistant.home.call", new JsonObject(), "r-fail", TOKEN));
    JsonObject failed = c.reply("r-fail");
    assertEquals(502, failed.getInteger("failureCode"));
    assertEquals("RECIPIENT_FAILURE", failed.getString("failureType"));
    assertEquals("upstream said no", failed.getString("message"));

    c.send(sendFrame(Addresses.LISTENER_REPORTS, new JsonObject(), "r-denied", TOKEN));
    c.send(new JsonObject().put("type", "publish").put("address", "upstream.feed.send").put("body", new JsonObject())
        .put("headers", new JsonObject().put("token", TOKEN)));
    Await.until(WAIT, "the denial and the publish rejected", () -> c.errors("access_denied") == 1 && c.errors("rejected") == 3);
    assertEquals(1, acted.size(), "a publish never reaches an acting address");
  }

  @Test
  @DisplayName("registration memory is bounded: a permitted address over 256 characters is refused, and so is any past the total bound")
  void registrationMemoryBounded() {
    // Room for three registrations of 183 characters: each costs its address and REGISTRATION_COST.
    FanoutServer server = new FanoutServer(FanoutOptions.defaults(), 3 * (183 + FanoutEndpoint.REGISTRATION_COST));
    vertx.deployVerticle(server).await();
    BridgeClient attacker = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    // Matches the rules (any entity id), but 60 KB: 500 of these held 35 MB per socket.
    attacker.register("homeassistant.home.state." + "x".repeat(60_000));
    Await.until(WAIT, "refused as too long", () -> attacker.errors("address_too_long: at most 256 characters") == 1);
    attacker.send(sendFrame("upstream.feed.send" + "x".repeat(60_000), "hi", "r-long", TOKEN));
    Await.until(WAIT, "a long send denied", () -> attacker.errors("access_denied") == 1);
    for (int i = 0; i < 5; i++) {
      attacker.register("homeassistant.home.state.sensor." + "y".repeat(150) + i); // 183 characters each
    }
    Await.until(WAIT, "three fit, then refusals", () -> attacker.errors(
        "too_many_registrations: the server holds as many as it may; try again later") == 2);
    attacker.socket.close().await();
    // The bus delivers one sender's messages in order, and the socket's close comes last: everything is counted.
    Await.until(WAIT, "the socket closed", () -> registrations(BridgeActivity.Kind.SOCKET_CLOSED) == 1);
    assertEquals(3, registrations(BridgeActivity.Kind.REGISTER));
    assertEquals(3, registrations(BridgeActivity.Kind.UNREGISTER), "released on close");
    BridgeClient next = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    next.register(FEED);
    Await.until(WAIT, "room again", () -> registrations(BridgeActivity.Kind.REGISTER) == 4);

    // Short addresses cost their registration too: three more fit, not sixty.
    for (int i = 0; i < 10; i++) {
      next.register("upstream.s" + i + ".message"); // 19 characters
    }
    Await.until(WAIT, "the rest refused", () -> next.errors("too_many_registrations: the server holds as many as it may; try again later") == 7);
    Await.until(WAIT, "seven registrations in all", () -> registrations(BridgeActivity.Kind.REGISTER) == 7);
  }

  @Test
  @DisplayName("registrations plus requests awaiting a reply are bounded per client (maxHandlersPerSocket)")
  void handlerBound() {
    FanoutServer server = deploy(FanoutOptions.defaults().withMaxHandlersPerSocket(2));
    vertx.eventBus().<JsonObject>consumer(Addresses.STATUS_SNAPSHOT, m -> { }).completion().await(); // never answers
    BridgeClient c = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    c.register(FEED);
    c.send(sendFrame(Addresses.STATUS_SNAPSHOT, null, "r-1", null));
    c.send(sendFrame(Addresses.STATUS_SNAPSHOT, null, "r-2", null));
    assertEquals(429, c.reply("r-2").getInteger("failureCode"));
    c.register("switchboard.status");
    Await.until(WAIT, "the register refused", () -> c.errors("max_handlers_reached") == 1);
    assertEquals(List.of(FEED), activity.stream().filter(a -> a.kind() == BridgeActivity.Kind.REGISTER).map(BridgeActivity::address).toList());
  }

  /** Publishes 1 KB messages, 500 at a time, until a client is closed, checking that {@code fast} keeps up: how many were sent. */
  private int publishUntilAClientCloses(BridgeClient fast) {
    int sent = 0;
    while (registrations(BridgeActivity.Kind.SOCKET_CLOSED) == 0 && sent < 200_000) {
      publish(sent, sent + 500, FEED, 1_000);
      sent += 500;
      int target = sent;
      Await.until(WAIT, "the fast client keeps up with " + target, () -> fast.numbers().size(), n -> n >= target);
    }
    return sent;
  }

  @Test
  @DisplayName("a client that stops reading is closed with 4001 once its queue is full; the others get every message")
  void slowClientIsDisconnected() {
    FanoutServer server = deploy(FanoutOptions.defaults().withMaxQueuedBytes(64 * 1024));
    BridgeClient fast = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    BridgeClient slow = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    fast.register(FEED);
    slow.register(FEED);
    Await.until(WAIT, "2 registrations", () -> registrations(BridgeActivity.Kind.REGISTER) == 2);
    slow.socket.pause();

    int sent = publishUntilAClientCloses(fast);
    assertEquals(1, registrations(BridgeActivity.Kind.SOCKET_CLOSED), "the slow client was dropped after " + sent + " messages");
    assertEquals(1L, server.onLoop(server.endpoint::slowClientCloses));
    assertEquals(1, server.onLoop(server.endpoint::clientCount));
    publish(sent, sent + 100, FEED, 1_000);
    int total = sent + 100;
    Await.until(WAIT, "the fast client gets the rest", () -> fast.numbers().size() >= total);
    assertEquals(IntStream.range(0, total).boxed().toList(), fast.numbers());

    slow.socket.resume();
    Await.until(WAIT, "the slow client sees the close", () -> slow.closeCode.get() != -1);
    assertEquals(FanoutEndpoint.CLOSE_SLOW_CLIENT, slow.closeCode.get());
    List<Integer> got = slow.numbers();
    assertEquals(IntStream.range(0, got.size()).boxed().toList(), got, "what the slow client got is a gap-free prefix");
  }

  @Test
  @DisplayName("all clients together hold at most the budget: past it the one holding the most is closed with 4001, the reader keeps every message")
  void clientsTogetherAreBounded() {
    // Each client may queue 16 MB, far more than the 6 MB budget of all: only the budget can close one.
    long budget = 6L * 1024 * 1024;
    FanoutServer server = new FanoutServer(FanoutOptions.defaults().withMaxQueuedBytes(16 * 1024 * 1024),
        FanoutEndpoint.MAX_REGISTERED_BYTES, budget);
    vertx.deployVerticle(server).await();
    BridgeClient fast = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    fast.register(FEED);
    List<BridgeClient> stalled = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      BridgeClient client = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
      client.register(FEED);
      stalled.add(client);
    }
    Await.until(WAIT, "4 registrations", () -> registrations(BridgeActivity.Kind.REGISTER) == 4);
    stalled.forEach(c -> c.socket.pause());

    int sent = 0;
    long until = System.nanoTime() + WAIT.toNanos();
    while (server.onLoop(server.endpoint::budgetCloses) == 0 && System.nanoTime() - until < 0 && sent < 1_000_000) {
      publish(sent, sent + 500, FEED, 1_000);
      sent += 500;
      // Paced by the reader: it must never fall behind by its own bound, and the stalled ones must stay full a while.
      int published = sent;
      Await.until(WAIT, "the reader keeps up", () -> fast.messages().size() >= published - 2_000);
    }
    assertTrue(server.onLoop(server.endpoint::budgetCloses) > 0, "no client closed by the budget after " + sent + " messages; "
        + server.onLoop(server.endpoint::slowClientCloses) + " closed as slow, " + server.onLoop(server.endpoint::heldBytes) + " bytes held");
    // The stalled clients have taken nothing for far longer than the endpoint's 100 ms: the rest are within it.
    long held = server.onLoop(server.endpoint::heldBytes);
    assertTrue(held <= budget, "held " + held + " bytes, budget " + budget);
    assertEquals(server.onLoop(server.endpoint::budgetCloses), server.onLoop(server.endpoint::slowClientCloses),
        "no client reached its own 16 MB bound");
    int total = sent;
    Await.until(WAIT, "the reading client gets every message", () -> fast.numbers().size() >= total);
    assertEquals(IntStream.range(0, total).boxed().toList(), fast.numbers());
    assertEquals(-1, fast.closeCode.get(), "the reader holds nothing: never the one closed");

    stalled.forEach(c -> c.socket.resume());
    Await.until(WAIT, "a stalled client sees the close", () -> stalled.stream().anyMatch(c -> c.closeCode.get() != -1));
    assertEquals(FanoutEndpoint.CLOSE_SLOW_CLIENT, stalled.stream().mapToInt(c -> c.closeCode.get()).filter(c -> c != -1).findFirst().getAsInt());
    // What the closed clients held was given back: the rest hold what they hold, within the budget.
    Await.until(WAIT, "the survivors drain", () -> server.onLoop(server.endpoint::heldBytes) == 0);
  }

  @Test
  @DisplayName("under CONFLATE a client that stops reading stays connected, and gets the newest message last, in order")
  void slowClientIsConflated() {
    FanoutServer server = deploy(FanoutOptions.defaults().withMaxQueuedBytes(64 * 1024).withSlowClients(SlowClientPolicy.CONFLATE));
    BridgeClient slow = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    slow.register(FEED);
    Await.until(WAIT, "registration", () -> registrations(BridgeActivity.Kind.REGISTER) == 1);
    slow.socket.pause();

    int sent = 0;
    while (server.onLoop(server.endpoint::conflations) == 0 && sent < 200_000) {
      publish(sent, sent + 500, FEED, 1_000);
      sent += 500;
    }
    assertTrue(server.onLoop(server.endpoint::conflations) > 0, "the queue filled after " + sent + " messages");
    slow.socket.resume();
    int last = sent - 1;
    Await.until(WAIT, "the newest message", () -> slow.numbers().contains(last));
    List<Integer> got = slow.numbers();
    assertEquals(last, got.get(got.size() - 1));
    for (int i = 1; i < got.size(); i++) {
      assertTrue(got.get(i) > got.get(i - 1), "in order, never twice: " + got.get(i - 1) + " then " + got.get(i));
    }
    assertTrue(got.size() < sent, "some were conflated away");
    assertEquals(-1, slow.closeCode.get(), "still connected");
    assertEquals(0, registrations(BridgeActivity.Kind.SOCKET_CLOSED));
  }

  @Test
  @DisplayName("under CONFLATE a client registered on switchboard.bridge.dropped is told, after the newer messages, how many of each"
      + " address it did not get: with what it got, every message sent; a client not registered there is told nothing")
  void conflatedClientIsToldWhatItMissed() {
    FanoutServer server = deploy(FanoutOptions.defaults().withMaxQueuedBytes(64 * 1024).withSlowClients(SlowClientPolicy.CONFLATE));
    String other = "upstream.other.message";
    BridgeClient told = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    BridgeClient untold = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    for (BridgeClient client : List.of(told, untold)) {
      client.register(FEED);
      client.register(other);
    }
    told.register(Addresses.BRIDGE_DROPPED);
    Await.until(WAIT, "registrations", () -> registrations(BridgeActivity.Kind.REGISTER) == 5);
    assertEquals(2, server.onLoop(server.endpoint::consumerCount), "no event-bus consumer for the notices");
    told.socket.pause();
    untold.socket.pause();

    int sent = 0;
    while (server.onLoop(server.endpoint::conflations) == 0 && sent < 200_000) {
      publish(sent, sent + 250, FEED, 1_000);
      publish(sent + 250, sent + 500, other, 1_000);
      sent += 500;
    }
    assertTrue(server.onLoop(server.endpoint::conflations) > 0, "the queues filled after " + sent + " messages");
    publish(sent, sent + 500, FEED, 1_000); // a megabyte more, past both clients' queues
    publish(sent + 500, sent + 1_000, other, 1_000);
    int total = sent + 1_000;
    told.socket.resume();
    untold.socket.resume();
    int perAddress = total / 2;
    Await.until(WAIT, "every message got or told of", () -> received(told, FEED) + dropped(told, FEED) == perAddress
        && received(told, other) + dropped(told, other) == perAddress);
    assertTrue(dropped(told, FEED) + dropped(told, other) > 0, "some were dropped");
    List<JsonObject> messages = told.messages();
    JsonObject lastNotice = messages.stream().filter(m -> Addresses.BRIDGE_DROPPED.equals(m.getString("address"))).reduce((a, b) -> b).get();
    assertTrue(messages.indexOf(lastNotice) > 0, "after the messages that took the dropped ones' place");
    Await.until(WAIT, "the other client's newest message", () -> untold.numbers().contains(total - 1));
    assertEquals(0, untold.messages().stream().filter(m -> Addresses.BRIDGE_DROPPED.equals(m.getString("address"))).count());
    assertTrue(untold.numbers().size() < total, "it lost some too");
    assertEquals(2L * total - told.numbers().size() - untold.numbers().size(), (long) server.onLoop(server.endpoint::conflatedMessages),
        "the metric counts what both did not get");
  }

  private static int received(BridgeClient client, String address) {
    return (int) client.messages().stream().filter(m -> address.equals(m.getString("address"))).count();
  }

  /** What the notices to this client say it did not get of {@code address}. */
  private static int dropped(BridgeClient client, String address) {
    return client.messages().stream().filter(m -> Addresses.BRIDGE_DROPPED.equals(m.getString("address")))
        .mapToInt(m -> m.getJsonObject("body").getJsonObject("dropped").getInteger(address, 0)).sum();
  }

  @Test
  @DisplayName("under CONFLATE a reply queued behind data is never dropped to make room: its request gets it once the client reads")
  void conflationKeepsReplies() {
    FanoutServer server = deploy(FanoutOptions.defaults().withMaxQueuedBytes(16 * 1024).withSlowClients(SlowClientPolicy.CONFLATE));
    String other = "upstream.other.message";
    int large = 1_000_000;
    // The reply, then at once (in order, from the same loop) a message of another address larger than the queue's
    // bound: everything queued must go to make room for it, but the reply.
    vertx.eventBus().<JsonObject>consumer(Addresses.STATUS_SNAPSHOT, m -> {
      m.reply(new JsonObject().put("seq", 7));
      vertx.eventBus().publish(other, new JsonObject().put("n", large).put("pad", "x".repeat(16 * 1024)));
    }).completion().await();
    BridgeClient slow = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    slow.register(FEED);
    slow.register(other);
    Await.until(WAIT, "registrations", () -> registrations(BridgeActivity.Kind.REGISTER) == 2);
    slow.socket.pause();
    int sent = 0;
    while (server.onLoop(server.endpoint::conflations) == 0 && sent < 200_000) {
      publish(sent, sent + 500, FEED, 1_000);
      sent += 500;
    }
    long conflations = server.onLoop(server.endpoint::conflations);
    slow.send(sendFrame(Addresses.STATUS_SNAPSHOT, null, "r-held", null));
    Await.until(WAIT, "room made for the large message", () -> server.onLoop(server.endpoint::conflations) > conflations);

    slow.socket.resume();
    assertEquals(7, slow.reply("r-held").getJsonObject("body").getInteger("seq"));
    Await.until(WAIT, "the large message", () -> slow.numbers().contains(large));
  }

  @Test
  @DisplayName("under CONFLATE a client that keeps asking and never reads is closed with 4001 once its replies alone fill the queue")
  void conflationClosesAClientOfRepliesOnly() {
    FanoutServer server = deploy(FanoutOptions.defaults().withMaxQueuedBytes(16 * 1024).withSlowClients(SlowClientPolicy.CONFLATE));
    BridgeClient asking = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    asking.socket.pause();
    // Each refusal answers with the address it refused: some 250 bytes queued for every send.
    JsonObject refused = sendFrame("not.for.browsers." + "x".repeat(200), "hi", null, null);
    for (int i = 0; i < 1_000_000 && server.onLoop(server.endpoint::slowClientCloses) == 0; i += 500) {
      for (int j = 0; j < 500; j++) {
        asking.send(refused);
      }
    }
    Await.until(WAIT, "closed as slow", () -> server.onLoop(server.endpoint::slowClientCloses) == 1);
    asking.socket.resume();
    Await.until(WAIT, "the client sees the close", () -> asking.closeCode.get() != -1);
    assertEquals(FanoutEndpoint.CLOSE_SLOW_CLIENT, asking.closeCode.get());
  }

  @Test
  @DisplayName("a bridge client is pinged: one that never sends a ping of its own but answers the server's (a background tab's) stays,"
      + " as does one that pings; one that answers nothing is closed with 4002")
  void pingTimeout() throws IOException {
    FanoutServer server = deploy(FanoutOptions.defaults().withPingTimeoutMs(300));
    BridgeClient answering = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket"); // Vert.x answers pings by itself
    BridgeClient pinging = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    long pinger = vertx.setPeriodic(50, id -> pinging.socket.writeTextMessage("{\"type\":\"ping\"}"));
    try {
      assertClosedForSilence(server, "/eventbus/websocket");
      long closedAt = System.nanoTime();
      Await.until(WAIT, "another timeout period", () -> System.nanoTime() - closedAt > 600_000_000L);
      assertEquals(-1, answering.closeCode.get());
      assertEquals(-1, pinging.closeCode.get());
      assertEquals(2, server.onLoop(server.endpoint::clientCount));
    } finally {
      vertx.cancelTimer(pinger);
    }
  }

  /** Upgrades a raw socket on {@code path}, answers nothing, and asserts it was pinged, then closed with 4002. */
  private static void assertClosedForSilence(FanoutServer server, String path) throws IOException {
    try (Socket silent = new Socket("127.0.0.1", server.port())) {
      silent.setSoTimeout(10_000);
      OutputStream out = silent.getOutputStream();
      out.write(RawUpgrade.request(path, "Connection: Upgrade\r\n"));
      out.flush();
      DataInputStream in = new DataInputStream(silent.getInputStream());
      String head = RawUpgrade.readHead(in);
      assertTrue(head.startsWith("HTTP/1.1 101"), head);
      int pings = 0;
      Buffer close = null;
      while (close == null) { // reads what the server sends, and answers nothing
        int opcode = in.readUnsignedByte() & 0x0F;
        byte[] payload = new byte[in.readUnsignedByte()]; // a server's control frames: short, unmasked
        in.readFully(payload);
        if (opcode == WebSocketFrames.PING) {
          pings++;
        } else if (opcode == WebSocketFrames.CLOSE) {
          close = Buffer.buffer(payload);
        }
      }
      assertTrue(pings >= 1, "pinged before it was closed: " + pings);
      assertEquals(FanoutEndpoint.CLOSE_PING_TIMEOUT, close.getUnsignedShort(0));
      assertTrue(close.getString(2, close.length()).startsWith("no pong to the server's pings"), close.toString());
    }
  }

  @Test
  @DisplayName("bridge activity is republished as the SockJS bridge does, and a closed client releases its consumers")
  void activityAndRelease() {
    FanoutServer server = deploy(FanoutOptions.defaults());
    BridgeClient c = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    c.register(FEED);
    c.register("switchboard.status");
    c.register(FEED); // twice: one registration
    Await.until(WAIT, "2 registrations", () -> registrations(BridgeActivity.Kind.REGISTER) == 2);
    assertEquals(2, server.onLoop(server.endpoint::consumerCount));
    c.send(new JsonObject().put("type", "unregister").put("address", "switchboard.status"));
    Await.until(WAIT, "unregister", () -> registrations(BridgeActivity.Kind.UNREGISTER) == 1);
    c.socket.close().await();
    Await.until(WAIT, "socket closed", () -> registrations(BridgeActivity.Kind.SOCKET_CLOSED) == 1);

    List<BridgeActivity.Kind> kinds = activity.stream().map(BridgeActivity::kind).toList();
    assertEquals(List.of(BridgeActivity.Kind.SOCKET_CREATED, BridgeActivity.Kind.REGISTER, BridgeActivity.Kind.REGISTER,
        BridgeActivity.Kind.UNREGISTER, BridgeActivity.Kind.UNREGISTER, BridgeActivity.Kind.SOCKET_CLOSED), kinds);
    assertEquals(1, activity.stream().map(BridgeActivity::socket).distinct().count());
    assertEquals(List.of("switchboard.status", FEED), activity.stream()
        .filter(a -> a.kind() == BridgeActivity.Kind.UNREGISTER).map(BridgeActivity::address).toList());
    assertEquals(0, server.onLoop(server.endpoint::consumerCount));
    assertEquals(0, server.onLoop(server.endpoint::clientCount));
  }

  @Test
  @DisplayName("a plain HTTP request to the endpoint gets 400 with the reason; malformed bridge frames get an error, not a crash")
  void badInput() {
    FanoutServer server = deploy(FanoutOptions.defaults());
    // WebClient buffers the body before completing: a body() chained from this thread could miss it.
    var answered = io.vertx.ext.web.client.WebClient.create(vertx).get(server.port(), "127.0.0.1", "/eventbus/websocket").send().await();
    assertEquals(400, answered.statusCode());
    assertEquals("application/json", answered.getHeader("content-type"));
    assertTrue(answered.bodyAsJsonObject().getString("error").contains("WebSocket"), answered.bodyAsString());

    BridgeClient c = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    c.socket.writeTextMessage("not json").await();
    c.send(new JsonObject().put("type", "register"));
    c.send(new JsonObject().put("type", "dance"));
    Await.until(WAIT, "three errors", () -> c.messages().size() >= 3);
    assertEquals(List.of("invalid_json", "missing_address", "invalid_type"),
        c.messages().stream().map(m -> m.getString("body")).toList());
    c.register(FEED);
    Await.until(WAIT, "registration", () -> registrations(BridgeActivity.Kind.REGISTER) == 1);
    publish(0, 1, FEED, 0);
    Await.until(WAIT, "still delivering", () -> c.numbers().size() == 1);
    assertFalse(c.socket.isClosed());
  }

  private static final String SUBSCRIBE_DATA = "/subscribe?address=" + FEED + "&format=data";

  /**
   * The {@code n} of every message a client received, in order, whatever its framing: a bridge frame's
   * body, a subscription's envelope, or only the data; inside an envelope or a body with {@code data}, the data's.
   */
  private static List<Integer> numbers(BridgeClient client) {
    List<Integer> out = new ArrayList<>();
    for (JsonObject frame : client.messages()) {
      JsonObject message = "rec".equals(frame.getString("type")) ? frame.getJsonObject("body") : frame;
      if (message == null) {
        continue; // a null body
      }
      if (message.getValue("data") instanceof JsonObject data) {
        message = data;
      }
      if (message.getValue("n") instanceof Integer n) {
        out.add(n);
      }
    }
    return out;
  }

  @Test
  @DisplayName("subscriptions share an address's one consumer with bridge clients; each gets every message once, in order, as the envelope or only its data")
  void subscriptionsShareTheRoute() {
    JsonEnvelopeCodec.register(vertx);
    FanoutServer server = deploy(FanoutOptions.defaults());
    List<BridgeClient> bridge = IntStream.range(0, 3).mapToObj(i -> BridgeClient.connect(vertx, server.port(), "/eventbus/websocket")).toList();
    bridge.forEach(c -> c.register(FEED));
    List<BridgeClient> envelopes = IntStream.range(0, 3)
        .mapToObj(i -> BridgeClient.connect(vertx, server.port(), "/subscribe?address=" + FEED)).toList();
    List<BridgeClient> data = IntStream.range(0, 3).mapToObj(i -> BridgeClient.connect(vertx, server.port(), SUBSCRIBE_DATA)).toList();
    Await.until(WAIT, "9 registrations", () -> registrations(BridgeActivity.Kind.REGISTER) == 9);
    assertEquals(1, server.onLoop(server.endpoint::consumerCount));
    assertEquals(9, server.onLoop(server.endpoint::clientCount));

    // An upstream's envelopes (their own bytes go out), then other bodies (encoded once), one with a string as its data.
    for (int i = 0; i < 1_000; i++) {
      vertx.eventBus().publish(FEED, new JsonEnvelope(i, 1_000L + i, "feed", "json", 0,
          Buffer.buffer("{\"n\": " + i + ", \"pad\": \"" + "x".repeat(i % 300) + "\"}")));
    }
    for (int i = 1_000; i < 2_000; i++) {
      vertx.eventBus().publish(FEED, new JsonObject().put("seq", i).put("data", new JsonObject().put("n", i)));
    }
    vertx.eventBus().publish(FEED, new JsonObject().put("seq", 2_000).put("data", "plain text"));
    vertx.eventBus().publish(FEED, null);

    List<Integer> expected = IntStream.range(0, 2_000).boxed().toList();
    for (BridgeClient c : bridge) {
      Await.until(WAIT, "2002 bridge frames", () -> c.messages().size() >= 2_002);
      assertEquals(expected, numbers(c));
      JsonObject last = c.messages().get(2_001);
      assertTrue(last.containsKey("body") && last.getValue("body") == null, "a null body, in its bridge frame: " + last);
    }
    for (BridgeClient c : envelopes) {
      Await.until(WAIT, "2000 envelopes", () -> numbers(c).size() >= 2_000);
      assertEquals(expected, numbers(c));
      JsonObject first = c.messages().get(0);
      assertEquals(List.of("seq", "ts", "source", "type", "data"), List.copyOf(first.fieldNames()), "the envelope alone: " + first);
      assertEquals("feed", first.getString("source"));
      assertEquals("x".repeat(999 % 300), c.messages().get(999).getJsonObject("data").getString("pad"));
    }
    for (BridgeClient c : data) {
      Await.until(WAIT, "2000 data frames", () -> numbers(c).size() >= 2_000);
      assertEquals(expected, numbers(c));
      assertEquals(List.of("n", "pad"), List.copyOf(c.messages().get(0).fieldNames()), "only the data");
      assertEquals(List.of("n"), List.copyOf(c.messages().get(1_000).fieldNames()));
    }
    List<String> texts = data.get(0).texts;
    Await.until(WAIT, "2002 data frames as text", () -> texts.size() >= 2_002);
    assertEquals("{\"n\": 0, \"pad\": \"\"}", texts.get(0), "the upstream's own bytes, spacing and all");
    assertEquals("{\"n\":1000}", texts.get(1_000));
    assertEquals("plain text", texts.get(2_000), "a string as the data goes out as it is");
    assertEquals("null", texts.get(2_001), "a null body, as itself");
    List<String> envelopeTexts = envelopes.get(0).texts;
    Await.until(WAIT, "2002 envelope frames as text", () -> envelopeTexts.size() >= 2_002);
    assertEquals("null", envelopeTexts.get(2_001), "a null body, not in a bridge frame");
  }

  @Test
  @DisplayName("a subscription is pinged; one that answers stays past the ping timeout, one that never pongs is closed with 4002")
  void subscriptionPings() throws IOException {
    FanoutServer server = deploy(FanoutOptions.defaults().withPingTimeoutMs(300));
    BridgeClient answering = BridgeClient.connect(vertx, server.port(), SUBSCRIBE_DATA); // Vert.x answers pings by itself
    assertClosedForSilence(server, SUBSCRIBE_DATA);
    long closedAt = System.nanoTime();
    Await.until(WAIT, "another timeout period", () -> System.nanoTime() - closedAt > 600_000_000L);
    assertEquals(-1, answering.closeCode.get());
    assertEquals(1, server.onLoop(server.endpoint::clientCount));
  }

  @Test
  @DisplayName("a subscription that stops reading is closed with 4001 once its queue is full; the bridge client beside it gets every message")
  void slowSubscriptionIsDisconnected() {
    FanoutServer server = deploy(FanoutOptions.defaults().withMaxQueuedBytes(64 * 1024));
    BridgeClient fast = BridgeClient.connect(vertx, server.port(), "/eventbus/websocket");
    BridgeClient slow = BridgeClient.connect(vertx, server.port(), SUBSCRIBE_DATA);
    fast.register(FEED);
    Await.until(WAIT, "2 registrations", () -> registrations(BridgeActivity.Kind.REGISTER) == 2);
    slow.socket.pause();

    int sent = publishUntilAClientCloses(fast);
    assertEquals(1, registrations(BridgeActivity.Kind.SOCKET_CLOSED), "the slow subscription was dropped after " + sent + " messages");
    assertEquals(1L, server.onLoop(server.endpoint::slowClientCloses));
    assertEquals(IntStream.range(0, sent).boxed().toList(), fast.numbers());
    slow.socket.resume();
    Await.until(WAIT, "the slow subscription sees the close", () -> slow.closeCode.get() != -1);
    assertEquals(FanoutEndpoint.CLOSE_SLOW_CLIENT, slow.closeCode.get());
    List<Integer> got = numbers(slow);
    assertEquals(IntStream.range(0, got.size()).boxed().toList(), got, "what the slow subscription got is a gap-free prefix");
  }

  @Test
  @DisplayName("a subscription is read-only: what it writes is ignored, and it holds its consumers until it closes")
  void subscriptionIsReadOnly() {
    FanoutServer server = deploy(FanoutOptions.defaults());
    BridgeClient c = BridgeClient.connect(vertx, server.port(), "/subscribe?address=" + FEED + "&address=switchboard.status");
    Await.until(WAIT, "2 registrations", () -> registrations(BridgeActivity.Kind.REGISTER) == 2);
    c.send(new JsonObject().put("type", "register").put("address", "upstream.other.message"));
    c.send(new JsonObject().put("type", "unregister").put("address", FEED));
    c.socket.writeTextMessage("not json").await();
    publish(0, 3, FEED, 0);
    Await.until(WAIT, "3 messages", () -> numbers(c).size() == 3);
    assertEquals(List.of(0, 1, 2), numbers(c));
    assertEquals(3, c.messages().size(), "no answer to what it wrote");
    assertEquals(2, server.onLoop(server.endpoint::consumerCount));
    assertEquals(2, registrations(BridgeActivity.Kind.REGISTER));
    c.socket.close().await();
    Await.until(WAIT, "socket closed", () -> registrations(BridgeActivity.Kind.SOCKET_CLOSED) == 1);
    assertEquals(0, server.onLoop(server.endpoint::consumerCount));
  }
}
