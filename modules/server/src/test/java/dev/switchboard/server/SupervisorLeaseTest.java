package dev.switchboard.server;

import dev.switchboard.core.ListenerKinds;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.ListenerStatus;
import dev.switchboard.core.Supervisor;
import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.TcpGate;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cluster node's supervisor runs a listener only while the node holds its lease: {@code own} and
 * {@code disown} take effect in the listener's queue, in the order they were said.
 */
@ExtendWith(VertxExtension.class)
class SupervisorLeaseTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir
  Path dataDir;
  private FeedSimulator sim;
  private TcpGate gate;
  private Supervisor supervisor;

  @BeforeEach
  void setUp(Vertx vertx) {
    sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(20));
    vertx.deployVerticle(sim).await();
    // Through a gate: frozen, it makes the listener's close wait for its timeout, which holds the queue.
    gate = TcpGate.open(vertx, "127.0.0.1", 0, sim.port()).await();
    supervisor = new Supervisor(ListenerKinds.discover(), List.of(),
        new Supervisor.Options(dataDir, Duration.ofMillis(250), Map.of(), "node-a"));
    vertx.deployVerticle(supervisor).await();
    String url = sim.url().replace(":" + sim.port() + "/", ":" + gate.port() + "/");
    supervisor.define("feed", ServerFixture.feedListener("feed", url, true)).await();
    supervisor.desire("feed", true, 0).await();
  }

  private ListenerStatus status() {
    return supervisor.status("feed").await().listener();
  }

  @Test
  @DisplayName("a lease taken back while its own() still waits in the queue is never run: nothing connects without the lease")
  void disownBeforeTheOwnRan() {
    supervisor.own("feed", 1).await();
    Await.until(WAIT, "connected under epoch 1", () -> status().state() == ListenerState.CONNECTED);
    assertEquals(1, sim.totalConnections());

    gate.blackhole(); // the upstream stops answering: the next close waits out its timeout
    Future<Void> handedOver = supervisor.disown("feed", "handed over");
    Future<Void> ownedAgain = supervisor.own("feed", 2); // queued behind the close
    assertTrue(supervisor.holdsUnder("feed", 2).await(), "the lease of epoch 2 is given");
    assertFalse(handedOver.isComplete(), "the close is still waiting: the own() behind it has not run yet");
    Future<Void> lostAgain = supervisor.disown("feed", "lease lost");
    Future.all(handedOver, ownedAgain, lostAgain).await();
    supervisor.desire("feed", true, 0).await(); // queued last: everything before it has had its turn

    ListenerStatus after = status();
    assertEquals(ListenerState.UNASSIGNED, after.state(), "not running here: the lease of epoch 2 was taken back");
    assertEquals(1, after.deployments(), "deployed once, under epoch 1 only");
    assertFalse(supervisor.holdsUnder("feed", 2).await());
    assertEquals(1, sim.totalConnections(), "no connection without the lease");

    // The next lease runs it as usual.
    supervisor.own("feed", 3).await();
    Await.until(WAIT, "connected under epoch 3", () -> status().state() == ListenerState.CONNECTED);
    assertTrue(supervisor.holdsUnder("feed", 3).await());
    assertEquals(3, status().epoch());
    assertEquals(2, sim.totalConnections());
  }
}
