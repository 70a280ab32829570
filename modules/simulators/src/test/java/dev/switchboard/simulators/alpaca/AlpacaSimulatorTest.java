package dev.switchboard.simulators.alpaca;

import dev.switchboard.core.Msgpack;
import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.AdminCall;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The simulator speaks the protocol as the notes describe it, seen by a bare WebSocket client. */
@ExtendWith(VertxExtension.class)
class AlpacaSimulatorTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private Vertx vertx;
  private WebSocketClient client;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.client = vertx.createWebSocketClient();
  }

  /** A bare client: every frame's messages, in order (msgpack frames decoded, timestamps left as Instants). */
  private final class Peer {
    final List<JsonObject> messages = new CopyOnWriteArrayList<>();
    final AtomicInteger pings = new AtomicInteger();
    final AtomicInteger textFrames = new AtomicInteger();
    final AtomicInteger binaryFrames = new AtomicInteger();
    final AtomicInteger malformed = new AtomicInteger();
    final WebSocket ws;

    Peer(AlpacaSimulator sim, String path, String... headers) {
      WebSocketConnectOptions options = new WebSocketConnectOptions().setAbsoluteURI("ws://127.0.0.1:" + sim.port() + path);
      for (int i = 0; i + 1 < headers.length; i += 2) {
        options.addHeader(headers[i], headers[i + 1]);
      }
      var socket = client.webSocket();
      socket.textMessageHandler(text -> {
        textFrames.incrementAndGet();
        try {
          new JsonArray(text).forEach(m -> messages.add((JsonObject) m));
        } catch (io.vertx.core.json.DecodeException e) {
          malformed.incrementAndGet();
        }
      });
      socket.binaryMessageHandler(bytes -> {
        binaryFrames.incrementAndGet();
        try {
          ((JsonArray) Msgpack.decode(bytes, instant -> instant)).forEach(m -> messages.add((JsonObject) m));
        } catch (IllegalArgumentException e) {
          malformed.incrementAndGet();
        }
      });
      socket.frameHandler(frame -> {
        if (frame.type() == io.vertx.core.http.WebSocketFrameType.PING) {
          pings.incrementAndGet();
        }
      });
      ws = socket.connect(options).await();
    }

    void send(JsonObject message) {
      ws.writeTextMessage(message.encode()).await();
    }

    /** As the official SDKs send their messages on a msgpack connection. */
    void sendMsgpack(JsonObject message) {
      ws.writeBinaryMessage(Msgpack.encode(message, Set.of())).await();
    }

    JsonObject await(String what, java.util.function.Predicate<JsonObject> test) {
      return Await.until(WAIT, what, () -> messages.stream().filter(test).findFirst().orElse(null), m -> m != null);
    }

    JsonObject awaitError(int code) {
      return await("error " + code, m -> "error".equals(m.getString("T")) && m.getInteger("code") == code);
    }

    JsonObject awaitMsg(String msg) {
      return await(msg, m -> "success".equals(m.getString("T")) && msg.equals(m.getString("msg")));
    }

    JsonObject lastSubscription() {
      Await.until(WAIT, "a subscription answer", () -> messages.stream().anyMatch(m -> "subscription".equals(m.getString("T"))));
      return messages.stream().filter(m -> "subscription".equals(m.getString("T"))).reduce((a, b) -> b).orElseThrow();
    }
  }

  private static JsonObject auth(String key, String secret) {
    return new JsonObject().put("action", "auth").put("key", key).put("secret", secret);
  }

  private static JsonObject auth() {
    return auth(AlpacaSimulatorOptions.DEMO_KEY, AlpacaSimulatorOptions.DEMO_SECRET);
  }

  private AlpacaSimulator simulator(AlpacaSimulatorOptions options) {
    AlpacaSimulator sim = new AlpacaSimulator(options);
    vertx.deployVerticle(sim).await();
    return sim;
  }

  @Test
  @DisplayName("connected first; auth before the welcome is answered after it; 403 on a second auth; 401 before auth")
  void handshakeOrder() {
    AlpacaSimulator sim = simulator(AlpacaSimulatorOptions.defaults().withData(0, Duration.ZERO)
        .withAuthTimeout(Duration.ofSeconds(10), Duration.ofMillis(100)));
    Peer early = new Peer(sim, "/v2/iex");
    early.send(new JsonObject().put("action", "subscribe").put("trades", new JsonArray().add("AAPL")));
    early.send(auth());
    early.awaitMsg("authenticated");
    assertEquals("connected", early.messages.get(0).getString("msg"), "the welcome comes first");
    assertEquals(401, early.messages.get(1).getInteger("code"), "the subscribe sent before auth");
    early.send(auth());
    early.awaitError(403);
  }

  @Test
  @DisplayName("auth by headers; 402 for bad credentials; 409 for a feed not entitled; 404 and a close when nobody authenticates")
  void authOutcomes() {
    AlpacaSimulator sim = simulator(AlpacaSimulatorOptions.defaults().withData(0, Duration.ZERO)
        .withEntitledFeeds(java.util.Set.of("iex", "test")).withAuthTimeout(Duration.ofMillis(1000), Duration.ZERO));
    Peer headers = new Peer(sim, "/v2/test", "APCA-API-KEY-ID", AlpacaSimulatorOptions.DEMO_KEY,
        "APCA-API-SECRET-KEY", AlpacaSimulatorOptions.DEMO_SECRET);
    headers.awaitMsg("authenticated");
    Peer bad = new Peer(sim, "/v2/iex");
    bad.send(auth("demo-key", "wrong"));
    assertEquals("auth failed", bad.awaitError(402).getString("msg"));
    Peer sip = new Peer(sim, "/v2/sip");
    sip.send(auth());
    sip.awaitError(409);
    Peer silent = new Peer(sim, "/v2/delayed_sip");
    silent.awaitError(404);
    Await.until(WAIT, "closed after the auth timeout", silent.ws::isClosed);
  }

  @Test
  @DisplayName("unknown paths fail the upgrade with 404; crypto endpoints answer with their own keys")
  void paths() {
    AlpacaSimulator sim = simulator(AlpacaSimulatorOptions.defaults().withData(0, Duration.ZERO));
    UpgradeRejectedException rejected = assertThrows(UpgradeRejectedException.class, () -> new Peer(sim, "/v2/nope"));
    assertEquals(404, rejected.getStatus());
    Peer crypto = new Peer(sim, "/v1beta3/crypto/us");
    crypto.send(auth());
    crypto.awaitMsg("authenticated");
    crypto.send(new JsonObject().put("action", "subscribe").put("trades", new JsonArray().add("BTC/USD")));
    JsonObject answer = crypto.lastSubscription();
    assertEquals(List.of("T", "trades", "quotes", "orderbooks", "bars", "updatedBars", "dailyBars"), List.copyOf(answer.fieldNames()));
    crypto.send(new JsonObject().put("action", "subscribe").put("lulds", new JsonArray().add("BTC/USD")));
    crypto.awaitError(410);
  }

  @Test
  @DisplayName("every answer is the full set with all nine keys; corrections and cancelErrors mirror trades; 400 for bad input; 405 leaves the set as it was")
  void subscriptionAnswers() {
    AlpacaSimulator sim = simulator(AlpacaSimulatorOptions.defaults().withData(0, Duration.ZERO).withSymbolLimit(3, false));
    Peer peer = new Peer(sim, "/v2/iex");
    peer.send(auth());
    peer.awaitMsg("authenticated");
    peer.send(new JsonObject().put("action", "subscribe").put("trades", new JsonArray().add("AAPL")).put("quotes", new JsonArray().add("MSFT")));
    JsonObject first = peer.lastSubscription();
    assertEquals(List.of("T", "trades", "quotes", "bars", "updatedBars", "dailyBars", "statuses", "lulds", "corrections", "cancelErrors"),
        List.copyOf(first.fieldNames()));
    assertEquals(new JsonArray().add("AAPL"), first.getJsonArray("corrections"));
    assertEquals(new JsonArray().add("AAPL"), first.getJsonArray("cancelErrors"));
    assertEquals(new JsonArray(), first.getJsonArray("bars"));

    peer.send(new JsonObject().put("action", "subscribe").put("bars", new JsonArray().add("TSLA").add("NVDA")));
    peer.awaitError(405);
    peer.send(new JsonObject().put("action", "subscribe").put("trades", new JsonArray().add("aapl")));
    peer.awaitError(400);
    peer.send(new JsonObject().put("action", "dance"));
    Await.until(WAIT, "two 400s", () -> peer.messages.stream().filter(m -> Integer.valueOf(400).equals(m.getInteger("code"))).count() == 2);
    assertEquals(3, sim.changes().stream().filter(c -> c.action().equals("subscribe")).count(), "every subscribe recorded, refused ones too");

    peer.send(new JsonObject().put("action", "unsubscribe").put("trades", new JsonArray().add("AAPL")));
    Await.until(WAIT, "a second answer", () -> peer.messages.stream().filter(m -> "subscription".equals(m.getString("T"))).count() == 2);
    JsonObject second = peer.lastSubscription();
    assertEquals(new JsonArray(), second.getJsonArray("trades"));
    assertEquals(new JsonArray().add("MSFT"), second.getJsonArray("quotes"), "405 left the set as it was");
    assertEquals(0, sim.overlappingChanges());
  }

  @Test
  @DisplayName("a change sent before the previous one was answered is recorded as overlapping")
  void overlappingChangesAreRecorded() {
    AlpacaSimulator sim = simulator(AlpacaSimulatorOptions.defaults().withData(0, Duration.ZERO).withAnswers(Duration.ofMillis(50), Duration.ZERO));
    Peer peer = new Peer(sim, "/v2/iex");
    peer.send(auth());
    peer.awaitMsg("authenticated");
    peer.send(new JsonObject().put("action", "subscribe").put("trades", new JsonArray().add("AAPL")));
    peer.send(new JsonObject().put("action", "subscribe").put("trades", new JsonArray().add("MSFT")));
    Await.until(WAIT, "two answers", () -> peer.messages.stream().filter(m -> "subscription".equals(m.getString("T"))).count() == 2);
    assertEquals(1, sim.overlappingChanges());
  }

  @Test
  @DisplayName("data only for subscribed symbols, '*' meaning the whole universe, batched, with the real field names; server pings")
  void data() {
    AlpacaSimulator sim = simulator(AlpacaSimulatorOptions.defaults().withData(50, Duration.ofMillis(100)).withServerPings(Duration.ofMillis(50)));
    Peer peer = new Peer(sim, "/v2/iex");
    peer.send(auth());
    peer.awaitMsg("authenticated");
    peer.send(new JsonObject().put("action", "subscribe").put("trades", new JsonArray().add("ZVZZT")).put("quotes", new JsonArray().add("*"))
        .put("bars", new JsonArray().add("SPY")));
    JsonObject trade = peer.await("a trade", m -> "t".equals(m.getString("T")));
    assertEquals("ZVZZT", trade.getString("S"));
    assertTrue(trade.fieldNames().containsAll(List.of("i", "x", "p", "s", "t", "c", "z")), trade.encode());
    JsonObject bar = peer.await("a bar", m -> "b".equals(m.getString("T")));
    Instant minuteOfArrival = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
    assertTrue(bar.fieldNames().containsAll(List.of("S", "o", "h", "l", "c", "v", "t", "n", "vw")), bar.encode());
    assertTrue(Instant.parse(bar.getString("t")).isBefore(minuteOfArrival), "a bar covers a minute that has ended: " + bar.getString("t"));
    Await.until(WAIT, "quotes for the whole universe", () -> peer.messages.stream().filter(m -> "q".equals(m.getString("T")))
        .map(m -> m.getString("S")).distinct().count() == AlpacaSimulatorOptions.defaults().universe().size());
    assertTrue(peer.messages.stream().filter(m -> "t".equals(m.getString("T"))).allMatch(m -> "ZVZZT".equals(m.getString("S"))));
    Await.until(WAIT, "server pings", () -> peer.pings.get() >= 2);
  }

  @Test
  @DisplayName("a trades subscription brings corrections and cancel/errors of trades sent earlier, unasked, in the protocol's fields")
  void correctionsAndCancelsFollowTrades() {
    AlpacaSimulator sim = simulator(AlpacaSimulatorOptions.defaults().withData(200, Duration.ZERO));
    Peer peer = new Peer(sim, "/v2/iex");
    peer.send(auth());
    peer.awaitMsg("authenticated");
    peer.send(new JsonObject().put("action", "subscribe").put("trades", new JsonArray().add("AAPL")));
    JsonObject correction = peer.await("a correction", m -> "c".equals(m.getString("T")));
    JsonObject cancel = peer.await("a cancel/error", m -> "x".equals(m.getString("T")));

    List<JsonObject> seen = List.copyOf(peer.messages);
    Map<Long, JsonObject> trades = new HashMap<>();
    seen.stream().filter(m -> "t".equals(m.getString("T"))).forEach(t -> trades.put(t.getLong("i"), t));
    assertEquals(Set.of("T", "S", "x", "oi", "op", "os", "oc", "ci", "cp", "cs", "cc", "z", "t"), correction.fieldNames());
    JsonObject corrected = trades.get(correction.getLong("oi"));
    assertTrue(corrected != null, "the correction names a trade sent before it: " + correction.encode());
    assertEquals(corrected.getDouble("p"), correction.getDouble("op"));
    assertEquals(corrected.getInteger("s"), correction.getInteger("os"));
    assertEquals("AAPL", correction.getString("S"));
    assertTrue(correction.getLong("ci") > correction.getLong("oi"), "the corrected trade has a new id");
    assertEquals(Set.of("T", "S", "i", "x", "p", "s", "a", "z", "t"), cancel.fieldNames());
    JsonObject cancelled = trades.get(cancel.getLong("i"));
    assertTrue(cancelled != null, "the cancel names a trade sent before it: " + cancel.encode());
    assertEquals(cancelled.getDouble("p"), cancel.getDouble("p"));
    assertTrue(Set.of("C", "E").contains(cancel.getString("a")), cancel.encode());
    long amendments = seen.stream().filter(m -> "c".equals(m.getString("T")) || "x".equals(m.getString("T"))).count();
    assertTrue(amendments <= 2L * trades.size() / AlpacaSession.CORRECT_EVERY + 1,
        "now and then, not per trade: " + amendments + " for " + trades.size() + " trades");
  }

  @Test
  @DisplayName("on a crypto endpoint '*' stands for crypto pairs, never the stock universe; no corrections there")
  void cryptoWildcardMeansPairs() {
    AlpacaSimulator sim = simulator(AlpacaSimulatorOptions.defaults().withData(200, Duration.ZERO));
    Peer peer = new Peer(sim, "/v1beta3/crypto/us");
    peer.send(auth());
    peer.awaitMsg("authenticated");
    peer.send(new JsonObject().put("action", "subscribe").put("trades", new JsonArray().add("*")));
    Await.until(WAIT, "trades of every pair", () -> peer.messages.stream().filter(m -> "t".equals(m.getString("T")))
        .map(m -> m.getString("S")).distinct().count() == AlpacaEndpoint.CRYPTO_UNIVERSE.size());
    Await.until(WAIT, "enough trades for a stock stream's corrections", () -> peer.messages.stream()
        .filter(m -> "t".equals(m.getString("T")) && "BTC/USD".equals(m.getString("S"))).count() > AlpacaSession.CORRECT_EVERY);
    Set<String> symbols = new TreeSet<>();
    peer.messages.stream().filter(m -> m.getString("S") != null).forEach(m -> symbols.add(m.getString("S")));
    assertEquals(new TreeSet<>(AlpacaEndpoint.CRYPTO_UNIVERSE), symbols);
    assertTrue(peer.messages.stream().noneMatch(m -> "c".equals(m.getString("T")) || "x".equals(m.getString("T"))),
        "crypto has no corrections or cancel/errors");
  }

  @Test
  @DisplayName("one connection per key and endpoint; a dropped connection counts until the reap window passes, a clean close does not")
  void connectionLimit() {
    AlpacaSimulator sim = simulator(AlpacaSimulatorOptions.defaults().withData(0, Duration.ZERO)
        .withConnectionLimit(1, Duration.ofMillis(1500), false));
    Peer first = new Peer(sim, "/v2/iex");
    first.send(auth());
    first.awaitMsg("authenticated");
    Peer otherFeed = new Peer(sim, "/v2/test");
    otherFeed.send(auth());
    otherFeed.awaitMsg("authenticated");
    Peer second = new Peer(sim, "/v2/iex");
    second.send(auth());
    second.awaitError(406);
    assertTrue(!second.ws.isClosed() && !first.ws.isClosed(), "406 keeps the socket open and does not kick the first");

    first.ws.close().await();
    second.send(auth());
    second.awaitMsg("authenticated");

    sim.drop(false).await();
    long cut = System.currentTimeMillis();
    Peer third = new Peer(sim, "/v2/iex");
    third.send(auth());
    third.awaitError(406);
    Await.until(WAIT, "the reap window passed", () -> System.currentTimeMillis() > cut + 1550);
    third.send(auth());
    third.awaitMsg("authenticated");
  }

  @Test
  @DisplayName("msgpack when the upgrade asks for it: binary frames only, T first, t a Timestamp extension, the ack with all nine keys; client messages in msgpack or JSON")
  void msgpack() {
    AlpacaSimulator sim = simulator(AlpacaSimulatorOptions.defaults().withData(50, Duration.ofMillis(100)));
    Peer peer = new Peer(sim, "/v2/iex", "Content-Type", "application/msgpack");
    peer.sendMsgpack(auth());
    peer.awaitMsg("authenticated");
    assertEquals("connected", peer.messages.get(0).getString("msg"), "the welcome comes first");
    peer.sendMsgpack(new JsonObject().put("action", "subscribe").put("trades", new JsonArray().add("AAPL"))
        .put("quotes", new JsonArray().add("MSFT")).put("bars", new JsonArray().add("SPY")));
    JsonObject ack = peer.lastSubscription();
    assertEquals(List.of("T", "trades", "quotes", "bars", "updatedBars", "dailyBars", "statuses", "lulds", "corrections", "cancelErrors"),
        List.copyOf(ack.fieldNames()), "every key, T first (the Go SDK refuses a map whose first key is not T)");
    assertEquals(new JsonArray().add("AAPL"), ack.getJsonArray("cancelErrors"));
    assertEquals(new JsonArray(), ack.getJsonArray("lulds"));

    for (String type : List.of("t", "q", "b")) {
      JsonObject data = peer.await("a message of type " + type, m -> type.equals(m.getString("T")));
      assertEquals("T", data.fieldNames().iterator().next(), data.encode());
      // getMap: the raw value; JsonObject.getValue would turn an Instant into a string.
      assertTrue(data.getMap().get("t") instanceof Instant, "t is a Timestamp extension: " + data.getMap().get("t"));
    }
    Instant barStart = (Instant) peer.await("a bar", m -> "b".equals(m.getString("T"))).getMap().get("t");
    assertEquals(0, barStart.getEpochSecond() % 60 + barStart.getNano(), "a bar starts on the minute: " + barStart);

    peer.send(new JsonObject().put("action", "unsubscribe").put("quotes", new JsonArray().add("MSFT")));
    Await.until(WAIT, "the JSON unsubscribe answered", () -> peer.messages.stream()
        .filter(m -> "subscription".equals(m.getString("T"))).count() == 2);
    assertEquals(new JsonArray(), peer.lastSubscription().getJsonArray("quotes"));
    peer.ws.writeBinaryMessage(io.vertx.core.buffer.Buffer.buffer(new byte[] {(byte) 0xc1})).await(); // 0xc1: never used
    peer.awaitError(400);
    sim.sendMalformed().await();
    Await.until(WAIT, "a msgpack frame that breaks off", () -> peer.malformed.get() == 1);
    assertEquals(0, peer.textFrames.get(), "no text frame to a msgpack client");

    Peer json = new Peer(sim, "/v2/test");
    json.send(auth());
    json.awaitMsg("authenticated");
    assertEquals(0, json.binaryFrames.get(), "a client that did not ask still gets JSON");
    assertEquals(1, sim.stats().getInteger("msgpack_connections"));
  }

  @Test
  @DisplayName("a client in a reconnect loop: connectionLimit sessions per key and endpoint authenticate, every other gets 406; what is recorded stays bounded")
  void reconnectLoop() {
    assertEquals(1, AlpacaSimulatorOptions.defaults().connectionLimit(), "one connection per key by default, as Alpaca's basic plans");
    AlpacaSimulator sim = new AlpacaSimulator(AlpacaSimulatorOptions.defaults().withData(0, Duration.ZERO)
        .withConnectionLimit(2, Duration.ofSeconds(90), false), 10);
    vertx.deployVerticle(sim).await();
    int attempts = 40;
    int authenticated = 0;
    for (int i = 0; i < attempts; i++) {
      Peer peer = new Peer(sim, "/v2/iex");
      peer.send(auth());
      JsonObject outcome = peer.await("an answer to the auth",
          m -> "authenticated".equals(m.getString("msg")) || "error".equals(m.getString("T")));
      if ("authenticated".equals(outcome.getString("msg"))) {
        authenticated++;
      } else {
        assertEquals(406, outcome.getInteger("code"));
        assertEquals("connection limit exceeded", outcome.getString("msg"));
        if (i % 2 == 0) {
          peer.ws.close().await(); // a polite client; the other half leave their socket open, as alpaca-py does
        }
      }
    }
    assertEquals(2, authenticated);
    JsonObject stats = sim.stats();
    assertEquals(2, stats.getInteger("authenticated_connections"));
    assertEquals(attempts - 2, stats.getLong("errors_sent_total"));
    assertEquals(10, stats.getJsonArray("errors_sent").size(), stats.encode());
    assertEquals(10, sim.errors().size());
    assertEquals(10, sim.auths().size());
    assertTrue(sim.closeCodes().size() <= 10, "close codes kept: " + sim.closeCodes().size());
    assertEquals("406", sim.auths().get(9).outcome());
  }

  @Test
  @DisplayName("every admin call answers at once with the stats, drop?clean=false, down and restart included")
  void adminAnswersAtOnce() {
    AlpacaSimulator sim = simulator(AlpacaSimulatorOptions.defaults().withData(20, Duration.ofMillis(100)));
    Peer peer = new Peer(sim, "/v2/iex");
    peer.send(auth());
    peer.awaitMsg("authenticated");
    assertEquals(1, AdminCall.get(sim.port(), "/admin/stats").getInteger("authenticated_connections"));
    for (String command : List.of("mute", "malformed", "drop?clean=true")) {
      assertTrue(AdminCall.post(sim.port(), "/admin/" + command).containsKey("total_connections"), command);
    }
    assertEquals(1, peer.malformed.get(), "the malformed frame came");
    Peer second = new Peer(sim, "/v2/iex");
    second.send(auth());
    second.awaitMsg("authenticated");
    AdminCall.post(sim.port(), "/admin/drop?clean=false");
    Await.until(WAIT, "the client cut", second.ws::isClosed);
    for (String command : List.of("slow", "error")) {
      AdminCall.post(sim.port(), "/admin/" + command);
    }
    Peer third = new Peer(sim, "/v2/iex");
    AdminCall.post(sim.port(), "/admin/restart");
    Await.until(WAIT, "the restart cut the client", third.ws::isClosed);
    Await.until(WAIT, "up again after the restart", () -> sim.isUp() && AdminCall.answers(sim.port()));
    assertTrue(AdminCall.post(sim.port(), "/admin/down?seconds=1").getBoolean("up"), "the stats as they were when asked");
    Await.until(WAIT, "down", () -> !sim.isUp());
    Await.until(WAIT, "up again after a second", () -> sim.isUp() && AdminCall.answers(sim.port()));
  }

  @Test
  @DisplayName("the start line names the paths with single braces")
  void startLine() {
    ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(AlpacaSimulator.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines = new ch.qos.logback.core.read.ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try {
      AlpacaSimulator sim = simulator(AlpacaSimulatorOptions.defaults().withData(0, Duration.ZERO));
      String line = lines.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
          .filter(m -> m.startsWith("alpaca simulator on")).findFirst().orElseThrow();
      assertTrue(line.contains(":" + sim.port() + "/v2/{iex,sip,delayed_sip,test} and /v1beta3/crypto/{us,us-1,eu-1}"), line);
      assertTrue(!line.contains("{{") && !line.contains("}}"), line);
    } finally {
      logger.detachAppender(lines);
    }
  }

  @Test
  @DisplayName("the simulator kind reads simulators.alpaca strictly")
  void config() {
    var kind = new AlpacaSimulatorKind();
    assertEquals("alpaca", kind.type());
    var section = new dev.switchboard.core.ConfigSection("simulators.alpaca", new JsonObject()
        .put("host", "127.0.0.1").put("port", 0).put("reapWindow", "5s").put("feeds", new JsonArray().add("iex").add("test")));
    vertx.deployVerticle(kind.configure(section)).await();
    var typo = new dev.switchboard.core.ConfigSection("simulators.alpaca", new JsonObject().put("prot", 8765));
    assertTrue(assertThrows(dev.switchboard.core.ConfigException.class, () -> kind.configure(typo)).getMessage()
        .contains("simulators.alpaca.prot"));
    var badFeed = new dev.switchboard.core.ConfigSection("simulators.alpaca", new JsonObject().put("feeds", new JsonArray().add("nyse")));
    assertThrows(dev.switchboard.core.ConfigException.class, () -> kind.configure(badFeed));
  }
}
