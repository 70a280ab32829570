package dev.switchboard.homeassistant;

import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerFactory;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.RestartPolicy;
import dev.switchboard.core.Supervisor;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulator;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Builds the real parts the Home Assistant tests run: the simulator, a supervisor, a listener definition. */
final class HomeAssistantFixture {
  static final String NAME = "home";
  static final String TOKEN = "test-token-5b7e1c";
  static final Duration WAIT = Duration.ofSeconds(15);

  private HomeAssistantFixture() {
  }

  /** Short timings, so that every wait in a test is tens of milliseconds. */
  static RestartPolicy fastPolicy() {
    return new RestartPolicy(Duration.ofMillis(20), Duration.ofMillis(200), 2.0, 0.2, 0,
        Duration.ofSeconds(30), Duration.ofSeconds(3), Duration.ofMillis(200), Duration.ofMillis(200));
  }

  static HomeAssistantSimulatorOptions options() {
    return HomeAssistantSimulatorOptions.defaults().withToken(TOKEN).withSeed(42);
  }

  static HomeAssistantSimulator simulator(Vertx vertx, HomeAssistantSimulatorOptions options) {
    HomeAssistantSimulator sim = new HomeAssistantSimulator(options);
    vertx.deployVerticle(sim).await();
    return sim;
  }

  static HomeAssistantSimulator simulator(Vertx vertx) {
    return simulator(vertx, options());
  }

  /** A listener definition as the server would build it from {@code {"type": "homeassistant", ...}}. */
  static ListenerDefinition listener(String url, RestartPolicy policy, Path dataDir, boolean autoStart, JsonObject extra) {
    JsonObject json = new JsonObject().put("url", url).put("token", TOKEN).mergeIn(extra);
    ListenerFactory factory = new HomeAssistantKind().configure(NAME, new ConfigSection("listeners[0]", json), dataDir);
    return new ListenerDefinition(new ListenerSpec(NAME, "homeassistant", autoStart, policy, factory.url()), factory);
  }

  static ListenerDefinition listener(HomeAssistantSimulator sim, Path dataDir) {
    return listener(sim.url(), fastPolicy(), dataDir, false, new JsonObject());
  }

  static void deploySupervisor(Vertx vertx, Path dataDir, ListenerDefinition... definitions) {
    vertx.deployVerticle(new Supervisor(List.of(definitions), new Supervisor.Options(dataDir, Duration.ofMillis(50)))).await();
  }
}
