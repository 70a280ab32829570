package dev.switchboard.server;

import dev.switchboard.core.ListenerState;
import dev.switchboard.core.ListenerStatus;
import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.alpaca.AlpacaSimulator;
import dev.switchboard.simulators.alpaca.AlpacaSimulatorOptions;
import dev.switchboard.simulators.alpaca.SubscriptionChange;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulator;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kinds' state that must outlive an owner, in three Switchboard nodes clustered in this JVM: the
 * market's demand (a browser on one node makes the listener on another subscribe; Java clients' watches;
 * a new owner restores both; a node that dies takes its watches with it) and Home Assistant's
 * {@code events_total}, against the Alpaca and Home Assistant simulators.
 */
class ClusterKindsTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String MARKET = "market";
  private static final String HOME = "home";
  private static final String HA_TOKEN = "cluster-test-token";
  private static final long LINGER_MS = 500;

  @TempDir
  Path dir;
  private Vertx clients;
  private AlpacaSimulator alpaca;
  private HomeAssistantSimulator home;
  private ClusterFixture cluster;

  @BeforeEach
  void setUp() {
    clients = Vertx.vertx();
    alpaca = new AlpacaSimulator(AlpacaSimulatorOptions.defaults().withData(20, Duration.ofMillis(200))
        .withAnswers(Duration.ofMillis(5), Duration.ZERO));
    clients.deployVerticle(alpaca).await();
    home = new HomeAssistantSimulator(HomeAssistantSimulatorOptions.defaults().withToken(HA_TOKEN));
    clients.deployVerticle(home).await();
  }

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
    clients.close().await();
  }

  @Test
  @DisplayName("a browser on node B and a Java client make the owner subscribe once; a new owner subscribes both again;"
      + " events_total continues; the last watcher leaving unsubscribes after the linger")
  void demandAndCountersFollowTheOwner() throws Exception {
    cluster = new ClusterFixture(dir, 3, alpacaListener(), homeListener()).startAll();
    ListenerStatus market = connected(MARKET, 0);
    ListenerStatus counters = connected(HOME, 0);
    String ownerA = market.owner();
    // B, where the browser is, owns neither listener: it stays up while both owners are stopped.
    List<Integer> others = cluster.others(ownerA);
    int b = others.stream().filter(i -> !ClusterFixture.name(i).equals(counters.owner())).findFirst().orElseThrow();
    Switchboard nodeB = cluster.node(b);
    Switchboard nodeC = cluster.node(others.stream().filter(i -> i != b).findFirst().orElseThrow());

    // A browser on B registers AAPL through B's bridge; the listener runs on A.
    BridgeClient browser = BridgeClient.connect(clients, nodeB.httpPort(), "/eventbus/websocket");
    browser.register(address("trades", "AAPL"));
    Await.until(WAIT, "AAPL subscribed upstream", () -> upstream().get("trades").contains("AAPL"));
    Await.until(WAIT, "AAPL trades reach the browser on B", () -> trades(browser, "AAPL", market.epoch()) > 0);
    // A Java client on C watches MSFT quotes over the event bus: its request reaches the registry on A.
    JsonObject watched = nodeC.vertx().eventBus().<JsonObject>request("market." + MARKET + ".watch", new JsonObject()
        .put("client", "ticker-on-c").put("channel", "quotes").put("symbols", new JsonArray().add("MSFT"))).await().body();
    assertEquals(1, watched.getInteger("watching"));
    Await.until(WAIT, "MSFT subscribed upstream", () -> upstream().get("quotes").contains("MSFT"));
    assertEquals(1, subscribes("trades", "AAPL"), "one upstream subscribe for AAPL");
    Await.until(WAIT, "both clients counted at the owner", () -> kindField(MARKET, "total_clients"), n -> n == 2L);

    Await.until(WAIT, "subscribed to Home Assistant", () -> ClusterFixture.status(cluster.any(), HOME).kindFields().getBoolean("subscribed", false));
    home.burst(30).await();
    Await.until(WAIT, "30 events counted", () -> kindField(HOME, "events_total"), n -> n == 30L);

    // The market's owner stops: the next owner connects, and subscribes what B's browser and the Java client watch.
    long subscribesBefore = alpaca.changes().size();
    cluster.stop(cluster.indexOf(ownerA));
    ListenerStatus moved = Await.until(WAIT, "the market listener connected on another node",
        () -> ClusterFixture.status(nodeB, MARKET), s -> s.state() == ListenerState.CONNECTED && s.epoch() > market.epoch());
    assertNotEquals(ownerA, moved.owner());
    Await.until(WAIT, "AAPL and MSFT subscribed again by the new owner", this::upstream,
        set -> set.get("trades").contains("AAPL") && set.get("quotes").contains("MSFT"));
    assertTrue(alpaca.changes().stream().skip(subscribesBefore).anyMatch(c -> c.action().equals("subscribe")),
        "the new connection subscribed: " + alpaca.changes());
    Await.until(WAIT, "AAPL trades reach the browser again, under the new epoch", () -> trades(browser, "AAPL", moved.epoch()) > 0);
    assertEquals(1, alpaca.maxConcurrentConnections(), "never two upstream connections");

    // Home Assistant's owner stops (it may have been the same node): events_total continues from 30.
    if (!counters.owner().equals(ownerA)) {
      cluster.start(cluster.indexOf(ownerA)); // a majority must remain after the next stop
      cluster.stop(cluster.indexOf(counters.owner()));
    }
    ListenerStatus continued = Await.until(WAIT, "Home Assistant connected on another node",
        () -> ClusterFixture.status(cluster.any(), HOME),
        s -> s.state() == ListenerState.CONNECTED && s.epoch() > counters.epoch() && s.kindFields().getBoolean("subscribed", false));
    assertEquals(30L, continued.kindFields().getLong("events_total"), "events_total continues where the last owner left it");
    assertEquals(0L, continued.kindFields().getLong("events_session"), "the new owner's session starts from zero");
    home.burst(5).await();
    Await.until(WAIT, "5 more counted on the new owner", () -> kindField(HOME, "events_total"), n -> n == 35L);

    // The last watcher of AAPL leaves: unsubscribed after the linger; MSFT stays, its Java client still watches.
    // (If Home Assistant's owner owned the market too, the market moved again: AAPL must be back upstream first,
    // or its absence would be the new connection's, not the unsubscribe's.)
    Await.until(WAIT, "AAPL subscribed upstream before the browser leaves", () -> upstream().get("trades").contains("AAPL"));
    long left = System.currentTimeMillis();
    browser.socket.close().await();
    Await.until(WAIT, "AAPL unsubscribed", () -> !upstream().get("trades").contains("AAPL"));
    SubscriptionChange unsubscribe = alpaca.changes().stream()
        .filter(c -> c.action().equals("unsubscribe") && c.symbols("trades").contains("AAPL")).findFirst().orElseThrow();
    assertTrue(unsubscribe.at() - left >= LINGER_MS - 20, "unsubscribed " + (unsubscribe.at() - left) + " ms after the browser left");
    assertTrue(upstream().get("quotes").contains("MSFT"));
  }

  @Test
  @DisplayName("a node that dies takes its browsers' watches with it: unsubscribed after the linger, the other nodes' kept")
  void aNodeThatDiesTakesItsWatchesWithIt() throws Exception {
    cluster = new ClusterFixture(dir, 3, alpacaListener()).startAll();
    ListenerStatus market = connected(MARKET, 0);
    List<Integer> others = cluster.others(market.owner());
    // Not node-a, the oldest member: Hazelcast's master, whose loss stalls the cluster's maps for a moment.
    int doomed = others.get(1);
    BridgeClient survivor = BridgeClient.connect(clients, cluster.node(others.get(0)).httpPort(), "/eventbus/websocket");
    survivor.register(address("trades", "AAPL"));
    BridgeClient onDoomed = BridgeClient.connect(clients, cluster.node(doomed).httpPort(), "/eventbus/websocket");
    onDoomed.register(address("trades", "AAPL"));
    onDoomed.register(address("bars", "TSLA"));
    Await.until(WAIT, "both subscribed", this::upstream, set -> set.get("trades").contains("AAPL") && set.get("bars").contains("TSLA"));

    long died = System.currentTimeMillis();
    cluster.cutOff(doomed);
    Await.until(WAIT, "TSLA unsubscribed once its only watcher's node is gone", () -> !upstream().get("bars").contains("TSLA"));
    SubscriptionChange unsubscribe = alpaca.changes().stream()
        .filter(c -> c.action().equals("unsubscribe") && c.symbols("bars").contains("TSLA")).findFirst().orElseThrow();
    assertTrue(unsubscribe.at() - died >= LINGER_MS - 20, "unsubscribed " + (unsubscribe.at() - died) + " ms after the node died");
    assertTrue(upstream().get("trades").contains("AAPL"), "AAPL is still watched from another node");
    assertEquals(0, alpaca.changes().stream().filter(c -> c.action().equals("unsubscribe") && c.symbols("trades").contains("AAPL")).count());
    assertEquals(market.epoch(), ClusterFixture.status(cluster.node(others.get(0)), MARKET).epoch(), "the owner never changed");
    assertEquals(1, alpaca.totalConnections(), "the owner's connection stayed up throughout");
  }

  // ---- helpers -------------------------------------------------------------------------------------

  private JsonObject alpacaListener() {
    return new JsonObject().put("name", MARKET).put("type", "alpaca").put("autoStart", true).put("url", alpaca.url("iex"))
        .put("key", AlpacaSimulatorOptions.DEMO_KEY).put("secret", AlpacaSimulatorOptions.DEMO_SECRET)
        .put("encoding", "json").put("unsubscribeLinger", LINGER_MS + "ms").put("restart", restart());
  }

  private JsonObject homeListener() {
    return new JsonObject().put("name", HOME).put("type", "homeassistant").put("autoStart", true).put("url", home.url())
        .put("token", HA_TOKEN).put("restart", restart());
  }

  /** Quick retries; heartbeats generous enough that a loaded machine never reconnects on its own. */
  private static JsonObject restart() {
    return new JsonObject().put("initialDelay", "20ms").put("maxDelay", "200ms")
        .put("heartbeatInterval", "1s").put("heartbeatTimeout", "2s").put("connectTimeout", "5s");
  }

  private ListenerStatus connected(String listener, long afterEpoch) {
    return Await.until(WAIT, listener + " connected through one owner", () -> ClusterFixture.status(cluster.any(), listener),
        s -> s.state() == ListenerState.CONNECTED && s.owner() != null && s.epoch() > afterEpoch);
  }

  private long kindField(String listener, String field) {
    return ClusterFixture.status(cluster.any(), listener).kindFields().getLong(field, -1L);
  }

  private static String address(String channel, String symbol) {
    return "market." + MARKET + "." + channel + "." + symbol;
  }

  /** The simulator's current set, channel -> symbols. */
  private Map<String, List<String>> upstream() {
    Map<String, List<String>> set = new java.util.HashMap<>(alpaca.subscriptions().await());
    for (String channel : List.of("trades", "quotes", "bars")) {
      set.putIfAbsent(channel, List.of());
    }
    return set;
  }

  private long subscribes(String channel, String symbol) {
    return alpaca.changes().stream().filter(c -> c.action().equals("subscribe") && c.symbols(channel).contains(symbol)).count();
  }

  /** Trades of {@code symbol} the browser received, published under {@code epoch}. */
  private static long trades(BridgeClient browser, String symbol, long epoch) {
    return browser.messages().stream()
        .filter(m -> "rec".equals(m.getString("type")) && address("trades", symbol).equals(m.getString("address")))
        .map(m -> m.getJsonObject("body"))
        .filter(body -> "trade".equals(body.getString("type")) && body.getLong("epoch", 0L) == epoch)
        .count();
  }
}
