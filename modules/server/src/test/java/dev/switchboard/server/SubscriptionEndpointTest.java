package dev.switchboard.server;

import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.alpaca.AlpacaSimulator;
import dev.switchboard.simulators.alpaca.AlpacaSimulatorOptions;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /subscribe as a plain WebSocket client uses it: addresses in the URL, one frame a message, kept alive by the server. */
@ExtendWith(VertxExtension.class)
class SubscriptionEndpointTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir
  Path dataDir;
  private Switchboard app;
  private AlpacaSimulator alpaca;
  private WebSocketClient client;

  @BeforeEach
  void setUp(Vertx vertx) {
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(50));
    vertx.deployVerticle(sim).await();
    alpaca = new AlpacaSimulator(AlpacaSimulatorOptions.defaults().withData(20, Duration.ofMillis(100)));
    vertx.deployVerticle(alpaca).await();
    JsonObject market = new JsonObject().put("name", "market").put("type", "alpaca").put("autoStart", true)
        .put("url", alpaca.url("iex")).put("key", AlpacaSimulatorOptions.DEMO_KEY).put("secret", AlpacaSimulatorOptions.DEMO_SECRET)
        .put("encoding", "json");
    JsonObject config = ServerFixture.config(dataDir, ServerFixture.feedListener("feed", sim.url(), true), market);
    config.getJsonObject("http").put("bridge", new JsonObject().put("pingTimeout", "10s")); // server pings every 3.3 s
    app = ServerFixture.start(config);
    client = vertx.createWebSocketClient();
  }

  @AfterEach
  void tearDown() {
    app.stop().await();
  }

  private WebSocket open(String uri, List<String> frames, AtomicInteger pings) {
    // Handlers before connecting: a refusal (or any frame) may follow the upgrade at once.
    ClientWebSocket ws = client.webSocket();
    ws.frameHandler(frame -> {
      if (frame.isPing()) {
        pings.incrementAndGet();
      } else if (frame.isText()) {
        frames.add(frame.textData());
      }
    });
    return ws.connect(app.httpPort(), "127.0.0.1", uri).await();
  }

  @Test
  @DisplayName("format=data: each frame is a message's data; a silent client stays connected, kept alive by the server's pings")
  void dataFramesAndServerPings() {
    List<String> frames = new CopyOnWriteArrayList<>();
    AtomicInteger pings = new AtomicInteger();
    WebSocket ws = open("/subscribe?address=upstream.feed.message&format=data", frames, pings);
    Await.until(WAIT, "data frames", () -> frames.size() >= 5);
    JsonObject first = new JsonObject(frames.get(0));
    assertTrue(first.containsKey("n") && !first.containsKey("seq"), "only the data: " + first);
    Await.until(WAIT, "two pings from the server while the client says nothing", () -> pings.get() >= 2);
    assertFalse(ws.isClosed());
    int before = frames.size();
    Await.until(WAIT, "still flowing", () -> frames.size() > before + 5);
  }

  @Test
  @DisplayName("format=envelope (the default): the whole envelope, seq and all")
  void envelopes() {
    List<String> frames = new CopyOnWriteArrayList<>();
    open("/subscribe?address=upstream.feed.message", frames, new AtomicInteger());
    Await.until(WAIT, "envelopes", () -> frames.size() >= 3);
    JsonObject envelope = new JsonObject(frames.get(2));
    assertEquals("feed", envelope.getString("source"));
    assertEquals(new JsonObject(frames.get(1)).getLong("seq") + 1, envelope.getLong("seq"));
  }

  private int connectedClients() {
    return ServerFixture.connectedClients(app, "feed");
  }

  @Test
  @DisplayName("a subscription is a client of the listener it follows (connected_clients), on the fan-out path (the bridge's client gauge)")
  void countedAsAClient() {
    assertEquals(0, connectedClients());
    WebSocket ws = open("/subscribe?address=upstream.feed.message&format=data", new CopyOnWriteArrayList<>(), new AtomicInteger());
    Await.until(WAIT, "counted", this::connectedClients, n -> n == 1);
    String metrics = io.vertx.ext.web.client.WebClient.create(app.vertx()).get(app.httpPort(), "127.0.0.1", "/metrics").send()
        .await().bodyAsString();
    assertTrue(metrics.lines().anyMatch(l -> l.startsWith("switchboard_bridge_websocket_clients") && l.endsWith(" 1.0")), metrics);
    ws.close().await();
    Await.until(WAIT, "released", this::connectedClients, n -> n == 0);
  }

  @Test
  @DisplayName("a subscription on a market symbol's address watches it, as a bridge registration does: subscribed upstream while it is open, released when it closes")
  void watchesAMarketSymbol() {
    List<String> frames = new CopyOnWriteArrayList<>();
    WebSocket ws = open("/subscribe?address=market.market.trades.AAPL&format=data", frames, new AtomicInteger());
    Await.until(WAIT, "AAPL subscribed upstream", () -> alpaca.subscriptions().await().getOrDefault("trades", List.of()),
        symbols -> symbols.contains("AAPL"));
    Await.until(WAIT, "AAPL trades", () -> frames.size() >= 3);
    assertEquals("AAPL", new JsonObject(frames.get(0)).getString("S"), "a trade's data, as Alpaca sent it: " + frames.get(0));
    List<String> refused = new CopyOnWriteArrayList<>();
    open("/subscribe?address=market.market.trades.aapl&format=data", refused, new AtomicInteger());
    Await.until(WAIT, "the refusal of a lower-case symbol", () -> refused.size() >= 1);
    assertEquals("invalid_symbol", new JsonObject(refused.get(0)).getString("code"), refused.get(0));
    ws.close().await();
    Await.until(WAIT, "AAPL unsubscribed upstream", () -> alpaca.subscriptions().await().getOrDefault("trades", List.of()),
        symbols -> !symbols.contains("AAPL"));
  }

  @Test
  @DisplayName("the bridge's rules decide: an address a client may not receive gets 403, a bad request (or a plain GET) 400, as JSON")
  void rules() throws java.io.IOException {
    assertEquals(403, RawHttp.upgradeStatus(app.httpPort(), "/subscribe?address=switchboard.control", ""));
    assertEquals(400, RawHttp.upgradeStatus(app.httpPort(), "/subscribe", ""));
    assertEquals(400, RawHttp.upgradeStatus(app.httpPort(), "/subscribe?address=upstream.feed.message&format=xml", ""));
    // The notices of what a bridge client did not get are bridge frames: never mixed into a subscription's stream.
    assertEquals(400, RawHttp.upgradeStatus(app.httpPort(), "/subscribe?address=upstream.feed.message&address=switchboard.bridge.dropped", ""));
    var plain = io.vertx.ext.web.client.WebClient.create(app.vertx()).get(app.httpPort(), "127.0.0.1", "/subscribe?address=upstream.feed.message")
        .send().await();
    assertEquals(400, plain.statusCode(), "a plain GET, no upgrade");
    assertTrue(plain.bodyAsJsonObject().getString("error").contains("WebSocket"), plain.bodyAsString());
  }
}
