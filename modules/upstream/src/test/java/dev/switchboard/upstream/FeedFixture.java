package dev.switchboard.upstream;

import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerFactory;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.RestartPolicy;
import dev.switchboard.core.testing.Definitions;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Builds the real parts the feed tests run: a simulator, a supervisor, a feed listener definition. */
final class FeedFixture {
  static final String NAME = "feed";

  private FeedFixture() {
  }

  /** Short timings, so that every wait in a test is tens of milliseconds. */
  static RestartPolicy fastPolicy() {
    return new RestartPolicy(Duration.ofMillis(20), Duration.ofMillis(200), 2.0, 0.2, 0,
        Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofMillis(200));
  }

  static FeedSimulator simulator(Vertx vertx, double rate) {
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(rate));
    vertx.deployVerticle(sim).await();
    return sim;
  }

  static FeedSimulator simulatorOn(Vertx vertx, int port, double rate) {
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withPort(port).withRate(rate));
    vertx.deployVerticle(sim).await();
    return sim;
  }

  static ListenerDefinition feed(String url, RestartPolicy policy, boolean autoStart, JsonObject extra) {
    return Definitions.of(new FeedKind(), NAME, autoStart, policy, new JsonObject().put("url", url).mergeIn(extra), Path.of("data"));
  }

  static ListenerDefinition feed(String url, RestartPolicy policy) {
    return feed(url, policy, false, new JsonObject());
  }

  static String deploySupervisor(Vertx vertx, Path dataDir, ListenerDefinition... definitions) {
    return vertx.deployVerticle(Definitions.supervisor(new FeedKind(), dataDir, Duration.ofMillis(50), List.of(definitions))).await();
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
