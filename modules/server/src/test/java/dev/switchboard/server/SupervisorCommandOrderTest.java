package dev.switchboard.server;

import dev.switchboard.core.ControlException;
import dev.switchboard.core.ControlPlane.Result;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.ListenerStatus;
import dev.switchboard.core.Supervisor;
import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Commands taken while the listeners are held at start, and after the shutdown began: each is judged
 * when its turn comes in the listener's queue, so what runs is what the last answer said.
 */
@ExtendWith(VertxExtension.class)
class SupervisorCommandOrderTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir
  Path dataDir;
  private FeedSimulator sim;
  private JsonObject feed;

  @BeforeEach
  void setUp(Vertx vertx) {
    sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(20));
    vertx.deployVerticle(sim).await();
    feed = ServerFixture.feedListener("feed", sim.url(), true);
  }

  /** A supervisor with the listener {@code feed} (autoStart), held as the server holds it until its other verticles are up. */
  private Supervisor held(Vertx vertx) {
    ListenerKinds kinds = ListenerKinds.discover();
    Supervisor supervisor = new Supervisor(kinds, List.of(kinds.read("", feed, Map.of(), dataDir, 1)),
        new Supervisor.Options(dataDir, Duration.ofMillis(250), Map.of())).holdListeners();
    vertx.deployVerticle(supervisor).await();
    return supervisor;
  }

  private static ListenerStatus status(Supervisor supervisor) {
    return supervisor.status("feed").await().listener();
  }

  @Test
  @DisplayName("a start taken during the hold is not done again at the release: one deployment, one connection")
  void startDuringTheHold(Vertx vertx) {
    Supervisor supervisor = held(vertx);
    assertEquals("started", supervisor.start("feed").await().outcome());
    Await.until(WAIT, "connected", () -> status(supervisor).state() == ListenerState.CONNECTED);

    supervisor.startListeners();
    // Queued behind the release's start of feed: by its answer, that start has had its turn.
    assertEquals("unchanged", supervisor.define("feed", feed).await().outcome());
    ListenerStatus after = status(supervisor);
    assertEquals(ListenerState.CONNECTED, after.state());
    assertEquals(1, after.deployments(), "deployed once");
    assertEquals(1, sim.totalConnections(), "one connection to the upstream, ever");
  }

  @Test
  @DisplayName("a stop queued during the hold, behind a change, is not undone by the release: the listener stays stopped")
  void stopDuringTheHold(Vertx vertx) {
    Supervisor supervisor = held(vertx);
    JsonObject changed = feed.copy().put("maxFrameSize", 70_000);
    Future<Result> change = supervisor.define("feed", changed);
    Future<Result> stop = supervisor.stop("feed");
    supervisor.startListeners();
    assertEquals("updated", change.await().outcome());
    assertEquals("stopped", stop.await().outcome());
    assertEquals("unchanged", supervisor.define("feed", changed).await().outcome()); // after the release's turn

    ListenerStatus after = status(supervisor);
    assertEquals(ListenerState.STOPPED, after.state(), "the last answer was 'stopped'");
    assertFalse(after.active());
  }

  @Test
  @DisplayName("a stop and a start sent at once, the stop superseded while a restart runs: the start renews the connection, as the two asked")
  void stopThenStartAtOnce(Vertx vertx) {
    Supervisor supervisor = held(vertx);
    supervisor.startListeners();
    Await.until(WAIT, "connected", () -> status(supervisor).state() == ListenerState.CONNECTED);
    assertEquals(1, sim.totalConnections());

    Future<Result> restart = supervisor.restart("feed");
    Future<Result> stop = supervisor.stop("feed");
    Future<Result> start = supervisor.start("feed");
    assertEquals("restarted", restart.await().outcome());
    assertEquals("superseded", stop.await().outcome());
    assertEquals("restarted", start.await().outcome(), "a stop then a start: a new connection, not 'already_active'");
    assertEquals(3, status(supervisor).deployments());
    Await.until(WAIT, "connected again", () -> status(supervisor).state() == ListenerState.CONNECTED);
    Await.until(WAIT, "three connections", () -> sim.totalConnections() == 3);

    // A start alone, or after a superseded start, changes nothing.
    Future<Result> first = supervisor.start("feed");
    Future<Result> second = supervisor.start("feed");
    assertEquals("already_active", second.await().outcome());
    assertTrue(List.of("already_active", "superseded").contains(first.await().outcome()));
    assertEquals(3, status(supervisor).deployments());
  }

  @Test
  @DisplayName("once the shutdown began, start, stop, restart, define and remove are refused with 503, and nothing is deployed")
  void commandsDuringTheShutdown(Vertx vertx) {
    Supervisor supervisor = held(vertx);
    supervisor.startListeners();
    Await.until(WAIT, "connected", () -> status(supervisor).state() == ListenerState.CONNECTED);
    supervisor.shutDown().await();
    long deployments = status(supervisor).deployments();

    List<Supplier<Future<?>>> commands = List.of(() -> supervisor.start("feed"), () -> supervisor.restart("feed"),
        () -> supervisor.stop("feed"), () -> supervisor.define("feed", feed.copy().put("maxFrameSize", 70_000)),
        () -> supervisor.define("other", ServerFixture.feedListener("other", sim.url(), true)), () -> supervisor.remove("feed"));
    for (Supplier<Future<?>> command : commands) {
      ControlException refused = assertThrows(ControlException.class, () -> command.get().await());
      assertEquals(503, refused.code());
      assertTrue(refused.getMessage().contains("shutting down"), refused.getMessage());
    }
    assertEquals(deployments, status(supervisor).deployments(), "nothing deployed after the shutdown began");
    assertEquals(404, assertThrows(ControlException.class, () -> supervisor.status("other").await()).code(), "nothing defined");
  }
}
