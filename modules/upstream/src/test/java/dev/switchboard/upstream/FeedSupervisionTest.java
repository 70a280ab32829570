package dev.switchboard.upstream;

import dev.switchboard.core.ControlPlane;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.RestartPolicy;
import dev.switchboard.core.Supervisor;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Control;
import dev.switchboard.core.testing.Definitions;
import dev.switchboard.core.testing.StatusRecorder;
import dev.switchboard.simulators.feed.FeedSimulator;
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
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.switchboard.upstream.FeedFixture.NAME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The supervisor's promises, proved against the real feed simulator over loopback sockets. */
@ExtendWith(VertxExtension.class)
class FeedSupervisionTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private Control control;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.control = new Control(vertx);
  }

  private long messagesIn() {
    return control.status(NAME).getLong("messages_in");
  }

  @Test
  @DisplayName("start twice answers already_active with one connection; stop twice answers already_inactive")
  void startAndStopAreIdempotent() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 50);
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), FeedFixture.fastPolicy()));

    assertEquals("started", control.start(NAME));
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    assertEquals("already_active", control.start(NAME));
    assertEquals(1, sim.concurrentConnections());
    assertEquals(1, sim.totalConnections());

    assertEquals("stopped", control.stop(NAME));
    assertEquals("already_inactive", control.stop(NAME));
    Await.until(WAIT, "no connection left", () -> sim.concurrentConnections() == 0);
    assertEquals(List.of((short) 1000), sim.closeCodes(), "stop closes with a normal close frame");
  }

  @Test
  @DisplayName("200 stop/start cycles: never two connections, connected and flowing after each start, none after the last stop")
  void stopStartCycles() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 200);
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), FeedFixture.fastPolicy()));
    for (int i = 0; i < 200; i++) {
      assertEquals("started", control.start(NAME));
      control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
      long before = messagesIn();
      Await.until(WAIT, "messages flowing after start " + i, () -> messagesIn() > before);
      assertEquals("stopped", control.stop(NAME));
      assertEquals(ListenerState.STOPPED, control.state(NAME));
    }
    Await.until(WAIT, "zero connections after the last stop", () -> sim.concurrentConnections() == 0);
    assertEquals(1, sim.maxConcurrentConnections(), "at most one connection at any moment");
    assertEquals(200, sim.totalConnections());
  }

  @Test
  @DisplayName("upstream down at start: BACKOFF with growing delays inside the jitter bounds, CONNECTED within one backoff once it is back")
  void backoffWhileUpstreamIsDown() {
    int port = FeedFixture.freePort();
    RestartPolicy policy = new RestartPolicy(Duration.ofMillis(50), Duration.ofMillis(400), 2.0, 0.2, 0,
        Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1));
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed("ws://127.0.0.1:" + port + "/ws/projection_bpp", policy));
    StatusRecorder recorder = new StatusRecorder(vertx);

    control.start(NAME);
    Await.until(WAIT, "five failed attempts", () -> control.status(NAME).getInteger("attempt") >= 5);

    List<StatusRecorder.Seen> backoffs = recorder.of(NAME).stream().filter(s -> s.state().equals("BACKOFF")).toList();
    assertTrue(backoffs.size() >= 5, "a BACKOFF status per failed attempt");
    for (int i = 0; i < 5; i++) {
      JsonObject status = backoffs.get(i).status();
      int attempt = status.getInteger("attempt");
      assertEquals(i + 1, attempt);
      long delay = Instant.parse(status.getString("next_retry_at")).toEpochMilli() - backoffs.get(i).at();
      long nominal = Math.min(400, 50L << i);
      assertTrue(delay >= nominal * 0.8 - 15 && delay <= nominal * 1.2 + 5,
          "attempt " + attempt + ": delay " + delay + " ms outside " + nominal + " ms ± 20%");
    }

    long back = System.currentTimeMillis();
    FeedSimulator sim = FeedFixture.simulatorOn(vertx, port, 10);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    long took = System.currentTimeMillis() - back;
    assertTrue(took <= 400 * 1.2 + 300, "connected " + took + " ms after the upstream came back: more than one backoff");
    assertEquals(1, sim.concurrentConnections());
  }

  @Test
  @DisplayName("resetAfter: a connection that stays up that long earns a fresh attempt count (not sooner); one that drops"
      + " sooner keeps counting")
  void resetAfterClearsTheAttemptCount() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 50);
    long resetAfter = 3_000; // all between the connect and the first drop happens well inside it
    RestartPolicy policy = new RestartPolicy(Duration.ofMillis(20), Duration.ofMillis(40), 2.0, 0.0, 0,
        Duration.ofMillis(resetAfter), Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1));
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), policy));
    StatusRecorder recorder = new StatusRecorder(vertx);
    sim.refuse(true).await();
    control.start(NAME);
    Await.until(WAIT, "three refused attempts", () -> control.status(NAME).getInteger("attempt") >= 3);
    sim.refuse(false).await();
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    int refused = control.status(NAME).getInteger("attempt");
    assertTrue(refused >= 3, "the count holds while the connection is young: " + refused);

    // Dropped at once, well inside resetAfter: the next attempt goes on from the count.
    sim.dropAll().await();
    Await.until(WAIT, "a BACKOFF after the drop", () -> recorder.of(NAME).stream().anyMatch(
        seen -> seen.state().equals("BACKOFF") && seen.status().getInteger("attempt") > refused));
    assertEquals(List.of(refused + 1), recorder.of(NAME).stream().filter(seen -> seen.state().equals("BACKOFF")
        && seen.status().getInteger("attempt") > refused).map(seen -> seen.status().getInteger("attempt")).distinct().toList());
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    Instant connectedSince = Instant.parse(control.status(NAME).getString("connected_since"));
    recorder.clear(); // what follows is this connection's

    Await.until(WAIT, "the attempt count reset", () -> recorder.of(NAME).stream().anyMatch(seen -> seen.status().getInteger("attempt") == 0));
    StatusRecorder.Seen reset = recorder.of(NAME).stream().filter(seen -> seen.status().getInteger("attempt") == 0).findFirst().orElseThrow();
    long heldFor = reset.at() - connectedSince.toEpochMilli();
    assertTrue(heldFor >= resetAfter, "reset " + heldFor + " ms after connecting, before resetAfter (" + resetAfter + " ms)");
    assertEquals("CONNECTED", reset.state());

    recorder.clear();
    sim.dropAll().await();
    Await.until(WAIT, "a BACKOFF after the second drop", () -> recorder.states(NAME).contains("BACKOFF"));
    JsonObject backoff = recorder.of(NAME).stream().filter(seen -> seen.state().equals("BACKOFF")).findFirst().orElseThrow().status();
    assertEquals(1, backoff.getInteger("attempt"), "counted from the fresh start: " + backoff.encode());
  }

  @Test
  @DisplayName("the upstream drops the connection: the listener reconnects and seq continues without a reset")
  void dropReconnectsAndSeqContinues() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 100);
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), FeedFixture.fastPolicy()));
    List<Long> seqs = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer("upstream.feed.message", m -> seqs.add(m.body().getLong("seq"))).completion().await();

    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    Await.until(WAIT, "some messages", () -> seqs.size() >= 5);
    sim.dropAll().await();
    Await.until(WAIT, "a second connection", () -> sim.totalConnections() == 2);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    int seen = seqs.size();
    Await.until(WAIT, "messages on the new connection", () -> seqs.size() >= seen + 5);

    for (int i = 0; i < seqs.size(); i++) {
      assertEquals(i + 1, seqs.get(i), "seq grows by one across the reconnect");
    }
    assertEquals("1001", control.status(NAME).getJsonObject("last_error").getString("code"));
    assertEquals(1, sim.maxConcurrentConnections());
  }

  @Test
  @DisplayName("a stalled upstream is detected within heartbeatInterval + heartbeatTimeout, then reconnected")
  void stallIsDetected() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 50);
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), FeedFixture.fastPolicy()));
    StatusRecorder recorder = new StatusRecorder(vertx);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);

    long stalledAt = System.currentTimeMillis();
    sim.stall().await();
    // The first status that carries the heartbeat error is the supervisor acting on the dead connection.
    StatusRecorder.Seen noticed = Await.until(WAIT, "the dead connection noticed",
        () -> recorder.of(NAME).stream().filter(s -> s.status().getJsonObject("last_error") != null).findFirst().orElse(null),
        s -> s != null);
    long detectedAfter = noticed.at() - stalledAt;
    assertTrue(detectedAfter <= 200 + 200 + 100, "detected after " + detectedAfter + " ms, more than interval + timeout");
    assertEquals("heartbeat", noticed.status().getJsonObject("last_error").getString("code"));

    Await.until(WAIT, "a fresh connection", () -> sim.totalConnections() == 2);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    long before = messagesIn();
    Await.until(WAIT, "messages on the fresh connection", () -> messagesIn() > before);
    Await.until(WAIT, "the stalled connection closed", () -> sim.concurrentConnections() == 1);
    assertEquals(1, sim.maxConcurrentConnections());
  }

  @Test
  @DisplayName("a shutdown right behind a start: the instance still being deployed goes down too, with a close frame")
  void shutDownWhileDeploying() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 50);
    Supervisor supervisor = Definitions.supervisor(new FeedKind(), dataDir, Duration.ofMillis(50),
        List.of(FeedFixture.feed(sim.url(), FeedFixture.fastPolicy())));
    vertx.deployVerticle(supervisor).await();
    Set<String> before = Set.copyOf(vertx.deploymentIDs());

    Future<ControlPlane.Result> started = supervisor.start(NAME); // not awaited: its deploy is in flight at the shutdown
    supervisor.shutDown().await();

    assertEquals("started", started.await().outcome());
    assertEquals(before, Set.copyOf(vertx.deploymentIDs()), "no listener instance outlives the shutdown");
    Await.until(WAIT, "no connection left", () -> sim.concurrentConnections() == 0);
    assertTrue(sim.closeCodes().stream().allMatch(code -> code == 1000), "closed with a normal close frame: " + sim.closeCodes());
  }

  @Test
  @DisplayName("a start queued behind a slow stop when the shutdown begins is refused (503), not answered 'started' with nothing run")
  void startQueuedWhenTheShutdownBegins() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 50);
    Supervisor supervisor = Definitions.supervisor(new FeedKind(), dataDir, Duration.ofMillis(50),
        List.of(FeedFixture.feed(sim.url(), FeedFixture.fastPolicy())));
    vertx.deployVerticle(supervisor).await();
    assertEquals("started", supervisor.start(NAME).await().outcome());
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    sim.stall().await(); // the stop's close frame gets no answer: it takes its whole closing timeout

    Future<ControlPlane.Result> stopped = supervisor.stop(NAME);
    Future<ControlPlane.Result> started = supervisor.start(NAME); // queued behind the stop
    supervisor.shutDown().await();

    assertEquals("stopped", stopped.await().outcome());
    dev.switchboard.core.ControlException refused = org.junit.jupiter.api.Assertions.assertThrows(
        dev.switchboard.core.ControlException.class, started::await);
    assertEquals(503, refused.code());
    assertEquals(1, sim.totalConnections(), "nothing connected again");
  }

  @Test
  @DisplayName("a definition still being written when the shutdown begins is finished first, and runs nothing")
  void definitionOnItsWayWhenTheShutdownBegins() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 50);
    Supervisor supervisor = Definitions.supervisor(new FeedKind(), dataDir, Duration.ofMillis(50), List.of());
    vertx.deployVerticle(supervisor).await();

    // Its file is written on a worker: the shutdown comes in while it is.
    Future<ControlPlane.Result> defined = supervisor.define("late", new JsonObject().put("type", "upstream")
        .put("url", sim.url()).put("autoStart", true));
    supervisor.shutDown().await();

    assertTrue(defined.isComplete(), "the shutdown waited for it");
    assertEquals(0, sim.totalConnections(), "nothing connected after the shutdown began");
  }

  @Test
  @DisplayName("stop during BACKOFF cancels the retry: no deployment afterwards")
  void stopDuringBackoff() {
    int port = FeedFixture.freePort();
    RestartPolicy policy = new RestartPolicy(Duration.ofMillis(300), Duration.ofMillis(300), 1.0, 0.0, 0,
        Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1));
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed("ws://127.0.0.1:" + port + "/ws/projection_bpp", policy));
    StatusRecorder recorder = new StatusRecorder(vertx);
    control.start(NAME);
    JsonObject backoff = control.awaitState(NAME, ListenerState.BACKOFF, WAIT);
    long deploymentsBefore = backoff.getLong("deployments");
    Instant retryAt = Instant.parse(backoff.getString("next_retry_at"));

    assertEquals("stopped", control.stop(NAME));
    // Bring the upstream up, so that a retry that was not cancelled would connect and show.
    FeedSimulator sim = FeedFixture.simulatorOn(vertx, port, 10);
    Await.until(WAIT, "well past the retry time", () -> Instant.now().isAfter(retryAt.plusMillis(300)));

    JsonObject after = control.status(NAME);
    assertEquals("STOPPED", after.getString("state"));
    assertEquals(deploymentsBefore, after.getLong("deployments"));
    assertEquals(0, sim.totalConnections());
    assertTrue(recorder.states(NAME).indexOf("STOPPED") == recorder.states(NAME).size() - 1,
        "nothing after STOPPED: " + recorder.states(NAME));
  }

  @Test
  @DisplayName("maxAttempts reached: FAILED; a start from FAILED works")
  void maxAttemptsThenStartFromFailed() {
    int port = FeedFixture.freePort();
    RestartPolicy policy = new RestartPolicy(Duration.ofMillis(20), Duration.ofMillis(40), 2.0, 0.2, 3,
        Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1));
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed("ws://127.0.0.1:" + port + "/ws/projection_bpp", policy));
    control.start(NAME);
    JsonObject failed = control.awaitState(NAME, ListenerState.FAILED, WAIT);
    assertEquals(3, failed.getInteger("attempt"));
    assertEquals(3, failed.getLong("deployments"));
    assertTrue(failed.getBoolean("is_active"), "still desired: FAILED is not a stop");
    assertEquals("failed", failed.getString("task_status"));
    assertTrue(failed.getJsonObject("last_error").getString("message").startsWith("gave up after 3 attempts"));

    FeedSimulator sim = FeedFixture.simulatorOn(vertx, port, 10);
    assertEquals("started", control.start(NAME));
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    assertEquals(1, sim.concurrentConnections());
  }

  @Test
  @DisplayName("credentials refused at the upgrade (401, 403): FAILED after one attempt, not retried; a 503 is retried")
  void refusedCredentialsAreNotRetried() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 10);
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), FeedFixture.fastPolicy()));
    for (int status : new int[] {401, 403}) {
      sim.rejectUpgrades(status).await();
      control.start(NAME);
      JsonObject failed = control.awaitState(NAME, ListenerState.FAILED, WAIT);
      assertEquals("http_" + status, failed.getJsonObject("last_error").getString("code"));
      // FAILED straight from the first attempt: a retried failure would have been BACKOFF first, then FAILED
      // only after maxAttempts, which this policy does not set.
      assertEquals(1, failed.getInteger("attempt"), failed.encode());
      assertEquals(status == 401 ? 1 : 2, failed.getLong("deployments"), failed.encode());
      assertTrue(failed.getJsonObject("last_error").getString("message").contains("not retried"), failed.encode());
    }
    sim.rejectUpgrades(503).await();
    control.start(NAME);
    JsonObject backoff = control.awaitState(NAME, ListenerState.BACKOFF, WAIT);
    assertEquals("http_503", backoff.getJsonObject("last_error").getString("code"));
    sim.rejectUpgrades(0).await();
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    assertEquals(1, sim.concurrentConnections());
  }

  @Test
  @DisplayName("a restart: STOPPING and STARTING never say 'connected since' the connection that goes; CONNECTED says the new one's")
  void restartClearsConnectedSince() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 10);
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), FeedFixture.fastPolicy()));
    control.start(NAME);
    String first = control.awaitState(NAME, ListenerState.CONNECTED, WAIT).getString("connected_since");
    assertNotNull(first);
    StatusRecorder recorder = new StatusRecorder(vertx);
    assertEquals("restarted", control.restart(NAME));
    JsonObject again = control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    assertNotEquals(first, again.getString("connected_since"));
    Await.until(WAIT, "the restart's statuses recorded", () -> recorder.states(NAME).contains("CONNECTED"));
    List<StatusRecorder.Seen> between = recorder.of(NAME).stream()
        .filter(seen -> seen.state().equals("STOPPING") || seen.state().equals("STARTING")).toList();
    assertFalse(between.isEmpty(), recorder.states(NAME).toString());
    between.forEach(seen -> assertNull(seen.status().getValue("connected_since"), seen.status().encode()));
    recorder.close();
  }

  @Test
  @DisplayName("desired state survives a restart of the process: stopped stays stopped, started comes back")
  void desiredStateSurvivesRestart() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 10);
    String url = sim.url();

    Vertx first = Vertx.vertx();
    try {
      // auto_start is on, but the user stopped it: that choice is what must survive.
      FeedFixture.deploySupervisor(first, dataDir, FeedFixture.feed(url, FeedFixture.fastPolicy(), true, new JsonObject()));
      Control c1 = new Control(first);
      c1.awaitState(NAME, ListenerState.CONNECTED, WAIT);
      assertEquals("stopped", c1.stop(NAME));
    } finally {
      first.close().await();
    }
    Vertx second = Vertx.vertx();
    try {
      FeedFixture.deploySupervisor(second, dataDir, FeedFixture.feed(url, FeedFixture.fastPolicy(), true, new JsonObject()));
      Control c2 = new Control(second);
      JsonObject status = c2.status(NAME);
      assertEquals("STOPPED", status.getString("state"));
      assertEquals(false, status.getBoolean("is_active"));
      assertEquals("started", c2.start(NAME));
      c2.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    } finally {
      second.close().await();
    }
    Vertx third = Vertx.vertx();
    try {
      // auto_start off now, but the persisted choice (started) wins.
      FeedFixture.deploySupervisor(third, dataDir, FeedFixture.feed(url, FeedFixture.fastPolicy(), false, new JsonObject()));
      new Control(third).awaitState(NAME, ListenerState.CONNECTED, WAIT);
    } finally {
      third.close().await();
    }
    Await.until(WAIT, "every connection closed", () -> sim.concurrentConnections() == 0);
    assertEquals(1, sim.maxConcurrentConnections());
  }

  @Test
  @DisplayName("an exit report from an instance that is no longer the current one is ignored")
  void staleExitReportIsIgnored() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 50);
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), FeedFixture.fastPolicy()));
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    sim.dropAll().await();
    Await.until(WAIT, "the second instance connected", () -> sim.totalConnections() == 2
        && control.status(NAME).getString("state").equals("CONNECTED"));
    long deployments = control.status(NAME).getLong("deployments");

    // A late report from the first instance (generation 1), as it would arrive after its undeploy.
    vertx.eventBus().send(dev.switchboard.core.Addresses.LISTENER_REPORTS,
        dev.switchboard.core.ListenerReport.exit(NAME, 1L, dev.switchboard.core.ListenerFailure.retry("late")));
    // A report from the current one is acted on: after it, the late one has certainly been seen.
    long before = messagesIn();
    Await.until(WAIT, "messages still flowing", () -> messagesIn() > before + 5);
    JsonObject status = control.status(NAME);
    assertEquals("CONNECTED", status.getString("state"));
    assertEquals(deployments, status.getLong("deployments"), "no redeploy caused by the stale report");
    assertEquals(1, sim.concurrentConnections());
    assertEquals(2, sim.totalConnections());
  }

  @Test
  @DisplayName("the simulator refuses connections, then accepts again: BACKOFF, then CONNECTED; after its restart, reconnected")
  void refusedThenRestarted() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 50);
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), FeedFixture.fastPolicy()));
    sim.refuse(true).await();
    control.start(NAME);
    Await.until(WAIT, "several refused attempts", () -> control.status(NAME).getInteger("attempt") >= 3);
    assertEquals(0, sim.totalConnections(), "refused at the TCP level: no WebSocket reached the server");
    sim.refuse(false).await();
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);

    sim.restart().await();
    Await.until(WAIT, "reconnected after the restart", () -> sim.totalConnections() == 2 && sim.concurrentConnections() == 1
        && "CONNECTED".equals(control.status(NAME).getString("state")));
    assertEquals(1, sim.maxConcurrentConnections());
  }

  @Test
  @DisplayName("malformed and oversized frames are counted; the listener stays up or reconnects")
  void malformedAndOversizedFrames() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 0);
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), FeedFixture.fastPolicy(), false,
        new JsonObject().put("maxFrameSize", 1024)));
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);

    sim.sendMalformed().await();
    sim.sendMalformed().await();
    Await.until(WAIT, "two malformed frames counted", () -> control.status(NAME).getLong("malformed") == 2);
    assertEquals(ListenerState.CONNECTED, control.state(NAME), "a malformed frame does not end the connection");

    sim.sendOversized(4096).await();
    Await.until(WAIT, "the oversized frame counted", () -> control.status(NAME).getLong("malformed") == 3);
    Await.until(WAIT, "reconnected after the oversized frame", () -> sim.totalConnections() == 2);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    sim.emit(new JsonObject().put("still", "alive")).await();
    Await.until(WAIT, "the good message delivered", () -> messagesIn() >= 1);
  }

  @Test
  @DisplayName("a refused connect goes to BACKOFF at once (no second in STOPPING), with code 'refused'; a stop then reads cancelled with no attempts")
  void refusedConnectThenStopInBackoff() throws Exception {
    int port = FeedFixture.freePort(); // nothing listens: connection refused
    dev.switchboard.core.RestartPolicy slow = new dev.switchboard.core.RestartPolicy(java.time.Duration.ofSeconds(5),
        java.time.Duration.ofSeconds(5), 2.0, 0.0, 0, java.time.Duration.ofSeconds(30), java.time.Duration.ofSeconds(2),
        java.time.Duration.ofMillis(200), java.time.Duration.ofMillis(200));
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed("ws://127.0.0.1:" + port + "/x", slow));
    long started = System.nanoTime();
    control.start(NAME);
    JsonObject backoff = control.awaitState(NAME, ListenerState.BACKOFF, WAIT);
    long tookMs = (System.nanoTime() - started) / 1_000_000;
    assertTrue(tookMs < 700, "BACKOFF after " + tookMs + " ms: a connect that never opened waits for nothing");
    assertEquals("refused", backoff.getJsonObject("last_error").getString("code"));
    assertEquals(1, backoff.getInteger("attempt"));

    assertEquals("stopped", control.stop(NAME));
    JsonObject stopped = control.status(NAME);
    assertEquals("STOPPED", stopped.getString("state"));
    assertEquals("cancelled", stopped.getString("task_status"));
    assertEquals(0, stopped.getInteger("attempt"));
    assertEquals(null, stopped.getString("next_retry_at"));
  }
}
