package dev.switchboard.market;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.BridgeActivity;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerFactory;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.RestartPolicy;
import dev.switchboard.core.testing.Definitions;
import dev.switchboard.simulators.alpaca.AlpacaSimulator;
import dev.switchboard.simulators.alpaca.AlpacaSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** The real parts the market tests run: an Alpaca simulator, a supervisor, an alpaca listener. */
final class MarketFixture {
  static final String NAME = "market";
  static final Duration WAIT = Duration.ofSeconds(10);

  private MarketFixture() {
  }

  /** Short timings: every wait in a test is tens of milliseconds. */
  static RestartPolicy fastPolicy() {
    return new RestartPolicy(Duration.ofMillis(20), Duration.ofMillis(200), 2.0, 0.2, 0,
        Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofMillis(300), Duration.ofMillis(300));
  }

  /** A simulator that sends 20 ticks a second, pings every 100 ms and answers changes after 5 ms. */
  static AlpacaSimulatorOptions simulatorOptions() {
    return AlpacaSimulatorOptions.defaults()
        .withData(20, Duration.ofMillis(200))
        .withServerPings(Duration.ofMillis(100))
        .withAnswers(Duration.ofMillis(5), Duration.ZERO);
  }

  static AlpacaSimulator simulator(Vertx vertx, AlpacaSimulatorOptions options) {
    AlpacaSimulator sim = new AlpacaSimulator(options);
    vertx.deployVerticle(sim).await();
    return sim;
  }

  static ListenerDefinition alpaca(String url, RestartPolicy policy, JsonObject extra) {
    JsonObject json = new JsonObject()
        .put("url", url)
        .put("key", AlpacaSimulatorOptions.DEMO_KEY)
        .put("secret", AlpacaSimulatorOptions.DEMO_SECRET)
        .put("connectionLimitBackoff", "300ms")
        .mergeIn(extra);
    return Definitions.of(new AlpacaKind(), NAME, false, policy, json, Path.of("data"));
  }

  static void deploySupervisor(Vertx vertx, Path dataDir, ListenerDefinition... definitions) {
    vertx.deployVerticle(Definitions.supervisor(new AlpacaKind(), dataDir, Duration.ofMillis(50), List.of(definitions))).await();
  }

  // ---- clients ------------------------------------------------------------------------------------

  /** A browser socket on the bridge, as the server republishes its activity. */
  static void bridge(Vertx vertx, BridgeActivity.Kind kind, String socket, String address) {
    vertx.eventBus().publish(Addresses.BRIDGE_EVENTS, new BridgeActivity(kind, socket, address));
  }

  static String address(String channel, String symbol) {
    return "market." + NAME + "." + channel + "." + symbol;
  }

  static JsonObject watch(Vertx vertx, String client, String channel, String... symbols) {
    return vertx.eventBus().<JsonObject>request("market." + NAME + ".watch", new JsonObject()
        .put("client", client).put("channel", channel).put("symbols", new JsonArray(List.of(symbols)))).await().body();
  }

  static JsonObject unwatch(Vertx vertx, String client, String channel, String... symbols) {
    return vertx.eventBus().<JsonObject>request("market." + NAME + ".unwatch", new JsonObject()
        .put("client", client).put("channel", channel).put("symbols", new JsonArray(List.of(symbols)))).await().body();
  }

  static JsonObject health(Vertx vertx) {
    return vertx.eventBus().<JsonObject>request("market." + NAME + ".health", new JsonObject()).await().body();
  }

  // ---- sets, compared as channel -> sorted symbols --------------------------------------------------

  /** The simulator's current set, managed channels only. */
  static Map<String, TreeSet<String>> upstream(AlpacaSimulator sim) {
    Map<String, List<String>> raw = sim.subscriptions().await();
    Map<String, TreeSet<String>> out = new TreeMap<>();
    for (String channel : List.of("trades", "quotes", "bars")) {
      out.put(channel, new TreeSet<>(raw.getOrDefault(channel, List.of())));
    }
    return out;
  }

  static Map<String, TreeSet<String>> sets(JsonObject json) {
    Map<String, TreeSet<String>> out = new TreeMap<>();
    for (String channel : List.of("trades", "quotes", "bars")) {
      TreeSet<String> symbols = new TreeSet<>();
      JsonArray list = json.getJsonArray(channel, new JsonArray());
      list.forEach(s -> symbols.add((String) s));
      out.put(channel, symbols);
    }
    return out;
  }

  static Map<String, TreeSet<String>> set(String trades, String quotes, String bars) {
    Map<String, TreeSet<String>> out = new TreeMap<>();
    out.put("trades", split(trades));
    out.put("quotes", split(quotes));
    out.put("bars", split(bars));
    return out;
  }

  private static TreeSet<String> split(String symbols) {
    TreeSet<String> out = new TreeSet<>();
    for (String s : symbols.split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }
}
