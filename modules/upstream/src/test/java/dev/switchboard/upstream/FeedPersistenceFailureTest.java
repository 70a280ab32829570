package dev.switchboard.upstream;

import dev.switchboard.core.ControlPlane;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.Supervisor;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Control;
import dev.switchboard.core.testing.Definitions;
import dev.switchboard.simulators.feed.FeedSimulator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.switchboard.upstream.FeedFixture.NAME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one-connection invariant holds whatever the disk does: a desired state that cannot be saved is
 * reported, never left as a zombie instance; and a storm of queued commands coalesces.
 */
@ExtendWith(VertxExtension.class)
class FeedPersistenceFailureTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir
  Path dir;

  private static void replaceWithFile(Path dataDir) throws IOException {
    try (Stream<Path> files = Files.walk(dataDir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
    Files.writeString(dataDir, "not a directory"); // every write under it fails, even for root
  }

  /** A supervisor of the one feed listener, on {@code sim}, started and connected. */
  private static Supervisor connected(Vertx vertx, FeedSimulator sim, Path dataDir) {
    Supervisor supervisor = Definitions.supervisor(new FeedKind(), dataDir, Duration.ofMillis(50),
        List.of(FeedFixture.feed(sim.url(), FeedFixture.fastPolicy())));
    vertx.deployVerticle(supervisor).await();
    Control control = new Control(vertx);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    return supervisor;
  }

  /** Takes the only worker thread until {@code release}: every file write waits for it. */
  private static void holdTheWorker(Vertx vertx, CountDownLatch release) throws InterruptedException {
    CountDownLatch holding = new CountDownLatch(1);
    vertx.executeBlocking(() -> {
      holding.countDown();
      release.await();
      return null;
    });
    assertTrue(holding.await(10, TimeUnit.SECONDS), "the worker is held");
  }

  @Test
  @DisplayName("data dir gone: stop still stops (no zombie), says it is not persisted, /health says so; start makes one connection; the save recovers")
  void unwritableDataDir(Vertx vertx) throws IOException {
    FeedSimulator sim = FeedFixture.simulator(vertx, 50);
    Path dataDir = dir.resolve("data");
    Supervisor supervisor = connected(vertx, sim, dataDir);
    Control control = new Control(vertx);

    replaceWithFile(dataDir);
    JsonObject stopped = control.send("stop", NAME);
    assertEquals("stopped", stopped.getString("status"));
    assertEquals(false, stopped.getBoolean("persisted"));
    assertTrue(stopped.getString("warning").contains("could not be saved"), stopped.encode());
    assertEquals("STOPPED", stopped.getJsonObject("listener").getString("state"));
    assertEquals(false, stopped.getJsonObject("listener").getBoolean("desired_persisted"));
    Await.until(WAIT, "the upstream connection closed", () -> sim.concurrentConnections() == 0);
    String problem = supervisor.health().await().listeners().get(NAME).reason();
    assertNotNull(problem, "an unsaved desired state is a health problem");
    assertTrue(problem.contains("could not be saved"), problem);

    // The upstream drops meanwhile: nothing may come back to life.
    sim.dropAll().await();
    assertEquals(0, sim.concurrentConnections());

    assertEquals("started", control.start(NAME));
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    sim.dropAll().await();
    Await.until(WAIT, "reconnected once", () -> sim.concurrentConnections() == 1
        && "CONNECTED".equals(control.status(NAME).getString("state")));
    assertEquals(1, sim.maxConcurrentConnections(), "never two connections");

    JsonObject stoppedAgain = control.send("stop", NAME);
    assertEquals(false, stoppedAgain.getBoolean("persisted"));
    Await.until(WAIT, "closed again", () -> sim.concurrentConnections() == 0);

    // The disk comes back: the periodic retry saves the desired state, and the status says so.
    Files.delete(dataDir);
    Files.createDirectories(dataDir);
    Await.until(WAIT, "saved once the disk is back", () -> control.status(NAME).getBoolean("desired_persisted"));
    JsonObject saved = new JsonObject(Files.readString(dataDir.resolve("listeners.json")));
    assertEquals(false, saved.getJsonObject("listeners").getJsonObject(NAME).getBoolean("active"));
    assertEquals(null, supervisor.health().await().listeners().get(NAME).reason());
    assertEquals(1, sim.maxConcurrentConnections());
  }

  @Test
  @DisplayName("a state file with wrong types or cut short stops the start with its path and what to do, never a silent reset")
  void corruptStateFiles(Vertx vertx) throws IOException {
    FeedSimulator sim = FeedFixture.simulator(vertx, 0);
    Path dataDir = dir.resolve("data");
    Files.createDirectories(dataDir);
    Files.writeString(dataDir.resolve("listeners.json"), "{\"listeners\": {\"feed\": {\"active\": \"yes\"}}}");
    Throwable wrongType = vertx.deployVerticle(Definitions.supervisor(new FeedKind(), dataDir, Duration.ofMillis(50),
        List.of(FeedFixture.feed(sim.url(), FeedFixture.fastPolicy())))).transform(ar -> Future.succeededFuture(ar.cause())).await();
    assertNotNull(wrongType, "refused to start");
    assertTrue(wrongType.getMessage().contains(dataDir.resolve("listeners.json").toString())
        && wrongType.getMessage().contains("delete it"), wrongType.getMessage());
    // An entry without its flag is no stop either: taken as one, the listener would stay stopped in silence.
    for (String entries : List.of("{\"feed\": {}}", "{\"feed\": {\"activ\": true}}", "{\"feed\": true}", "[\"feed\"]")) {
      Files.writeString(dataDir.resolve("listeners.json"), "{\"listeners\": " + entries + "}");
      Throwable refused = vertx.deployVerticle(Definitions.supervisor(new FeedKind(), dataDir, Duration.ofMillis(50),
          List.of(FeedFixture.feed(sim.url(), FeedFixture.fastPolicy())))).transform(ar -> Future.succeededFuture(ar.cause())).await();
      assertNotNull(refused, entries + " refused to start");
      assertTrue(refused.getMessage().contains(dataDir.resolve("listeners.json").toString())
          && refused.getMessage().contains("delete it"), refused.getMessage());
    }

    Files.delete(dataDir.resolve("listeners.json"));
    Files.writeString(dataDir.resolve("definitions.json"), "{\"listeners\": {\"feed\": {\"vers");
    Throwable truncated = vertx.deployVerticle(Definitions.supervisor(new FeedKind(), dataDir, Duration.ofMillis(50),
        List.of(FeedFixture.feed(sim.url(), FeedFixture.fastPolicy())))).transform(ar -> Future.succeededFuture(ar.cause())).await();
    assertNotNull(truncated, "refused to start");
    assertTrue(truncated.getMessage().contains(dataDir.resolve("definitions.json").toString())
        && truncated.getMessage().contains("restore it from a backup"), truncated.getMessage());

    // A hand edit that renamed only the key: a removal by the listener's name would miss the entry, and the
    // listener would come back at the next start. (An entry without its version was refused before too.)
    JsonObject definition = FeedFixture.feed(sim.url(), FeedFixture.fastPolicy()).source();
    for (JsonObject entries : List.of(
        new JsonObject().put("renamed", new JsonObject().put("version", 1).put("definition", definition)),
        new JsonObject().put(NAME, new JsonObject().put("definition", definition)))) {
      Files.writeString(dataDir.resolve("definitions.json"), new JsonObject().put("listeners", entries).encode());
      Throwable refused = vertx.deployVerticle(Definitions.supervisor(new FeedKind(), dataDir, Duration.ofMillis(50),
          List.of(FeedFixture.feed(sim.url(), FeedFixture.fastPolicy())))).transform(ar -> Future.succeededFuture(ar.cause())).await();
      assertNotNull(refused, entries + " refused to start");
      assertTrue(refused.getMessage().contains(dataDir.resolve("definitions.json").toString())
          && refused.getMessage().contains("restore it from a backup"), refused.getMessage());
    }
    assertTrue(Files.readString(dataDir.resolve("definitions.json")).contains("\"definition\""), "left as it was");
    assertEquals(0, sim.totalConnections());
  }

  @Test
  @DisplayName("40 queued restarts then a stop: they coalesce; the stop answers at once, the end state is STOPPED, and few instances were deployed")
  void queuedCommandsCoalesce(Vertx vertx) {
    FeedSimulator sim = FeedFixture.simulator(vertx, 50);
    FeedFixture.deploySupervisor(vertx, dir.resolve("data"), FeedFixture.feed(sim.url(), FeedFixture.fastPolicy()));
    Control control = new Control(vertx);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    long before = control.status(NAME).getLong("deployments");

    List<Future<JsonObject>> restarts = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      restarts.add(vertx.eventBus().<JsonObject>request("switchboard.control", new JsonObject().put("action", "restart").put("name", NAME))
          .map(m -> m.body()));
    }
    JsonObject stop = vertx.eventBus().<JsonObject>request("switchboard.control", new JsonObject().put("action", "stop").put("name", NAME))
        .await().body();
    assertEquals("stopped", stop.getString("status"));
    Future.all(restarts).await();
    long superseded = restarts.stream().filter(f -> "superseded".equals(f.result().getString("status"))).count();
    assertTrue(superseded >= 38, superseded + " of 40 restarts superseded");
    assertEquals("STOPPED", control.status(NAME).getString("state"));
    long deployed = control.status(NAME).getLong("deployments") - before;
    assertTrue(deployed <= 2, deployed + " instances deployed by 40 restarts and a stop");
    Await.until(WAIT, "no connection left", () -> sim.concurrentConnections() == 0);
    assertEquals(1, sim.maxConcurrentConnections());
    assertFalse(stop.containsKey("warning"));
  }

  @Test
  @DisplayName("a hung disk holds the answers, never the listener: a dead connection reconnects and a stop stops while the save waits")
  void hungDiskHoldsOnlyTheAnswers() throws Exception {
    // One worker thread, held by the test: every file write waits for it, as on a disk that stopped answering.
    Vertx vertx = Vertx.vertx(new VertxOptions().setWorkerPoolSize(1));
    CountDownLatch release = new CountDownLatch(1);
    try {
      FeedSimulator sim = FeedFixture.simulator(vertx, 20);
      Path dataDir = dir.resolve("data");
      Supervisor supervisor = connected(vertx, sim, dataDir);
      Control control = new Control(vertx);
      holdTheWorker(vertx, release);

      Future<ControlPlane.Result> restart = supervisor.restart(NAME);
      Await.until(WAIT, "restarted: a second connection", () -> sim.totalConnections() == 2
          && control.state(NAME) == ListenerState.CONNECTED);
      assertFalse(restart.isComplete(), "its answer waits for the save");
      // The upstream drops the connection: the exit report is not queued behind the save.
      sim.dropAll().await();
      Await.until(WAIT, "reconnected while the disk hangs", () -> sim.totalConnections() == 3
          && control.state(NAME) == ListenerState.CONNECTED);
      Future<ControlPlane.Result> stop = supervisor.stop(NAME);
      Await.until(WAIT, "stopped while the disk hangs", () -> control.state(NAME) == ListenerState.STOPPED
          && sim.concurrentConnections() == 0);

      release.countDown();
      assertEquals("restarted", restart.await().outcome());
      ControlPlane.Result stopped = stop.await();
      assertEquals("stopped", stopped.outcome());
      assertEquals(null, stopped.warning(), "saved once the disk came back");
      JsonObject saved = new JsonObject(Files.readString(dataDir.resolve("listeners.json")));
      assertEquals(false, saved.getJsonObject("listeners").getJsonObject(NAME).getBoolean("active"), "the last state wins");
      assertEquals(1, sim.maxConcurrentConnections());
    } finally {
      release.countDown();
      vertx.close().await();
    }
  }

  @Test
  @DisplayName("a definition whose save failed never reaches the disk with another name's save that follows it")
  void failedDefinitionNotCarriedByAnotherSave() throws Exception {
    // One worker thread, so that the test decides the order of the disk writes: its own tasks queue with them.
    Vertx vertx = Vertx.vertx(new VertxOptions().setWorkerPoolSize(1));
    try {
      Path dataDir = dir.resolve("data");
      Supervisor supervisor = Definitions.supervisor(new FeedKind(), dataDir, Duration.ofMillis(50),
          List.of(FeedFixture.feed("ws://127.0.0.1:9/feed", FeedFixture.fastPolicy())));
      vertx.deployVerticle(supervisor).await();
      Path definitions = dataDir.resolve("definitions.json");
      Path blocker = definitions.resolveSibling("blocked-save");

      CountDownLatch release = new CountDownLatch(1);
      holdTheWorker(vertx, release);
      // The file becomes a directory with something in it: the save's rename over it fails.
      Files.move(definitions, blocker);
      Files.createDirectories(definitions.resolve("in-the-way"));

      Future<ControlPlane.Result> first = supervisor.define("first", source());
      // Two calls through the supervisor's loop: by their answers, the first save is queued for the worker.
      supervisor.snapshot().await();
      supervisor.snapshot().await();
      Future<Void> diskBack = vertx.executeBlocking(() -> { // queued behind the first save, before any later one
        Files.delete(definitions.resolve("in-the-way"));
        Files.delete(definitions);
        Files.move(blocker, definitions);
        return null;
      });
      Future<ControlPlane.Result> second = supervisor.define("second", source());
      release.countDown();

      Throwable failed = first.transform(ar -> Future.succeededFuture(ar.cause())).await();
      assertNotNull(failed, "the first definition could not be saved");
      assertTrue(failed.getMessage().contains("nothing changed"), failed.getMessage());
      diskBack.await();
      assertEquals("created", second.await().outcome());
      supervisor.snapshot().await();

      JsonObject stored = new JsonObject(Files.readString(definitions)).getJsonObject("listeners");
      assertEquals(Set.of(NAME, "second"), stored.fieldNames(), stored.encode());
      Throwable unknown = supervisor.definition("first").transform(ar -> Future.succeededFuture(ar.cause())).await();
      assertNotNull(unknown, "not defined in memory either");
    } finally {
      vertx.close().await();
    }
  }

  private static JsonObject source() {
    return new JsonObject().put("type", "upstream").put("url", "ws://127.0.0.1:9/feed").put("autoStart", false);
  }
}
