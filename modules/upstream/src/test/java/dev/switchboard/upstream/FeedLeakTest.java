package dev.switchboard.upstream;

import dev.switchboard.core.ListenerState;
import dev.switchboard.core.RestartPolicy;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Census;
import dev.switchboard.core.testing.Control;
import dev.switchboard.simulators.feed.FeedSimulator;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static dev.switchboard.upstream.FeedFixture.NAME;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Design invariant 3: undeploy leaves nothing behind, however many times it happens, and whoever causes it. */
@ExtendWith(VertxExtension.class)
class FeedLeakTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dataDir;

  @Test
  @DisplayName("after 1,000 start/stop cycles, deployments, consumers and timers are back to their baseline, sockets and threads no higher")
  void thousandCyclesLeaveNothingBehind(Vertx vertx) {
    FeedSimulator sim = FeedFixture.simulator(vertx, 100);
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), FeedFixture.fastPolicy()));
    Control control = new Control(vertx);
    // Warm up: event loops and worker threads are created lazily, up to their pool sizes.
    cycles(control, 40);
    Census baseline = settled(vertx, sim);

    cycles(control, 1_000);

    Await.until(WAIT, "the census back to " + baseline, () -> Census.of(vertx), c -> c.nothingMoreThan(baseline));
    assertEquals(0, sim.concurrentConnections());
    assertEquals(1, sim.maxConcurrentConnections());
    assertEquals(1_040, sim.totalConnections());
  }

  @Test
  @DisplayName("after 200 reconnects the upstream caused (close frames and TCP cuts in turn), the census is where it was, connected")
  void upstreamReconnectsLeaveNothingBehind(Vertx vertx) {
    FeedSimulator sim = FeedFixture.simulator(vertx, 100);
    RestartPolicy quick = new RestartPolicy(Duration.ofMillis(10), Duration.ofMillis(30), 2.0, 0.2, 0,
        Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofMillis(200));
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), quick));
    Control control = new Control(vertx);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    reconnects(sim, control, 20); // warm-up, as above
    Census baseline = Census.restingAfter(vertx, "one connection left", () -> sim.settledAt(1));

    reconnects(sim, control, 200);

    Census.awaitBackTo(baseline, vertx, "one connection left", () -> sim.settledAt(1));
    assertEquals(1, sim.maxConcurrentConnections(), "never two connections at once");
    assertEquals(221, sim.totalConnections());
  }

  private static void reconnects(FeedSimulator sim, Control control, int n) {
    for (int i = 0; i < n; i++) {
      long before = sim.totalConnections();
      (i % 2 == 0 ? sim.dropAll() : sim.cutAll()).await();
      Await.until(WAIT, "reconnect " + (i + 1), () -> sim.totalConnections() == before + 1);
      control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    }
  }

  private static Census settled(Vertx vertx, FeedSimulator sim) {
    return Census.restingAfter(vertx, "the last connection gone", () -> sim.settledAt(0));
  }

  private static void cycles(Control control, int n) {
    for (int i = 0; i < n; i++) {
      control.start(NAME);
      control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
      control.stop(NAME);
    }
  }
}
