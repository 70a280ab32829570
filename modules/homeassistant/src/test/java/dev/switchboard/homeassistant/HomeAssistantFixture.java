package dev.switchboard.homeassistant;

import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerFactory;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.RestartPolicy;
import dev.switchboard.core.Supervisor;
import dev.switchboard.core.testing.Definitions;
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
    return Definitions.of(new HomeAssistantKind(), NAME, autoStart, policy, json, dataDir);
  }

  static ListenerDefinition listener(HomeAssistantSimulator sim, Path dataDir) {
    return listener(sim.url(), fastPolicy(), dataDir, false, new JsonObject());
  }

  static Supervisor deploySupervisor(Vertx vertx, Path dataDir, ListenerDefinition... definitions) {
    Supervisor supervisor = Definitions.supervisor(new HomeAssistantKind(), dataDir, Duration.ofMillis(50), List.of(definitions));
    vertx.deployVerticle(supervisor).await();
    return supervisor;
  }

  /** What the supervisor's health report says is wrong with the listener, if anything. */
  static java.util.Optional<String> healthProblem(Supervisor supervisor) {
    return java.util.Optional.ofNullable(supervisor.health().await().listeners().get(NAME).reason());
  }
}
