package dev.switchboard.status;

import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerFactory;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.RestartPolicy;
import dev.switchboard.core.testing.Definitions;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import dev.switchboard.upstream.FeedKind;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The real parts the status tests run on: a feed simulator, a supervisor with real feed listeners, the module. */
final class StatusFixture {
  private StatusFixture() {
  }

  static RestartPolicy fastPolicy() {
    return new RestartPolicy(Duration.ofMillis(20), Duration.ofMillis(200), 2.0, 0.2, 0,
        Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(2));
  }

  /** A simulator that sends only what a test tells it to. */
  static FeedSimulator quietSimulator(Vertx vertx) {
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults());
    vertx.deployVerticle(sim).await();
    return sim;
  }

  static ListenerDefinition feed(String name, String url) {
    return Definitions.of(new FeedKind(), name, false, fastPolicy(), new JsonObject().put("url", url), Path.of("data"));
  }

  static void deploySupervisor(Vertx vertx, Path dataDir, ListenerDefinition... definitions) {
    vertx.deployVerticle(Definitions.supervisor(new FeedKind(), dataDir, Duration.ofMillis(50), List.of(definitions))).await();
  }

  static String deployModule(Vertx vertx, StatusOptions options) {
    return vertx.deployVerticle(new StatusModule(options)).await();
  }

  static StatusOptions options(int statusHistory, ActivityOptions activity, List<HistoryRule> history) {
    return new StatusOptions(statusHistory, activity, history);
  }

  static JsonObject request(Vertx vertx, String address, Object body) {
    return vertx.eventBus().<JsonObject>request(address, body).await().body();
  }

  /** Asserts that a request is refused with {@code code}, and returns the message. */
  static String refusal(Vertx vertx, String address, Object body, int code) {
    Throwable thrown = assertThrows(Throwable.class, () -> request(vertx, address, body));
    Throwable cause = thrown instanceof CompletionException && thrown.getCause() != null ? thrown.getCause() : thrown;
    ReplyException reply = (ReplyException) cause;
    assertEquals(code, reply.failureCode(), "failure code for " + body + ": " + reply.getMessage());
    return reply.getMessage();
  }
}
