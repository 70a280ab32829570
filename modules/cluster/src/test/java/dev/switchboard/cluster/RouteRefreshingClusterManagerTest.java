package dev.switchboard.cluster;

import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.FreePorts;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Two clustered Vert.x nodes on loopback, built as Switchboard builds them. The event bus's cached route
 * to a consumer on the other node is made stale (it names only this node), as a lost or out-of-date
 * registration report leaves it; a refresh must make messages reach the consumer again.
 */
class RouteRefreshingClusterManagerTest {
  private static final String ADDRESS = "test.route";

  private ClusteredVertx.Node a;
  private ClusteredVertx.Node b;

  @BeforeEach
  void cluster() {
    int[] ports = FreePorts.take(2);
    List<String> members = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]);
    String name = "routes-" + UUID.randomUUID().toString().substring(0, 8);
    a = ClusteredVertx.start(LoopbackSettings.of("node-a", name, ports[0], members), new VertxOptions()).await();
    b = ClusteredVertx.start(LoopbackSettings.of("node-b", name, ports[1], members), new VertxOptions()).await();
  }

  @AfterEach
  void close() {
    for (ClusteredVertx.Node node : new ClusteredVertx.Node[] {b, a}) {
      if (node != null) {
        node.vertx().close().await();
      }
    }
  }

  @Test
  @DisplayName("a route left stale by a registration report: published messages miss the consumer until refresh() reads it"
      + " again, and the mended route is counted")
  void refreshMendsAStaleRoute() {
    List<String> received = new CopyOnWriteArrayList<>();
    b.vertx().eventBus().<String>consumer(ADDRESS, msg -> received.add(msg.body())).completion().await();
    a.vertx().eventBus().publish(ADDRESS, "before");
    Await.until(Duration.ofSeconds(10), "node-b receives what node-a publishes", () -> received.contains("before"));

    // A report that leaves node-a's event bus believing only node-a itself consumes the address, as an
    // out-of-date or missing report does.
    String self = a.routes().getNodeId();
    a.routes().reports().registrationsUpdated(new RegistrationUpdateEvent(ADDRESS, List.of(new RegistrationInfo(self, 1, false))));
    a.vertx().eventBus().publish(ADDRESS, "stale");

    // A route is judged only once it has stood for a while: a report may still be on its way.
    Await.until(Duration.ofSeconds(10), "the stale route has stood long enough to be judged", () -> a.routes().settled(ADDRESS));
    int read = a.routes().refresh().await();
    a.vertx().eventBus().publish(ADDRESS, "after");
    Await.until(Duration.ofSeconds(10), "node-b receives what node-a publishes after the refresh", () -> received.contains("after"),
        () -> "node-b received " + received);

    // One connection between the two nodes keeps their order: had "stale" gone out to node-b, it would be here.
    assertFalse(received.contains("stale"), "the stale route was not stale: the test proves nothing; received " + received);
    assertEquals(List.of("before", "after"), received);
    assertEquals(1, read, "the one cached address was read");
    assertEquals(1, a.routes().mended(), "the stale route counted as mended");
  }

  @Test
  @DisplayName("refresh() reads only what the event bus caches, completes on a node that has sent nothing, and counts"
      + " nothing when the routes were right")
  void refreshReadsOnlyCachedRoutes() {
    assertEquals(0, b.routes().refresh().await(), "node-b has looked nothing up");
    b.vertx().eventBus().<String>consumer(ADDRESS, msg -> { }).completion().await();
    a.vertx().eventBus().publish(ADDRESS, "one");
    Await.until(Duration.ofSeconds(10), "node-a has cached the route", () -> a.routes().reports().wantsUpdatesFor(ADDRESS));
    Await.until(Duration.ofSeconds(10), "the route has stood long enough to be judged", () -> a.routes().settled(ADDRESS));
    assertEquals(1, a.routes().refresh().await());
    assertEquals(0, a.routes().mended(), "a right route is not counted as mended");
  }
}
