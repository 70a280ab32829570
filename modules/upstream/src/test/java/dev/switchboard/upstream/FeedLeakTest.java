package dev.switchboard.upstream;

import dev.switchboard.core.ListenerState;
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

/** Design invariant 3: undeploy leaves nothing behind, however many times it happens. */
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

  /** The census once the last connection is fully gone, and two readings in a row agree. */
  private static Census settled(Vertx vertx, FeedSimulator sim) {
    Await.until(WAIT, "the last connection gone", () -> sim.concurrentConnections() == 0 && sim.openTcpConnections() == 0);
    Census[] last = {Census.of(vertx)};
    Await.until(WAIT, "a steady census", () -> {
      Census now = Census.of(vertx);
      boolean steady = now.equals(last[0]);
      last[0] = now;
      return steady;
    });
    return last[0];
  }

  private static void cycles(Control control, int n) {
    for (int i = 0; i < n; i++) {
      control.start(NAME);
      control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
      control.stop(NAME);
    }
  }
}
