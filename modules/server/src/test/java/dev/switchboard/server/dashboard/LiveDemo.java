package dev.switchboard.server.dashboard;

import dev.switchboard.core.Addresses;
import dev.switchboard.server.Switchboard;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.simulators.alpaca.AlpacaSimulator;
import dev.switchboard.simulators.alpaca.AlpacaSimulatorOptions;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulator;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The demo, in-process: the three simulators run on the test's own Vert.x (so they outlive a
 * server restart), and a real Switchboard with listeners {@code feed}, {@code home} and
 * {@code market} runs on a fixed port that a restarted server takes again.
 */
final class LiveDemo implements AutoCloseable {
  static final String TOKEN = "browser-test-token";
  static final Duration WAIT = Duration.ofSeconds(20);

  final FeedSimulator feed;
  final HomeAssistantSimulator home;
  final AlpacaSimulator market;
  final int httpPort;
  private Switchboard app;

  private LiveDemo(FeedSimulator feed, HomeAssistantSimulator home, AlpacaSimulator market, int httpPort) {
    this.feed = feed;
    this.home = home;
    this.market = market;
    this.httpPort = httpPort;
  }

  static LiveDemo start(Vertx vertx) {
    FeedSimulator feed = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(5));
    HomeAssistantSimulator home = new HomeAssistantSimulator(HomeAssistantSimulatorOptions.defaults().withRate(1));
    AlpacaSimulator market = new AlpacaSimulator(AlpacaSimulatorOptions.defaults().withData(5, Duration.ofMinutes(1)));
    vertx.deployVerticle(feed).await();
    vertx.deployVerticle(home).await();
    vertx.deployVerticle(market).await();
    return new LiveDemo(feed, home, market, freePort());
  }

  /** The demo's config; {@code feedAutoStart} and the data folder are what a second start may change. */
  JsonObject config(Path dataDir, boolean feedAutoStart) {
    JsonObject quick = new JsonObject().put("initialDelay", "100ms").put("maxDelay", "1s")
        .put("heartbeatInterval", "2s").put("heartbeatTimeout", "2s").put("connectTimeout", "5s");
    return new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", httpPort).put("controlToken", "${BROWSER_TEST_TOKEN}"))
        .put("dataDir", dataDir.toString())
        .put("statusInterval", "250ms")
        .put("listeners", new JsonArray()
            .add(new JsonObject().put("name", "feed").put("type", "upstream").put("autoStart", feedAutoStart)
                .put("url", feed.url()).put("restart", quick))
            .add(new JsonObject().put("name", "home").put("type", "homeassistant").put("autoStart", true)
                .put("url", home.url()).put("token", HomeAssistantSimulatorOptions.DEMO_TOKEN).put("restart", quick))
            .add(new JsonObject().put("name", "market").put("type", "alpaca").put("autoStart", true)
                .put("url", market.url("iex")).put("key", AlpacaSimulatorOptions.DEMO_KEY)
                .put("secret", AlpacaSimulatorOptions.DEMO_SECRET).put("restart", quick)));
  }

  void startServer(JsonObject config) {
    app = Switchboard.start(new ConfigLoader(Map.of("BROWSER_TEST_TOKEN", TOKEN)).parse(config)).await();
  }

  void stopServer() {
    if (app != null) {
      app.stop().await();
      app = null;
    }
  }

  Switchboard app() {
    return app;
  }

  String url() {
    return "http://127.0.0.1:" + httpPort + "/";
  }

  /** A listener's status as the server has it, over the event bus. */
  JsonObject status(String name) {
    return app.vertx().eventBus().<JsonObject>request(Addresses.CONTROL, new JsonObject().put("action", "status").put("name", name))
        .await().body().getJsonObject("listener");
  }

  /** One unlabelled value from the server's Prometheus {@code /metrics}, as a scraper reads it; NaN when absent. */
  double metric(String name) {
    try {
      java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create(url() + "metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      return response.body().lines().filter(line -> line.startsWith(name + " ")).mapToDouble(line -> Double.parseDouble(line.substring(name.length() + 1)))
          .findFirst().orElse(Double.NaN);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    stopServer();
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
