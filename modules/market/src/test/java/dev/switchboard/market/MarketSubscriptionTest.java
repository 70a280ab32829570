package dev.switchboard.market;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Control;
import dev.switchboard.simulators.alpaca.AlpacaSimulator;
import dev.switchboard.simulators.alpaca.SubscriptionChange;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

import static dev.switchboard.core.BridgeActivity.Kind.REGISTER;
import static dev.switchboard.core.BridgeActivity.Kind.SOCKET_CLOSED;
import static dev.switchboard.core.BridgeActivity.Kind.UNREGISTER;
import static dev.switchboard.market.MarketFixture.NAME;
import static dev.switchboard.market.MarketFixture.WAIT;
import static dev.switchboard.market.MarketFixture.address;
import static dev.switchboard.market.MarketFixture.bridge;
import static dev.switchboard.market.MarketFixture.set;
import static dev.switchboard.market.MarketFixture.upstream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared subscriptions: many clients, one upstream subscription per symbol, proved against the simulator. */
@ExtendWith(VertxExtension.class)
class MarketSubscriptionTest {
  @TempDir
  Path dataDir;
  private Vertx vertx;
  private Control control;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.control = new Control(vertx);
  }

  private AlpacaSimulator start(JsonObject listenerConfig) {
    return start(MarketFixture.simulator(vertx, MarketFixture.simulatorOptions()), listenerConfig);
  }

  private AlpacaSimulator start(AlpacaSimulator sim, JsonObject listenerConfig) {
    MarketFixture.deploySupervisor(vertx, dataDir, MarketFixture.alpaca(sim.url("iex"), MarketFixture.fastPolicy(), listenerConfig));
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    return sim;
  }

  private static List<SubscriptionChange> changesOf(AlpacaSimulator sim, String action, String channel, String symbol) {
    return sim.changes().stream().filter(c -> c.action().equals(action) && c.symbols(channel).contains(symbol)).toList();
  }

  /** What the trades addresses of {@code symbols} publish from now on, each envelope with its "symbol". */
  private List<JsonObject> toldOnTrades(String... symbols) {
    List<JsonObject> told = new CopyOnWriteArrayList<>();
    for (String symbol : symbols) {
      vertx.eventBus().<JsonObject>consumer(address("trades", symbol), m -> told.add(m.body().put("symbol", symbol))).completion().await();
    }
    return told;
  }

  /** Waits for a refusal among {@code told}, then checks it is the only one, and of {@code symbol}; answers it. */
  private static JsonObject theOnlyRefusal(List<JsonObject> told, String symbol) {
    Await.until(WAIT, "the refusal told", () -> told.stream().anyMatch(e -> "error".equals(e.getString("type"))));
    List<JsonObject> refusals = told.stream().filter(e -> "error".equals(e.getString("type"))).toList();
    assertEquals(1, refusals.size(), refusals.toString());
    assertEquals(symbol, refusals.get(0).getString("symbol"));
    return refusals.get(0);
  }

  /** Every change before this barrier has reached the simulator: changes go out one at a time, in order. */
  private void barrier(AlpacaSimulator sim, String symbol) {
    MarketFixture.watch(vertx, "barrier", "bars", symbol);
    Await.until(WAIT, "the barrier " + symbol + " subscribed", () -> upstream(sim).get("bars").contains(symbol));
  }

  @Test
  @DisplayName("three clients watch AAPL: one subscribe; two leave: still subscribed; the last leaves: one unsubscribe")
  void threeClientsShareOneSubscription() {
    AlpacaSimulator sim = start(new JsonObject());
    bridge(vertx, REGISTER, "s1", address("trades", "AAPL"));
    bridge(vertx, REGISTER, "s2", address("trades", "AAPL"));
    MarketFixture.watch(vertx, "ticker-verticle", "trades", "AAPL");
    Await.until(WAIT, "AAPL subscribed upstream", () -> upstream(sim).get("trades").contains("AAPL"));
    Await.until(WAIT, "three clients counted", () -> MarketFixture.health(vertx).getInteger("total_clients") == 3);
    assertEquals(1, changesOf(sim, "subscribe", "trades", "AAPL").size(), "one upstream subscribe for three clients");

    bridge(vertx, UNREGISTER, "s1", address("trades", "AAPL"));
    MarketFixture.unwatch(vertx, "ticker-verticle", "trades", "AAPL");
    Await.until(WAIT, "one client left", () -> MarketFixture.health(vertx).getInteger("total_clients") == 1);
    barrier(sim, "ZZZ");
    assertTrue(upstream(sim).get("trades").contains("AAPL"), "still subscribed while one client watches");
    assertEquals(0, changesOf(sim, "unsubscribe", "trades", "AAPL").size());

    bridge(vertx, UNREGISTER, "s2", address("trades", "AAPL"));
    Await.until(WAIT, "AAPL unsubscribed upstream", () -> !upstream(sim).get("trades").contains("AAPL"));
    barrier(sim, "YYY");
    assertEquals(1, changesOf(sim, "unsubscribe", "trades", "AAPL").size(), "one unsubscribe when the last client leaves");
    assertEquals(1, changesOf(sim, "subscribe", "trades", "AAPL").size());
    assertEquals(0, sim.overlappingChanges());
  }

  @Test
  @DisplayName("a socket that dies abruptly (SOCKET_CLOSED alone) releases everything it watched, and nothing else")
  void abruptlyClosedSocketReleasesEverything() {
    AlpacaSimulator sim = start(new JsonObject());
    bridge(vertx, REGISTER, "doomed", address("trades", "AAPL"));
    bridge(vertx, REGISTER, "doomed", address("quotes", "AAPL"));
    bridge(vertx, REGISTER, "doomed", address("bars", "MSFT"));
    bridge(vertx, REGISTER, "other", address("trades", "AAPL"));
    Await.until(WAIT, "all subscribed", () -> upstream(sim).equals(set("AAPL", "AAPL", "MSFT")));

    bridge(vertx, SOCKET_CLOSED, "doomed", null);
    Await.until(WAIT, "only the other socket's symbol left", () -> upstream(sim).equals(set("AAPL", "", "")));
    JsonObject health = MarketFixture.health(vertx);
    assertEquals(1, health.getInteger("total_clients"));
    assertEquals(set("AAPL", "", ""), MarketFixture.sets(health.getJsonObject("wanted_symbols")));

    // The server's own sequence on a close: an UNREGISTER per address still held, then SOCKET_CLOSED.
    bridge(vertx, UNREGISTER, "other", address("trades", "AAPL"));
    bridge(vertx, SOCKET_CLOSED, "other", null);
    Await.until(WAIT, "nothing left", () -> upstream(sim).equals(set("", "", "")));
    assertEquals(0, MarketFixture.health(vertx).getInteger("total_clients"));
  }

  @Test
  @DisplayName("50 clients watch and unwatch 20 symbols at random: the simulator's set equals the registry's; never two changes in flight")
  void randomChurn() {
    AlpacaSimulator sim = start(new JsonObject().put("unsubscribeLinger", "20ms"));
    Random random = new Random(42);
    List<String> symbols = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      symbols.add("S" + i);
    }
    List<String> channels = List.of("trades", "quotes", "bars");
    Map<String, Set<String>> model = new HashMap<>(); // client -> "channel:symbol"
    long until = System.currentTimeMillis() + 1500;
    int ops = 0;
    while (System.currentTimeMillis() < until) {
      int c = random.nextInt(50);
      boolean browser = c < 25;
      String client = browser ? "sock-" + c : "java-" + c;
      String channel = channels.get(random.nextInt(3));
      String symbol = symbols.get(random.nextInt(20));
      Set<String> mine = model.computeIfAbsent(client, k -> new HashSet<>());
      String key = channel + ":" + symbol;
      if (browser && random.nextInt(40) == 0) {
        bridge(vertx, SOCKET_CLOSED, client, null);
        mine.clear();
      } else if (mine.contains(key)) {
        if (browser) {
          bridge(vertx, UNREGISTER, client, address(channel, symbol));
        } else {
          MarketFixture.unwatch(vertx, client, channel, symbol);
        }
        mine.remove(key);
      } else {
        if (browser) {
          bridge(vertx, REGISTER, client, address(channel, symbol));
        } else {
          MarketFixture.watch(vertx, client, channel, symbol);
        }
        mine.add(key);
      }
      ops++;
    }
    Map<String, TreeSet<String>> expected = new TreeMap<>(set("", "", ""));
    model.values().forEach(keys -> keys.forEach(k -> expected.get(k.split(":")[0]).add(k.split(":")[1])));

    Await.until(WAIT, "the registry to hold what the clients want", () -> MarketFixture.sets(
        MarketFixture.health(vertx).getJsonObject("wanted_symbols")), expected::equals);
    Await.until(WAIT, "the upstream to hold what the registry holds", () -> upstream(sim), expected::equals);
    JsonObject health = MarketFixture.health(vertx);
    assertEquals(expected, MarketFixture.sets(health.getJsonObject("active_symbols")), "the registry's view of the upstream");
    assertEquals(model.values().stream().filter(s -> !s.isEmpty()).count(), (long) health.getInteger("total_clients"));
    assertEquals(0, sim.overlappingChanges(), "a change was sent while another was unanswered");
    long changes = sim.stats().getLong("subscription_changes"); // all of them: changes() keeps only the last ones
    assertTrue(changes < ops, changes + " changes for " + ops + " client operations: not coalesced");
    assertEquals(1, sim.maxConcurrentConnections());
  }

  @Test
  @DisplayName("invalid symbols are refused with a clear error and never reach the upstream")
  void invalidSymbolsAreRefused() {
    AlpacaSimulator sim = start(new JsonObject());
    String watch = "market." + NAME + ".watch";
    Map<JsonObject, String> bad = new java.util.LinkedHashMap<>();
    bad.put(new JsonObject().put("client", "v").put("channel", "trades").put("symbols", new io.vertx.core.json.JsonArray().add("AA$PL")), "not valid");
    bad.put(new JsonObject().put("client", "v").put("channel", "trades").put("symbols", new io.vertx.core.json.JsonArray().add("")), "must not be empty");
    bad.put(new JsonObject().put("client", "v").put("channel", "trades").put("symbols", new io.vertx.core.json.JsonArray().add("A".repeat(21))), "longer than 20");
    bad.put(new JsonObject().put("client", "v").put("channel", "trades").put("symbols", new io.vertx.core.json.JsonArray().add(42)), "must be a string");
    bad.put(new JsonObject().put("client", "v").put("channel", "trades").put("symbols", new io.vertx.core.json.JsonArray().add("MSFT").add("*")), "not valid");
    bad.put(new JsonObject().put("client", "v").put("channel", "trades").put("symbols", new io.vertx.core.json.JsonArray()), "non-empty array");
    bad.put(new JsonObject().put("client", "v").put("channel", "orderbooks").put("symbols", new io.vertx.core.json.JsonArray().add("AAPL")), "unknown channel");
    bad.put(new JsonObject().put("channel", "trades").put("symbols", new io.vertx.core.json.JsonArray().add("AAPL")), "\"client\"");
    bad.put(new JsonObject().put("client", "v").put("channel", "trades").put("symbol", "AAPL"), "unknown field \"symbol\"");
    for (Map.Entry<JsonObject, String> e : bad.entrySet()) {
      ReplyException refused = assertThrows(ReplyException.class, () -> vertx.eventBus().request(watch, e.getKey()).await(),
          "accepted: " + e.getKey());
      assertEquals(400, refused.failureCode(), e.getKey().encode());
      assertTrue(refused.getMessage().contains(e.getValue()), "'" + refused.getMessage() + "' should say " + e.getValue());
    }
    ReplyException notJson = assertThrows(ReplyException.class, () -> vertx.eventBus().request(watch, "AAPL").await());
    assertEquals(400, notJson.failureCode());

    // A browser registering an address whose symbol is not canonical is told so on that very address.
    List<JsonObject> errors = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(address("trades", "aapl"), m -> errors.add(m.body())).completion().await();
    vertx.eventBus().<JsonObject>consumer(address("quotes", "BAD$"), m -> errors.add(m.body())).completion().await();
    bridge(vertx, REGISTER, "browser", address("trades", "aapl"));
    bridge(vertx, REGISTER, "browser", address("quotes", "BAD$"));
    Await.until(WAIT, "two error envelopes", () -> errors.size() == 2);
    for (JsonObject error : errors) {
      assertEquals("error", error.getString("type"));
      assertEquals("invalid_symbol", error.getJsonObject("data").getString("code"));
    }

    // A lower-case symbol from Java is upper-cased: that one is valid.
    JsonObject ok = MarketFixture.watch(vertx, "v", "trades", "aapl");
    assertEquals("AAPL", ok.getJsonArray("symbols").getString(0));
    assertEquals(address("trades", "AAPL"), ok.getJsonArray("addresses").getString(0));
    Await.until(WAIT, "AAPL subscribed", () -> upstream(sim).get("trades").contains("AAPL"));

    Pattern canonical = Pattern.compile("[A-Z0-9][A-Z0-9./-]{0,19}");
    for (SubscriptionChange change : sim.changes()) {
      for (String channel : List.of("trades", "quotes", "bars")) {
        change.symbols(channel).forEach(s -> assertTrue(canonical.matcher(s).matches(), "reached upstream: " + s));
      }
    }
    assertEquals(List.of("AAPL"), sim.changes().stream().flatMap(c -> c.symbols("trades").stream()).toList());
    assertTrue(sim.errors().isEmpty(), "the upstream never had to refuse anything: " + sim.errors());
    assertTrue(control.status(NAME).getLong("refused_requests") >= 12);
  }

  @Test
  @DisplayName("a client over maxSymbolsPerClient is refused, Java with 429, a browser with an error envelope")
  void perClientSymbolLimit() {
    AlpacaSimulator sim = start(new JsonObject().put("maxSymbolsPerClient", 3));
    ReplyException tooMany = assertThrows(ReplyException.class,
        () -> MarketFixture.watch(vertx, "greedy", "trades", "A", "B", "C", "D"));
    assertEquals(429, tooMany.failureCode());
    assertTrue(tooMany.getMessage().contains("limit is 3"), tooMany.getMessage());
    MarketFixture.watch(vertx, "greedy", "trades", "A", "B", "C");
    assertThrows(ReplyException.class, () -> MarketFixture.watch(vertx, "greedy", "quotes", "A"));
    MarketFixture.watch(vertx, "greedy", "trades", "A"); // already watched: no new symbol, no refusal

    List<JsonObject> errors = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(address("bars", "D"), m -> errors.add(m.body())).completion().await();
    for (String s : List.of("A", "B", "C", "D")) {
      bridge(vertx, REGISTER, "tab", address("bars", s));
    }
    Await.until(WAIT, "the refusal told", () -> errors.size() == 1);
    assertEquals("client_limit", errors.get(0).getJsonObject("data").getString("code"));
    Await.until(WAIT, "the allowed ones subscribed", () -> upstream(sim), set("A,B,C", "", "A,B,C")::equals);
  }

  @Test
  @DisplayName("a browser refused over its limit while another here watches the same symbol is told once that other one leaves")
  void aRefusalBehindAnotherWatcherIsToldWhenItLeaves() {
    AlpacaSimulator sim = start(new JsonObject().put("maxSymbolsPerClient", 1));
    List<JsonObject> errors = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(address("trades", "AAPL"), m -> {
      if ("error".equals(m.body().getString("type"))) {
        errors.add(m.body());
      }
    }).completion().await();
    bridge(vertx, REGISTER, "tab-a", address("trades", "AAPL"));
    bridge(vertx, REGISTER, "tab-b", address("trades", "MSFT"));
    Await.until(WAIT, "both subscribed", () -> upstream(sim), set("AAPL,MSFT", "", "")::equals);

    bridge(vertx, REGISTER, "tab-b", address("trades", "AAPL")); // over tab-b's limit, while tab-a watches AAPL
    Await.until(WAIT, "the refusal counted", () -> control.status(NAME).getLong("refused_requests") == 1);
    assertEquals(List.of(), errors, "not told while tab-a watches: the error would reach tab-a too");

    bridge(vertx, UNREGISTER, "tab-a", address("trades", "AAPL"));
    Await.until(WAIT, "tab-b told once nobody else watches AAPL", () -> errors.size() == 1);
    assertEquals("client_limit", errors.get(0).getJsonObject("data").getString("code"));
    Await.until(WAIT, "AAPL unsubscribed", () -> upstream(sim), set("MSFT", "", "")::equals);
  }

  @Test
  @DisplayName("405 from the upstream: the set is unchanged, and the clients that asked are told on the symbol's address")
  void symbolLimitRefusalIsReported() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions().withSymbolLimit(2, false));
    start(sim, new JsonObject());
    MarketFixture.watch(vertx, "first", "trades", "AAPL", "MSFT");
    Await.until(WAIT, "two symbols subscribed", () -> upstream(sim), set("AAPL,MSFT", "", "")::equals);

    List<JsonObject> told = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(address("trades", "TSLA"), m -> told.add(m.body())).completion().await();
    MarketFixture.watch(vertx, "second", "trades", "TSLA");
    bridge(vertx, REGISTER, "tab", address("trades", "TSLA"));
    Await.until(WAIT, "the 405 reported", () -> told.stream().anyMatch(e -> "405".equals(e.getJsonObject("data").getString("code"))));
    assertTrue(told.get(0).getJsonObject("data").getString("message").contains("symbol limit exceeded"));
    Await.until(WAIT, "the refused symbol forgotten", () -> MarketFixture.sets(
        MarketFixture.health(vertx).getJsonObject("wanted_symbols")), set("AAPL,MSFT", "", "")::equals);
    assertEquals(set("AAPL,MSFT", "", ""), upstream(sim));
    assertTrue(sim.errors().stream().anyMatch(e -> e.code() == 405));

    MarketFixture.unwatch(vertx, "first", "trades", "MSFT");
    MarketFixture.watch(vertx, "second", "trades", "TSLA");
    Await.until(WAIT, "room made, TSLA subscribed", () -> upstream(sim), set("AAPL,TSLA", "", "")::equals);
  }

  @Test
  @DisplayName("400 from the upstream for one symbol of three asked together: the change is halved until the one is named; "
      + "the other two are subscribed, the one is refused and told")
  void aSymbolTheUpstreamCallsBadlyFormattedIsRefusedAlone() {
    AlpacaSimulator sim = start(new JsonObject());
    sim.refuseAsBadlyFormatted(java.util.Set.of("BAD1"));
    List<JsonObject> told = toldOnTrades("AAPL", "BAD1", "MSFT");
    MarketFixture.watch(vertx, "v", "trades", "AAPL", "BAD1", "MSFT");

    JsonObject refusal = theOnlyRefusal(told, "BAD1");
    Await.until(WAIT, "the two others subscribed", () -> upstream(sim), set("AAPL,MSFT", "", "")::equals);
    assertEquals(1, told.stream().filter(e -> "error".equals(e.getString("type"))).count(), "still the only refusal");
    assertEquals("400", refusal.getJsonObject("data").getString("code"));
    Await.until(WAIT, "only the refused symbol forgotten", () -> MarketFixture.sets(
        MarketFixture.health(vertx).getJsonObject("wanted_symbols")), set("AAPL,MSFT", "", "")::equals);
  }

  @Test
  @DisplayName("a browser and a Java client watching while the listener's definition changes keep their symbols: the new instance takes them over")
  void aDefinitionChangeKeepsTheBrowsersWatches() {
    AlpacaSimulator sim = start(new JsonObject());
    bridge(vertx, REGISTER, "tab", address("trades", "AAPL"));
    MarketFixture.watch(vertx, "java-client", "quotes", "MSFT");
    Await.until(WAIT, "subscribed", () -> upstream(sim), set("AAPL", "MSFT", "")::equals);
    long deployments = control.status(NAME).getLong("deployments");

    JsonObject changed = MarketFixture.alpaca(sim.url("iex"), MarketFixture.fastPolicy(), new JsonObject().put("maxSymbolsPerClient", 40)).source();
    JsonObject answer = vertx.eventBus().<JsonObject>request(Addresses.CONTROL,
        new JsonObject().put("action", "define").put("name", NAME).put("definition", changed)).await().body();
    assertEquals("updated", answer.getString("status"), answer.encode());
    Await.until(WAIT, "a new instance connected", () -> control.status(NAME),
        s -> s.getLong("deployments") > deployments && "CONNECTED".equals(s.getString("state")));
    Await.until(WAIT, "the browser's and the Java client's symbols wanted by the new instance", () -> MarketFixture.sets(
        MarketFixture.health(vertx).getJsonObject("wanted_symbols")), set("AAPL", "MSFT", "")::equals);
    Await.until(WAIT, "and subscribed", () -> upstream(sim), set("AAPL", "MSFT", "")::equals);

    bridge(vertx, UNREGISTER, "tab", address("trades", "AAPL"));
    Await.until(WAIT, "unsubscribed once the browser leaves: the registration taken over is the live one",
        () -> !upstream(sim).get("trades").contains("AAPL"));
  }

  @Test
  @DisplayName("a node's report built before the upstream's refusal reached it does not ask for the refused symbol again; "
      + "one built after (a browser asking anew) does")
  void aReportFromBeforeARefusalDoesNotAskAgain() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions().withSymbolLimit(1, false));
    start(sim, new JsonObject());
    MarketAddresses addresses = new MarketAddresses(NAME);
    List<JsonObject> refusals = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(addresses.forget(), m -> refusals.add(m.body())).completion().await();
    WatchSet aapl = WatchSet.fromJson(new JsonObject().put("trades", new JsonArray().add("AAPL")));
    WatchSet both = WatchSet.fromJson(new JsonObject().put("trades", new JsonArray().add("AAPL").add("TSLA")));
    WatchSet tsla = WatchSet.fromJson(new JsonObject().put("trades", new JsonArray().add("TSLA")));
    vertx.eventBus().request(addresses.nodeReports(), new NodeReport("node-x", "boot-1", 1, aapl, 1, 0).toJson()).await();
    Await.until(WAIT, "AAPL subscribed", () -> upstream(sim), set("AAPL", "", "")::equals);
    vertx.eventBus().request(addresses.nodeReports(), new NodeReport("node-x", "boot-1", 2, both, 1, 0).toJson()).await();
    Await.until(WAIT, "TSLA refused past the limit", () -> refusals.size() == 1);
    String registry = refusals.get(0).getString("registry");
    long refusal = refusals.get(0).getLong("refusal");

    // Built before node-x applied the refusal: AAPL left, TSLA still in it. Only AAPL's leaving counts.
    vertx.eventBus().request(addresses.nodeReports(), new NodeReport("node-x", "boot-1", 3, tsla, 1, 0).toJson()).await();
    Await.until(WAIT, "AAPL unsubscribed, TSLA not asked for again", () -> upstream(sim), set("", "", "")::equals);
    assertEquals(1, changesOf(sim, "subscribe", "trades", "TSLA").size(), "TSLA asked for once: " + sim.changes());

    // Built after: its browser asked anew.
    vertx.eventBus().request(addresses.nodeReports(),
        new NodeReport("node-x", "boot-1", 4, tsla, 1, 0, java.util.Map.of(registry, refusal)).toJson()).await();
    Await.until(WAIT, "TSLA subscribed now that it fits", () -> upstream(sim), set("TSLA", "", "")::equals);
  }

  @Test
  @DisplayName("at the symbol limit, a symbol watched in place of one nobody wants any more (still lingering) takes its place: no refusal")
  void aSwapAtTheSymbolLimitMakesRoom() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions().withSymbolLimit(2, false));
    start(sim, new JsonObject().put("unsubscribeLinger", "30s"));
    MarketFixture.watch(vertx, "first", "trades", "AAPL", "MSFT");
    Await.until(WAIT, "two symbols subscribed", () -> upstream(sim), set("AAPL,MSFT", "", "")::equals);

    List<JsonObject> told = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(address("trades", "TSLA"), m -> told.add(m.body())).completion().await();
    MarketFixture.unwatch(vertx, "first", "trades", "MSFT");
    MarketFixture.watch(vertx, "first", "trades", "TSLA");
    Await.until(WAIT, "TSLA subscribed in MSFT's place, long before MSFT's linger ends", () -> upstream(sim),
        set("AAPL,TSLA", "", "")::equals);
    assertEquals(List.of(), told.stream().filter(e -> "error".equals(e.getString("type"))).toList(), "no refusal told");
    Await.until(WAIT, "TSLA's data flowing", () -> !told.isEmpty());
  }

  @Test
  @DisplayName("a change the upstream keeps failing with an undocumented error is sent three times, then given up and told: never again and again")
  void anUndocumentedFailureIsNotSentForever() {
    AlpacaSimulator sim = start(new JsonObject());
    List<JsonObject> told = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(address("trades", "AAPL"), m -> told.add(m.body())).completion().await();
    sim.failChanges(429, "too many requests", 1_000);
    MarketFixture.watch(vertx, "v", "trades", "AAPL");
    Await.until(WAIT, "the client told", () -> told.stream().anyMatch(e -> "error".equals(e.getString("type"))));
    JsonObject error = told.stream().filter(e -> "error".equals(e.getString("type"))).findFirst().orElseThrow().getJsonObject("data");
    assertEquals("429", error.getString("code"));
    assertTrue(error.getString("message").contains("too many requests"), error.encode());

    sim.failChanges(0, "", 0);
    MarketFixture.watch(vertx, "w", "trades", "MSFT");
    Await.until(WAIT, "a later symbol subscribed", () -> upstream(sim).get("trades").contains("MSFT"));
    assertEquals(UpstreamSync.MAX_TRIES, changesOf(sim, "subscribe", "trades", "AAPL").size(), "subscribes of AAPL: " + sim.changes());
    assertFalse(upstream(sim).get("trades").contains("AAPL"), "given up");
  }

  @Test
  @DisplayName("past the symbol limit after a reconnect, only a newly wanted symbol is refused: those subscribed before come back, "
      + "and of two new ones sent together the one that fits is taken")
  void symbolLimitAfterAReconnect() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions().withSymbolLimit(3, false));
    start(sim, new JsonObject());
    MarketFixture.watch(vertx, "first", "trades", "AAPL", "MSFT");
    Await.until(WAIT, "two symbols subscribed", () -> upstream(sim), set("AAPL,MSFT", "", "")::equals);
    Await.until(WAIT, "the listener has the upstream's answer", () -> MarketFixture.sets(control.status(NAME)
        .getJsonObject("active_symbols")), set("AAPL,MSFT", "", "")::equals);

    sim.down(Duration.ofSeconds(1)).await();
    Await.until(WAIT, "the connection lost", () -> !"CONNECTED".equals(control.status(NAME).getString("state")));
    List<JsonObject> told = toldOnTrades("ABNB", "AMD");
    // Named to sort before MSFT: only what was streaming going first brings MSFT back.
    MarketFixture.watch(vertx, "second", "trades", "ABNB", "AMD");

    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    JsonObject refusal = theOnlyRefusal(told, "AMD");
    Await.until(WAIT, "the others subscribed", () -> upstream(sim), set("AAPL,ABNB,MSFT", "", "")::equals);
    assertEquals(1, told.stream().filter(e -> "error".equals(e.getString("type"))).count(), "still the only refusal");
    assertEquals("405", refusal.getJsonObject("data").getString("code"));
    Await.until(WAIT, "only the refused symbol forgotten", () -> MarketFixture.sets(
        MarketFixture.health(vertx).getJsonObject("wanted_symbols")), set("AAPL,ABNB,MSFT", "", "")::equals);
  }

  @Test
  @DisplayName("a subscribe still unanswered when the connection ends counts as streaming: past the limit after the reconnect, "
      + "it comes back and the newly wanted symbol is refused")
  void aSubscribeInFlightAtTheCutComesBackFirst() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions().withSymbolLimit(2, false));
    start(sim, new JsonObject());
    MarketFixture.watch(vertx, "first", "trades", "MSFT");
    Await.until(WAIT, "MSFT subscribed", () -> upstream(sim), set("MSFT", "", "")::equals);
    sim.ackDelay(Duration.ofSeconds(5));
    MarketFixture.watch(vertx, "second", "trades", "TSLA");
    Await.until(WAIT, "TSLA's subscribe sent, unanswered", () -> !changesOf(sim, "subscribe", "trades", "TSLA").isEmpty());

    sim.down(Duration.ofSeconds(1)).await();
    Await.until(WAIT, "the connection lost", () -> !"CONNECTED".equals(control.status(NAME).getString("state")));
    sim.ackDelay(Duration.ZERO);
    List<JsonObject> told = toldOnTrades("AAPL", "TSLA");
    // Named to sort first: only TSLA counting as streaming puts it ahead of AAPL.
    MarketFixture.watch(vertx, "third", "trades", "AAPL");

    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    theOnlyRefusal(told, "AAPL");
    Await.until(WAIT, "the two streaming before the cut subscribed", () -> upstream(sim), set("MSFT,TSLA", "", "")::equals);
    assertEquals(1, told.stream().filter(e -> "error".equals(e.getString("type"))).count(), "still the only refusal");
  }

  @Test
  @DisplayName("the upstream's answer is the truth: a subscription it lost shows as drift in status and is subscribed again")
  void driftIsShownAndCorrected() {
    AlpacaSimulator sim = start(new JsonObject());
    MarketFixture.watch(vertx, "v", "trades", "AAPL", "MSFT");
    Await.until(WAIT, "subscribed", () -> upstream(sim), set("AAPL,MSFT", "", "")::equals);
    assertEquals(0L, control.status(NAME).getJsonObject("subscription_drift").getLong("corrections"));

    sim.lose("trades", "AAPL").await();
    MarketFixture.watch(vertx, "v", "quotes", "TSLA");
    Await.until(WAIT, "the drift seen", () -> control.status(NAME).getJsonObject("subscription_drift").getLong("corrections") == 1);
    JsonObject last = control.status(NAME).getJsonObject("subscription_drift").getJsonObject("last");
    assertEquals(set("AAPL", "", ""), MarketFixture.sets(last.getJsonObject("missing")));
    assertEquals(set("", "", ""), MarketFixture.sets(last.getJsonObject("unexpected")));
    Await.until(WAIT, "corrected upstream", () -> upstream(sim), set("AAPL,MSFT", "TSLA", "")::equals);
    Await.until(WAIT, "status shows the corrected set", () -> MarketFixture.sets(control.status(NAME).getJsonObject("active_symbols")),
        set("AAPL,MSFT", "TSLA", "")::equals);
    assertEquals(0, sim.overlappingChanges());
  }

  @Test
  @DisplayName("unsubscribeLinger absorbs churn: leave and come back within it sends nothing; leaving for good unsubscribes after it")
  void lingerAbsorbsChurn() {
    // A linger well above how long the churn below takes on a loaded machine (ten request/replies).
    AlpacaSimulator sim = start(new JsonObject().put("unsubscribeLinger", "2s"));
    MarketFixture.watch(vertx, "v", "trades", "AAPL");
    Await.until(WAIT, "subscribed", () -> upstream(sim).get("trades").contains("AAPL"));
    for (int i = 0; i < 5; i++) {
      MarketFixture.unwatch(vertx, "v", "trades", "AAPL");
      MarketFixture.watch(vertx, "v", "trades", "AAPL");
    }
    barrier(sim, "ZZZ");
    assertEquals(1, sim.changes().stream().filter(c -> c.symbols("trades").contains("AAPL")).count(), "churn reached the upstream: " + sim.changes());

    long left = System.currentTimeMillis();
    MarketFixture.unwatch(vertx, "v", "trades", "AAPL");
    Await.until(WAIT, "unsubscribed after the linger", () -> !upstream(sim).get("trades").contains("AAPL"));
    long unsubscribedAt = changesOf(sim, "unsubscribe", "trades", "AAPL").get(0).at();
    assertTrue(unsubscribedAt - left >= 1_980, "unsubscribed " + (unsubscribedAt - left) + " ms after the last client left");
    assertEquals(1, changesOf(sim, "unsubscribe", "trades", "AAPL").size());
  }

  @Test
  @DisplayName("data for a symbol nobody wants any more (late deliveries) is dropped and counted")
  void lateDeliveriesAreDropped() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions()
        .withData(50, Duration.ofMillis(200)).withAnswers(Duration.ofMillis(5), Duration.ofMillis(500)));
    start(sim, new JsonObject());
    List<JsonObject> seen = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(address("trades", "AAPL"), m -> seen.add(m.body())).completion().await();
    MarketFixture.watch(vertx, "v", "trades", "AAPL");
    Await.until(WAIT, "trades flowing", () -> seen.size() >= 5);
    assertEquals("trade", seen.get(0).getString("type"));
    assertEquals("AAPL", seen.get(0).getJsonObject("data").getString("S"));

    MarketFixture.unwatch(vertx, "v", "trades", "AAPL");
    long unwatched = System.currentTimeMillis();
    Await.until(WAIT, "late deliveries dropped", () -> control.status(NAME).getLong("dropped_unwanted") >= 5);
    assertTrue(seen.stream().noneMatch(e -> e.getLong("ts") > unwatched + 50), "published after nobody wanted it");
  }

  @Test
  @DisplayName("status and health show the connection, the upstream set, the clients")
  void statusAndHealth() {
    AlpacaSimulator sim = start(new JsonObject());
    bridge(vertx, REGISTER, "tab", address("quotes", "MSFT"));
    MarketFixture.watch(vertx, "v", "bars", "SPY");
    Await.until(WAIT, "subscribed", () -> upstream(sim), set("", "MSFT", "SPY")::equals);
    Await.until(WAIT, "status pushed", () -> MarketFixture.sets(control.status(NAME).getJsonObject("active_symbols")),
        set("", "MSFT", "SPY")::equals);
    JsonObject status = control.status(NAME);
    assertEquals(true, status.getBoolean("alpaca_connected"));
    assertEquals(2, status.getInteger("total_clients"));
    assertEquals(1, status.getInteger("connected_clients"), "bridge sockets only; the verticle is counted in total_clients");
    assertEquals(0L, status.getJsonObject("subscription_drift").getLong("corrections"));
    JsonObject health = MarketFixture.health(vertx);
    assertEquals(true, health.getBoolean("connected"));
    assertEquals(2, health.getInteger("total_clients"));
    assertEquals(set("", "MSFT", "SPY"), MarketFixture.sets(health.getJsonObject("active_symbols")));

    control.stop(NAME);
    Await.until(WAIT, "disconnected in health", () -> !MarketFixture.health(vertx).getBoolean("connected"));
    health = MarketFixture.health(vertx);
    assertEquals(set("", "", ""), MarketFixture.sets(health.getJsonObject("active_symbols")), "nothing is subscribed without a connection");
    assertEquals(set("", "MSFT", "SPY"), MarketFixture.sets(health.getJsonObject("wanted_symbols")), "the wanted set outlives the connection");
    assertEquals(2, health.getInteger("total_clients"));
    Await.until(WAIT, "the close frame seen", () -> sim.closeCodes().contains((short) 1000));
  }

  @Test
  @DisplayName("a node the cluster no longer lists is forgotten, and its later reports are refused (409): what it watched does not come back")
  void aNodeThatLeftIsNotHeardAgain() {
    AlpacaSimulator sim = start(new JsonObject());
    String reports = new MarketAddresses(NAME).nodeReports();
    WatchSet tsla = WatchSet.of(List.of(new Watch(Channel.BARS, "TSLA")));
    vertx.eventBus().publish(Addresses.CLUSTER_NODES, new JsonObject().put("nodes", new JsonArray().add(MarketSubscriptions.SINGLE_NODE).add("node-x")));
    vertx.eventBus().request(reports, new NodeReport("node-x", "boot-1", 1, tsla, 1, 0).toJson()).await();
    Await.until(WAIT, "node-x's TSLA subscribed", () -> upstream(sim).get("bars").contains("TSLA"));

    // node-x leaves the cluster; its process lives on (its Hazelcast cut off) and its event bus still reaches the owner.
    vertx.eventBus().publish(Addresses.CLUSTER_NODES, new JsonObject().put("nodes", new JsonArray().add(MarketSubscriptions.SINGLE_NODE)));
    Await.until(WAIT, "TSLA unsubscribed once node-x left", () -> !upstream(sim).get("bars").contains("TSLA"));
    ReplyException refused = assertThrows(ReplyException.class,
        () -> vertx.eventBus().request(reports, new NodeReport("node-x", "boot-1", 2, tsla, 1, 0).toJson()).await());
    assertEquals(409, refused.failureCode());
    barrier(sim, "ZZZ");
    assertTrue(!upstream(sim).get("bars").contains("TSLA"), "a report from a node that left brings nothing back");
    assertTrue(!MarketFixture.sets(MarketFixture.health(vertx).getJsonObject("wanted_symbols")).get("bars").contains("TSLA"));

    // It joins again: heard again.
    vertx.eventBus().publish(Addresses.CLUSTER_NODES, new JsonObject().put("nodes", new JsonArray().add(MarketSubscriptions.SINGLE_NODE).add("node-x")));
    Await.until(WAIT, "node-x heard again once it is a member", () -> {
      vertx.eventBus().request(reports, new NodeReport("node-x", "boot-2", 1, tsla, 1, 0).toJson()).otherwiseEmpty().await();
      return upstream(sim).get("bars").contains("TSLA");
    });
  }

  @Test
  @DisplayName("a registry that starts after a node was cut off (a new owner) refuses that node's reports from the first")
  void aNodeCutOffBeforeTheStartIsNotHeard() {
    // What the cluster module answers on every node: the members now (a single process has no answer).
    vertx.eventBus().<JsonObject>localConsumer(Addresses.CLUSTER_NODES_NOW,
        msg -> msg.reply(new JsonObject().put("nodes", new JsonArray().add(MarketSubscriptions.SINGLE_NODE)))).completion().await();
    AlpacaSimulator sim = start(new JsonObject());
    String reports = new MarketAddresses(NAME).nodeReports();
    WatchSet tsla = WatchSet.of(List.of(new Watch(Channel.BARS, "TSLA")));
    ReplyException refused = assertThrows(ReplyException.class,
        () -> vertx.eventBus().request(reports, new NodeReport("node-x", "boot-1", 1, tsla, 1, 0).toJson()).await());
    assertEquals(409, refused.failureCode());
    barrier(sim, "ZZZ");
    assertTrue(!upstream(sim).get("bars").contains("TSLA"), "what a node that is not a member watches is not subscribed");
  }
}
