package dev.switchboard.market;

import dev.switchboard.core.ListenerState;
import dev.switchboard.core.RestartPolicy;
import dev.switchboard.core.Supervisor;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Census;
import dev.switchboard.core.testing.Control;
import dev.switchboard.core.testing.Definitions;
import dev.switchboard.core.testing.StatusRecorder;
import dev.switchboard.simulators.alpaca.AlpacaSimulator;
import dev.switchboard.simulators.alpaca.AlpacaSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.switchboard.market.MarketFixture.NAME;
import static dev.switchboard.market.MarketFixture.WAIT;
import static dev.switchboard.market.MarketFixture.address;
import static dev.switchboard.market.MarketFixture.set;
import static dev.switchboard.market.MarketFixture.upstream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The connection's promises: auth outcomes, reconnects, the connection limit, liveness, bad frames. */
@ExtendWith(VertxExtension.class)
class MarketConnectionTest {
  @TempDir
  Path dataDir;
  private Vertx vertx;
  private Control control;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.control = new Control(vertx);
  }

  private void deploy(AlpacaSimulator sim, String feed, RestartPolicy policy, JsonObject config) {
    MarketFixture.deploySupervisor(vertx, dataDir, MarketFixture.alpaca(sim.url(feed), policy, config));
  }

  private List<JsonObject> collect(String... addresses) {
    List<JsonObject> seen = new CopyOnWriteArrayList<>();
    for (String a : addresses) {
      vertx.eventBus().<JsonObject>consumer(a, m -> seen.add(m.body())).completion().await();
    }
    return seen;
  }

  private static String lastErrorCode(JsonObject status) {
    JsonObject error = status.getJsonObject("last_error");
    return error == null ? null : error.getString("code");
  }

  @Test
  @DisplayName("forced drop: the same set is subscribed again on the new connection, and seq continues")
  void reconnectResubscribesAndSeqContinues() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions());
    deploy(sim, "iex", MarketFixture.fastPolicy(), new JsonObject());
    List<JsonObject> seen = collect(address("trades", "AAPL"), address("quotes", "MSFT"), address("bars", "SPY"),
        "market." + NAME + ".gap");
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    MarketFixture.watch(vertx, "v", "trades", "AAPL");
    MarketFixture.watch(vertx, "v", "quotes", "MSFT");
    MarketFixture.bridge(vertx, dev.switchboard.core.BridgeActivity.Kind.REGISTER, "tab", address("bars", "SPY"));
    Map<String, TreeSet<String>> wanted = set("AAPL", "MSFT", "SPY");
    Await.until(WAIT, "subscribed", () -> upstream(sim), wanted::equals);
    Await.until(WAIT, "data of every channel", () -> seen.stream().map(e -> e.getString("type")).toList()
        .containsAll(List.of("trade", "quote", "bar")));

    sim.drop(true).await();
    Await.until(WAIT, "a second connection", () -> sim.totalConnections() == 2);
    Await.until(WAIT, "the same set subscribed again", () -> upstream(sim), wanted::equals);
    int before = seen.size();
    Await.until(WAIT, "data on the new connection", () -> seen.size() >= before + 10);

    List<Long> seqs = seen.stream().map(e -> e.getLong("seq")).sorted().toList();
    for (int i = 0; i < seqs.size(); i++) {
      assertEquals(i + 1, seqs.get(i), "seq grows by one across the reconnect, the gap envelope included");
    }
    List<JsonObject> gaps = seen.stream().filter(e -> "gap".equals(e.getString("type"))).toList();
    assertEquals(1, gaps.size(), "one gap, for the one reconnect");
    assertTrue(gaps.get(0).getJsonObject("data").getString("from").compareTo(gaps.get(0).getJsonObject("data").getString("to")) <= 0);
    long resubscribes = sim.changes().stream().filter(c -> c.session() != sim.changes().get(0).session()).count();
    assertEquals(1, resubscribes, "the whole set in one subscribe on the new connection");
    assertEquals("1001", lastErrorCode(control.status(NAME)));
    assertEquals(1, sim.maxConcurrentConnections());
  }

  @Test
  @DisplayName("100 reconnects the upstream caused (close frames and TCP cuts in turn): the watched set subscribed once on each, nothing left behind")
  void reconnectsLeaveNothingBehind() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions().withConnectionLimit(1, Duration.ZERO, false));
    RestartPolicy quick = new RestartPolicy(Duration.ofMillis(10), Duration.ofMillis(30), 2.0, 0.2, 0,
        Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofMillis(300), Duration.ofMillis(300));
    deploy(sim, "iex", quick, new JsonObject());
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    MarketFixture.watch(vertx, "v", "trades", "AAPL");
    MarketFixture.bridge(vertx, dev.switchboard.core.BridgeActivity.Kind.REGISTER, "tab", address("bars", "SPY"));
    Map<String, TreeSet<String>> wanted = set("AAPL", "", "SPY");
    Await.until(WAIT, "subscribed", () -> upstream(sim), wanted::equals);

    Census baseline = null;
    for (int i = 0; i < 100; i++) {
      // CONNECTED comes with the auth; the set follows it: a drop before then would leave nothing to count.
      int newest = sim.auths().stream().mapToInt(AlpacaSimulator.AuthOutcome::session).max().orElseThrow();
      Await.until(WAIT, "the set subscribed on connection " + newest, () -> sim.changes().stream().anyMatch(c -> c.session() == newest));
      if (i == 10) {
        baseline = Census.restingAfter(vertx, "one connection left", () -> sim.settledAt(1)); // after a warm-up: pools grow lazily
      }
      long before = sim.totalConnections();
      sim.drop(i % 2 == 0).await();
      Await.until(WAIT, "reconnect " + (i + 1), () -> sim.totalConnections() == before + 1);
      control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    }
    Await.until(WAIT, "the same set subscribed again", () -> upstream(sim), wanted::equals);
    Census.awaitBackTo(baseline, vertx, "one connection left", () -> sim.settledAt(1));
    assertEquals(1, sim.maxConcurrentConnections(), "never two connections at once");
    Map<Integer, Long> changesPerSession = new java.util.TreeMap<>();
    sim.changes().forEach(c -> changesPerSession.merge(c.session(), 1L, Long::sum));
    assertEquals(101, changesPerSession.size(), "every connection subscribed: " + changesPerSession);
    assertTrue(changesPerSession.entrySet().stream().skip(1).allMatch(e -> e.getValue() == 1),
        "the whole set in one subscribe on each new connection: " + changesPerSession);
  }

  @Test
  @DisplayName("a drop without close: 406 on the next auth inside the window, backoff, connected once it passed; never two connections")
  void dropWithoutCloseHitsTheConnectionLimit() {
    Duration window = Duration.ofMillis(1500);
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions().withConnectionLimit(1, window, false));
    deploy(sim, "iex", MarketFixture.fastPolicy(), new JsonObject().put("connectionLimitBackoff", "400ms"));
    StatusRecorder recorder = new StatusRecorder(vertx);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    MarketFixture.watch(vertx, "v", "trades", "AAPL");
    Await.until(WAIT, "subscribed", () -> upstream(sim).get("trades").contains("AAPL"));

    long cut = System.currentTimeMillis();
    sim.drop(false).await();
    Await.until(WAIT, "authenticated again", () -> sim.auths().stream().filter(a -> a.outcome().equals("authenticated")).count() == 2);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    Await.until(WAIT, "resubscribed", () -> upstream(sim).get("trades").contains("AAPL"));

    List<AlpacaSimulator.AuthOutcome> after = sim.auths().stream().filter(a -> a.at() >= cut).toList();
    List<AlpacaSimulator.AuthOutcome> refused = after.stream().filter(a -> a.outcome().equals("406")).toList();
    assertTrue(!refused.isEmpty(), "a 406 inside the window: " + after);
    assertTrue(refused.get(0).at() - cut < window.toMillis(), "the first retry came inside the window");
    AlpacaSimulator.AuthOutcome success = after.get(after.size() - 1);
    assertEquals("authenticated", success.outcome());
    assertTrue(success.at() - cut >= window.toMillis(), "authenticated " + (success.at() - cut) + " ms after the cut, inside the window");
    for (int i = 1; i < after.size(); i++) {
      long gap = after.get(i).at() - after.get(i - 1).at();
      assertTrue(gap >= 400 - 20, "a retry " + gap + " ms after a 406: the connection-limit backoff was not honoured");
    }
    assertTrue(refused.size() <= window.toMillis() / 400 + 1, refused.size() + " attempts inside the window: no backoff");
    assertTrue(recorder.of(NAME).stream().anyMatch(s -> "406".equals(lastErrorCode(s.status()))), "last_error shows 406");
    assertEquals(1, sim.maxConcurrentConnections(), "never two connections");
  }

  @Test
  @DisplayName("402 auth failed: FAILED with the server's message, one attempt, no retry")
  void authFailureIsFatal() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions().withCredentials("other-key", "other-secret"));
    deploy(sim, "iex", MarketFixture.fastPolicy(), new JsonObject());
    control.start(NAME);
    JsonObject failed = control.awaitState(NAME, ListenerState.FAILED, WAIT);
    assertEquals("402", lastErrorCode(failed));
    assertTrue(failed.getJsonObject("last_error").getString("message").contains("auth failed"));
    assertTrue(!failed.getJsonObject("last_error").getString("message").contains(AlpacaSimulatorOptions.DEMO_SECRET));
    Instant failedAt = Instant.now();
    Await.until(WAIT, "well past any retry delay", () -> Instant.now().isAfter(failedAt.plusMillis(500)));
    JsonObject later = control.status(NAME);
    assertEquals("FAILED", later.getString("state"));
    assertEquals(1, later.getLong("deployments"));
    assertEquals(1, sim.totalConnections());
    assertEquals(List.of("402"), sim.auths().stream().map(AlpacaSimulator.AuthOutcome::outcome).toList());
    Await.until(WAIT, "the refused connection closed", () -> sim.concurrentConnections() == 0);
  }

  @Test
  @DisplayName("409 insufficient subscription (a feed not in the plan): FAILED, no retry")
  void unentitledFeedIsFatal() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions().withEntitledFeeds(Set.of("iex")));
    deploy(sim, "sip", MarketFixture.fastPolicy(), new JsonObject());
    control.start(NAME);
    JsonObject failed = control.awaitState(NAME, ListenerState.FAILED, WAIT);
    assertEquals("409", lastErrorCode(failed));
    assertTrue(failed.getJsonObject("last_error").getString("message").contains("insufficient subscription"));
    assertEquals(1, failed.getLong("deployments"));
  }

  @Test
  @DisplayName("408 v2 not enabled and 411 insufficient scope (no access to the stream): FAILED, no retry")
  void noAccessIsFatal() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions());
    deploy(sim, "iex", MarketFixture.fastPolicy(), new JsonObject());
    int connections = 0;
    for (int code : new int[] {408, 411}) {
      control.start(NAME);
      control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
      connections++;
      sim.sendRaw("[{\"T\":\"error\",\"code\":" + code + ",\"msg\":\"no access " + code + "\"}]").await();
      JsonObject failed = control.awaitState(NAME, ListenerState.FAILED, WAIT);
      assertEquals(String.valueOf(code), lastErrorCode(failed));
      assertTrue(failed.getJsonObject("last_error").getString("message").contains("no access " + code), failed.encode());
      Instant failedAt = Instant.now();
      Await.until(WAIT, "well past any retry delay", () -> Instant.now().isAfter(failedAt.plusMillis(500)));
      assertEquals("FAILED", control.status(NAME).getString("state"));
      assertEquals(connections, sim.totalConnections(), "no retry after " + code);
    }
  }

  @Test
  @DisplayName("a mute stream (pongs, no data) with staleAfter: detected, reconnected, data again")
  void muteStreamReconnects() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions());
    deploy(sim, "iex", MarketFixture.fastPolicy(), new JsonObject().put("staleAfter", new JsonObject().put("trades", "300ms")));
    List<JsonObject> seen = collect(address("trades", "AAPL"));
    List<JsonObject> gaps = collect("market." + NAME + ".gap");
    StatusRecorder recorder = new StatusRecorder(vertx);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    MarketFixture.watch(vertx, "v", "trades", "AAPL");
    Await.until(WAIT, "trades flowing", () -> seen.size() >= 5);

    long muted = System.currentTimeMillis();
    sim.mute().await();
    StatusRecorder.Seen backoff = Await.until(WAIT, "the mute stream noticed",
        () -> recorder.of(NAME).stream().filter(s -> s.state().equals("BACKOFF")).findFirst().orElse(null), s -> s != null);
    assertEquals("stale", lastErrorCode(backoff.status()));
    long noticed = backoff.at() - muted;
    assertTrue(noticed >= 200 && noticed <= 300 + 500, "noticed " + noticed + " ms after going mute (staleAfter 300 ms)");
    Await.until(WAIT, "a fresh connection", () -> sim.totalConnections() == 2);
    int before = seen.size();
    Await.until(WAIT, "trades again", () -> seen.size() >= before + 5);
    assertEquals(1, sim.maxConcurrentConnections());
    // Pings and pongs went on while it was mute: the gap starts at the last trade, not at the last of those.
    Await.until(WAIT, "the gap", () -> gaps.size() == 1);
    Instant from = Instant.parse(gaps.get(0).getJsonObject("data").getString("from"));
    assertTrue(!from.isAfter(Instant.ofEpochMilli(muted).plusMillis(100)), "from the last trade: " + gaps.get(0).encode()
        + ", muted at " + Instant.ofEpochMilli(muted));
  }

  @Test
  @DisplayName("a connection found dead by its heartbeat: the gap starts when the upstream was last heard, not when that was noticed")
  void gapFromTheLastSignOfLife() {
    // A connection cut without a close frame counts against the limit of one for no time (Alpaca: a while).
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions().withConnectionLimit(1, Duration.ZERO, false));
    deploy(sim, "iex", MarketFixture.fastPolicy(), new JsonObject());
    List<JsonObject> seen = collect(address("trades", "AAPL"), "market." + NAME + ".gap");
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    MarketFixture.watch(vertx, "v", "trades", "AAPL");
    Await.until(WAIT, "trades flowing", () -> seen.size() >= 5);

    sim.stall().await();
    Instant stalled = Instant.now();
    Await.until(WAIT, "the stalled connection found dead", () -> "heartbeat".equals(lastErrorCode(control.status(NAME))));
    sim.drop(false).await(); // the upstream lets the stalled session go, as Alpaca's server does in time
    JsonObject gap = Await.until(WAIT, "the gap after the heartbeat's reconnect",
        () -> seen.stream().filter(e -> "gap".equals(e.getString("type"))).findFirst().orElse(null), g -> g != null);
    Instant from = Instant.parse(gap.getJsonObject("data").getString("from"));
    // The heartbeat (every 300 ms, 300 ms to answer) notices 300 to 600 ms after the stall; bytes already on their
    // way when it began may still be read a little after it.
    assertTrue(!from.isAfter(stalled.plusMillis(100)), "from the last sign of life, before the stall: " + gap.encode() + ", stalled at " + stalled);
  }

  @Test
  @DisplayName("a definition change is a new connection too: the gap is from the old stream's last sign of life, and in the status")
  void gapAfterADefinitionChange() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions());
    Supervisor supervisor = Definitions.supervisor(new AlpacaKind(), dataDir, Duration.ofMillis(50),
        List.of(MarketFixture.alpaca(sim.url("iex"), MarketFixture.fastPolicy(), new JsonObject())));
    vertx.deployVerticle(supervisor).await();
    List<JsonObject> trades = collect(address("trades", "AAPL"));
    List<JsonObject> gaps = collect("market." + NAME + ".gap");
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    MarketFixture.watch(vertx, "v", "trades", "AAPL");
    Await.until(WAIT, "trades flowing", () -> trades.size() >= 5);

    JsonObject changed = new JsonObject().put("type", "alpaca").put("url", sim.url("iex"))
        .put("key", AlpacaSimulatorOptions.DEMO_KEY).put("secret", AlpacaSimulatorOptions.DEMO_SECRET).put("unsubscribeLinger", "2s");
    Instant changedAt = Instant.now();
    assertEquals("updated", supervisor.define(NAME, changed).await().outcome());
    int before = trades.size();
    Await.until(WAIT, "trades on the new connection", () -> trades.size() >= before + 5);
    Await.until(WAIT, "the gap", () -> gaps.size() == 1);
    JsonObject window = gaps.get(0).getJsonObject("data");
    Instant from = Instant.parse(window.getString("from"));
    // 20 ticks a second, and the simulator's pings every 100 ms: the old stream was heard just before the change.
    assertTrue(!from.isAfter(changedAt.plusMillis(100)) && !from.isBefore(changedAt.minusMillis(500)), "from the old stream's end: " + window.encode());
    assertEquals(window.getString("from"), control.status(NAME).getJsonObject("last_gap").getString("from"));
    assertEquals(2, sim.totalConnections());
  }

  @Test
  @DisplayName("a connected stream with nothing subscribed is never stale")
  void nothingSubscribedIsNotStale() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions());
    deploy(sim, "iex", MarketFixture.fastPolicy(), new JsonObject().put("staleAfter", new JsonObject().put("trades", "100ms")));
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    Instant connected = Instant.now();
    Await.until(WAIT, "several staleAfter periods", () -> Instant.now().isAfter(connected.plusMillis(500)));
    assertEquals(ListenerState.CONNECTED, control.state(NAME));
    assertEquals(1, sim.totalConnections());
  }

  @Test
  @DisplayName("malformed frames are counted, unknown types and fields ignored and counted; the connection stays up")
  void malformedFramesAreCounted() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions().withData(0, Duration.ZERO));
    deploy(sim, "iex", MarketFixture.fastPolicy(), new JsonObject().put("encoding", "json")); // bad JSON text frames
    List<JsonObject> seen = collect(address("trades", "AAPL"));
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    MarketFixture.watch(vertx, "v", "trades", "AAPL");
    Await.until(WAIT, "subscribed", () -> upstream(sim).get("trades").contains("AAPL"));

    sim.sendRaw("this is not json").await();
    sim.sendRaw("{\"T\":\"t\",\"S\":\"AAPL\"}").await();            // an object, not an array
    sim.sendRaw("[1, {\"T\":\"q\",\"S\":\"ZZZ\"}]").await();         // a number in the array
    sim.sendRaw("[{\"S\":\"AAPL\",\"p\":1}]").await();               // no T
    sim.sendRaw("[{\"T\":\"t\",\"p\":1}]").await();                  // a trade without a symbol
    sim.sendRaw("[{\"T\":\"n\",\"S\":\"AAPL\",\"headline\":\"x\"}]").await(); // a type we do not know
    sim.send(new JsonArray().add(new JsonObject().put("T", "t").put("S", "AAPL").put("i", 1).put("x", "V").put("p", 190.5)
        .put("s", 10).put("t", "2026-01-02T15:04:05.123456789Z").put("c", new JsonArray()).put("z", "C").put("newField", true))).await();

    Await.until(WAIT, "the good trade delivered", () -> seen.size() == 1);
    assertEquals(true, seen.get(0).getJsonObject("data").getBoolean("newField"), "unknown fields are passed on as they are");
    JsonObject status = Await.until(WAIT, "the counters", () -> control.status(NAME), s -> s.getLong("malformed") == 5);
    assertEquals(1L, status.getLong("unknown_types"));
    assertEquals(1L, status.getLong("unknown_fields"));
    assertEquals("CONNECTED", status.getString("state"));
    assertEquals(1, sim.totalConnections(), "bad frames do not cost the connection");
  }

  @ParameterizedTest(name = "encoding {0}")
  @ValueSource(strings = {"msgpack", "json"})
  @DisplayName("either encoding (msgpack asked for at the upgrade, auth and changes sent as msgpack): data published as the same JSON envelopes with the same RFC 3339 times")
  void encodings(String encoding) {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions());
    deploy(sim, "iex", MarketFixture.fastPolicy(), new JsonObject().put("encoding", encoding));
    List<JsonObject> seen = collect(address("trades", "AAPL"), address("quotes", "MSFT"), address("bars", "SPY"));
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    assertEquals(encoding.equals("msgpack") ? 1 : 0, sim.stats().getInteger("msgpack_connections"), "what the upgrade asked for");
    MarketFixture.watch(vertx, "v", "trades", "AAPL");
    MarketFixture.watch(vertx, "v", "quotes", "MSFT");
    MarketFixture.watch(vertx, "v", "bars", "SPY");
    Await.until(WAIT, "subscribed", () -> upstream(sim), set("AAPL", "MSFT", "SPY")::equals);
    JsonObject stats = sim.stats();
    long ours = stats.getLong(encoding.equals("msgpack") ? "client_binary_frames" : "client_text_frames");
    long other = stats.getLong(encoding.equals("msgpack") ? "client_text_frames" : "client_binary_frames");
    assertTrue(ours >= 2, "the auth and the changes in " + encoding + ": " + stats.encode());
    assertEquals(0, other, "nothing in the other encoding: " + stats.encode());
    Await.until(WAIT, "data of every channel", () -> seen.stream().map(e -> e.getString("type")).toList()
        .containsAll(List.of("trade", "quote", "bar")));
    for (JsonObject envelope : seen) {
      Object t = envelope.getJsonObject("data").getValue("t");
      assertTrue(t instanceof String time && time.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{0,8}[1-9])?Z"),
          "t as the JSON stream writes it: " + envelope.encode());
    }

    // What goes in comes out as the JSON the stream sends: times, integers, decimals, whatever the encoding.
    JsonObject trade = new JsonObject().put("T", "t").put("S", "AAPL").put("i", 52983525033527L).put("x", "V").put("p", 190.5)
        .put("s", 10).put("c", new JsonArray().add("@").add("I")).put("t", "2026-01-02T15:04:05.12345678Z").put("z", "C");
    JsonObject bar = new JsonObject().put("T", "b").put("S", "SPY").put("o", 132.65).put("h", 136.0).put("l", 132.12).put("c", 134.65)
        .put("v", 205).put("t", "2026-01-02T15:04:00Z").put("n", 16).put("vw", 133.7);
    sim.send(new JsonArray().add(trade).add(bar)).await();
    JsonObject sentTrade = Await.until(WAIT, "the trade", () -> trade(seen, "AAPL", 52983525033527L), d -> d != null);
    assertEquals(trade, sentTrade);
    assertEquals(bar, Await.until(WAIT, "the bar", () -> seen.stream().map(e -> e.getJsonObject("data"))
        .filter(d -> "2026-01-02T15:04:00Z".equals(d.getString("t"))).findFirst().orElse(null), d -> d != null));

    sim.sendMalformed().await();
    JsonObject status = Await.until(WAIT, "the broken frame counted", () -> control.status(NAME), st -> st.getLong("malformed") == 1);
    assertEquals("CONNECTED", status.getString("state"));
    assertEquals(1, sim.totalConnections());
  }

  @Test
  @DisplayName("what follows a trades subscription unasked (corrections, cancel/errors, statuses, LULD bands) goes to the trades' watchers; updated and daily bars to the bars'")
  void everyKindGoesWhereItsChannelGoes() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions().withData(100, Duration.ZERO));
    deploy(sim, "iex", MarketFixture.fastPolicy(), new JsonObject());
    List<JsonObject> trades = collect(address("trades", "AAPL"));
    List<JsonObject> bars = collect(address("bars", "SPY"));
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    MarketFixture.watch(vertx, "v", "trades", "AAPL");
    MarketFixture.watch(vertx, "v", "bars", "SPY");
    Await.until(WAIT, "subscribed", () -> upstream(sim), set("AAPL", "", "SPY")::equals);

    // The simulator's own stream corrects and cancels trades it sent before.
    JsonObject correction = Await.until(WAIT, "a correction", () -> ofType(trades, "correction"), e -> e != null);
    JsonObject cancel = Await.until(WAIT, "a cancel/error", () -> ofType(trades, "cancelError"), e -> e != null);
    assertTrue(trade(trades, "AAPL", correction.getJsonObject("data").getLong("oi")) != null, "the corrected trade came first: " + correction.encode());
    assertTrue(trade(trades, "AAPL", cancel.getJsonObject("data").getLong("i")) != null, "the cancelled trade came first: " + cancel.encode());
    assertEquals("c", correction.getJsonObject("data").getString("T"));
    assertEquals("x", cancel.getJsonObject("data").getString("T"));

    // The channels the listener never asks for, should Alpaca send them anyway.
    JsonObject status = new JsonObject().put("T", "s").put("S", "AAPL").put("sc", "H").put("sm", "Trading Halt").put("rc", "T12")
        .put("rm", "Trading Halted").put("t", "2026-01-02T15:04:05Z").put("z", "C");
    JsonObject luld = new JsonObject().put("T", "l").put("S", "AAPL").put("u", 3.24).put("d", 2.65).put("i", "B")
        .put("t", "2026-01-02T15:04:05.5Z").put("z", "C");
    JsonObject updated = new JsonObject().put("T", "u").put("S", "SPY").put("o", 1.5).put("h", 2.5).put("l", 1.25).put("c", 2.0)
        .put("v", 10).put("t", "2026-01-02T15:04:00Z").put("n", 3).put("vw", 2.1);
    JsonObject daily = updated.copy().put("T", "d").put("t", "2026-01-02T05:00:00Z");
    sim.send(new JsonArray().add(status).add(luld).add(updated).add(daily)).await();
    assertEquals(status, Await.until(WAIT, "the status", () -> ofType(trades, "status"), e -> e != null).getJsonObject("data"));
    assertEquals(luld, Await.until(WAIT, "the LULD band", () -> ofType(trades, "luld"), e -> e != null).getJsonObject("data"));
    assertEquals(updated, Await.until(WAIT, "the updated bar", () -> ofType(bars, "updatedBar"), e -> e != null).getJsonObject("data"));
    assertEquals(daily, Await.until(WAIT, "the daily bar", () -> ofType(bars, "dailyBar"), e -> e != null).getJsonObject("data"));
    assertTrue(bars.stream().map(e -> e.getString("type")).allMatch(Set.of("updatedBar", "dailyBar")::contains),
        "nothing of the trades on the bars' address: " + bars);
    assertTrue(trades.stream().map(e -> e.getString("type")).allMatch(Set.of("trade", "correction", "cancelError", "status", "luld")::contains),
        "nothing else on the trades' address");
    JsonObject counters = control.status(NAME);
    assertEquals(0L, counters.getLong("unknown_types"), counters.encode());
    assertEquals(0L, counters.getLong("unknown_fields"), counters.encode());
  }

  private static JsonObject ofType(List<JsonObject> seen, String type) {
    return seen.stream().filter(e -> type.equals(e.getString("type"))).findFirst().orElse(null);
  }

  /** The trade with this id (a cancel/error names its trade by the same {@code i}). */
  private static JsonObject trade(List<JsonObject> seen, String symbol, long tradeId) {
    return seen.stream().map(e -> e.getJsonObject("data"))
        .filter(d -> "t".equals(d.getString("T")) && symbol.equals(d.getString("S")) && Long.valueOf(tradeId).equals(d.getLong("i")))
        .findFirst().orElse(null);
  }

  @Test
  @DisplayName("500 and 407 from the upstream are retried with the normal backoff")
  void internalErrorAndSlowClientAreRetried() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions());
    deploy(sim, "iex", MarketFixture.fastPolicy(), new JsonObject());
    StatusRecorder recorder = new StatusRecorder(vertx);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);

    sim.internalError().await();
    Await.until(WAIT, "reconnected after 500", () -> sim.totalConnections() == 2 && control.state(NAME) == ListenerState.CONNECTED);
    sim.slowClient().await();
    Await.until(WAIT, "reconnected after 407", () -> sim.totalConnections() == 3 && control.state(NAME) == ListenerState.CONNECTED);
    List<String> codes = recorder.of(NAME).stream().filter(s -> s.state().equals("BACKOFF")).map(s -> lastErrorCode(s.status()))
        .distinct().toList();
    assertEquals(List.of("500", "407"), codes);
    assertEquals(1, sim.maxConcurrentConnections());
  }

  @Test
  @DisplayName("stop closes with a close frame and the registry knows it is disconnected; start subscribes the wanted set again")
  void stopAndStart() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions());
    deploy(sim, "iex", MarketFixture.fastPolicy(), new JsonObject());
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    MarketFixture.watch(vertx, "v", "quotes", "AAPL");
    Await.until(WAIT, "subscribed", () -> upstream(sim).get("quotes").contains("AAPL"));

    control.stop(NAME);
    Await.until(WAIT, "closed", () -> sim.concurrentConnections() == 0);
    assertEquals(List.of((short) 1000), sim.closeCodes());
    Await.until(WAIT, "alpaca_connected false", () -> !control.status(NAME).getBoolean("alpaca_connected"));

    MarketFixture.watch(vertx, "v", "quotes", "MSFT"); // while stopped: remembered, sent on the next connection
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    Await.until(WAIT, "the whole wanted set subscribed", () -> upstream(sim), set("", "AAPL,MSFT", "")::equals);
    assertEquals(1, sim.maxConcurrentConnections());
  }

  @Test
  @DisplayName("the simulator going down for a while and a restart: reconnected and resubscribed each time")
  void upstreamDownAndRestart() {
    AlpacaSimulator sim = MarketFixture.simulator(vertx, MarketFixture.simulatorOptions());
    deploy(sim, "iex", MarketFixture.fastPolicy(), new JsonObject());
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    MarketFixture.watch(vertx, "v", "trades", "AAPL", "MSFT");
    Await.until(WAIT, "subscribed", () -> upstream(sim), set("AAPL,MSFT", "", "")::equals);

    sim.down(Duration.ofMillis(300)).await();
    control.awaitState(NAME, ListenerState.BACKOFF, WAIT);
    Await.until(WAIT, "back up", sim::isUp);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    Await.until(WAIT, "resubscribed after the outage", () -> upstream(sim), set("AAPL,MSFT", "", "")::equals);

    sim.restart().await();
    Await.until(WAIT, "resubscribed after the restart", () -> upstream(sim), set("AAPL,MSFT", "", "")::equals);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
  }
}
