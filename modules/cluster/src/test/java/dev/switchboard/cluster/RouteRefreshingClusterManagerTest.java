package dev.switchboard.cluster;

import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.FreePorts;
import com.hazelcast.map.IMap;
import com.hazelcast.multimap.MultiMap;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Two clustered Vert.x nodes on loopback, built as Switchboard builds them. The event bus's cached route
 * to a consumer on the other node is made stale (it names only this node), as a lost or out-of-date
 * registration report leaves it; a refresh must make messages reach the consumer again.
 */
class RouteRefreshingClusterManagerTest {
  private static final String ADDRESS = "test.route";
  /** vertx-hazelcast's registry of consumers: address -> the registrations of every node. */
  private static final String SUBSCRIPTIONS = "__vertx.subs";

  private ClusteredVertx.Node a;
  private ClusteredVertx.Node b;
  private ClusteredVertx.Node c;
  private String clusterName;
  private List<String> members;

  @BeforeEach
  void cluster() {
    int[] ports = FreePorts.take(2);
    members = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]);
    String name = "routes-" + UUID.randomUUID().toString().substring(0, 8);
    a = ClusteredVertx.start(LoopbackSettings.of("node-a", name, ports[0], members), new VertxOptions()).await();
    b = ClusteredVertx.start(LoopbackSettings.of("node-b", name, ports[1], members), new VertxOptions()).await();
    clusterName = name;
    // node-b's joining brings a refresh on node-a a moment later: the tests below begin after it.
    Await.until(Duration.ofSeconds(10), "node-a's refresh after node-b joined", () -> a.routes().refreshes() >= 1);
  }

  @AfterEach
  void close() {
    for (ClusteredVertx.Node node : new ClusteredVertx.Node[] {c, b, a}) {
      if (node != null) {
        node.vertx().close().await();
      }
    }
  }

  /** vertx-hazelcast's registry of consumers, as node-a's Hazelcast sees it: address -> the registrations of every node. */
  private MultiMap<String, Object> registry() {
    return a.clusterManager().getHazelcastInstance().getMultiMap(SUBSCRIPTIONS);
  }

  /** What a member's clean-up of a node it dropped does to the registry (vertx-hazelcast's): the address's consumers go. */
  private static void loseRegistrations(MultiMap<String, Object> registry) {
    registry.get(ADDRESS).forEach(registration -> registry.remove(ADDRESS, registration));
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
  @DisplayName("a consumer of this node's that the cluster's registry lost (as in a merge after a partition) is registered"
      + " again by refresh(), and counted; one unregistered before is not")
  void refreshRegistersAgainWhatTheRegistryLost() {
    List<String> received = new CopyOnWriteArrayList<>();
    b.vertx().eventBus().<String>consumer(ADDRESS, msg -> received.add(msg.body())).completion().await();
    MessageConsumer<String> gone = b.vertx().eventBus().consumer(ADDRESS, msg -> received.add("unregistered got " + msg.body()));
    gone.completion().await();
    gone.unregister().await();
    a.vertx().eventBus().publish(ADDRESS, "before");
    Await.until(Duration.ofSeconds(10), "node-b receives what node-a publishes", () -> received.contains("before"));

    MultiMap<String, Object> registry = registry();
    loseRegistrations(registry);
    Await.until(Duration.ofSeconds(10), "node-a's event bus hears that nobody consumes the address (and drops it)",
        () -> a.routes().onRecord(ADDRESS).isEmpty() && !a.routes().reports().wantsUpdatesFor(ADDRESS));
    a.vertx().eventBus().publish(ADDRESS, "lost");

    assertEquals(1, b.routes().refresh().await(), "node-b's refresh reads the one address it consumes");
    assertEquals(1, b.routes().mended(), "the lost registration counted; registry: " + registry.get(ADDRESS));
    // node-a's event bus dropped the address when it had no consumers: its next publish reads the registry.
    a.vertx().eventBus().publish(ADDRESS, "after");
    Await.until(Duration.ofSeconds(10), "node-b receives what node-a publishes after the refresh", () -> received.contains("after"),
        () -> "node-b received " + received);

    assertEquals(List.of("before", "after"), received, "\"lost\" had no consumer on record; the unregistered consumer got nothing");
    assertEquals(1, registry.get(ADDRESS).size(), "the one live consumer is registered, not the unregistered one: " + registry.get(ADDRESS));
    assertEquals(1, b.routes().refresh().await(), "the next refresh reads the one address node-b consumes");
    assertEquals(1, b.routes().mended(), "a registration that is there is not registered again");
  }

  @Test
  @DisplayName("a change of members brings a refresh a moment later: a lost consumer is registered again without waiting for"
      + " the periodic one")
  void aChangeOfMembersBringsARefresh() {
    b.vertx().eventBus().<String>consumer(ADDRESS, msg -> { }).completion().await();
    MultiMap<String, Object> registry = registry();
    loseRegistrations(registry);
    long before = b.routes().refreshes();

    int port = FreePorts.take(1)[0];
    List<String> members = new ArrayList<>(this.members);
    members.add("127.0.0.1:" + port);
    c = ClusteredVertx.start(LoopbackSettings.of("node-c", clusterName, port, members), new VertxOptions()).await();
    Await.until(Duration.ofSeconds(10), "node-b's refresh registers its consumer again",
        () -> registry.get(ADDRESS).size() == 1 && b.routes().mended() == 1,
        () -> "registry: " + registry.get(ADDRESS) + ", node-b's refreshes since: " + (b.routes().refreshes() - before));
  }

  @Test
  @DisplayName("a registration of this node's that its event bus does not have (no handler behind it) is taken out once"
      + " refreshes have read it for 5 s, not at once")
  void refreshTakesOutARegistrationWithNoConsumer() {
    MessageConsumer<String> live = b.vertx().eventBus().consumer(ADDRESS, msg -> { });
    live.completion().await();
    // Past the event bus, as a registration whose removal failed, or a re-registration that lost a race, is left.
    RegistrationInfo ghost = new RegistrationInfo(b.routes().getNodeId(), 1_000_000, false);
    Promise<Void> added = Promise.promise();
    b.clusterManager().addRegistration(ADDRESS, ghost, added);
    added.future().await();
    MultiMap<String, Object> registry = registry();
    assertEquals(2, registry.get(ADDRESS).size(), "the live consumer and the ghost are registered");

    long firstRead = System.nanoTime();
    assertEquals(1, b.routes().refresh().await());
    assertEquals(1, b.routes().refresh().await());
    assertEquals(2, registry.get(ADDRESS).size(), "read just now, the ghost may be a removal on its way: kept");
    assertEquals(0, b.routes().mended());
    Await.until(Duration.ofSeconds(15), "a refresh takes the ghost out", () -> b.routes().refresh().await() == 1
        && registry.get(ADDRESS).size() == 1, () -> "registry: " + registry.get(ADDRESS));
    assertTrue(System.nanoTime() - firstRead >= RouteRefreshingClusterManager.GHOST_AFTER_NANOS, "taken out before it was"
        + " read for " + RouteRefreshingClusterManager.GHOST_AFTER_NANOS / 1_000_000 + " ms");
    assertEquals(1, b.routes().mended(), "the ghost counted");
    b.routes().refresh().await();
    assertEquals(1, registry.get(ADDRESS).size(), "the live consumer is still registered");
    assertEquals(1, b.routes().mended(), "nothing more to mend");
    live.unregister().await();
    assertEquals(0, registry.get(ADDRESS).size(), "what was kept was the live consumer's registration: " + registry.get(ADDRESS));
  }

  @Test
  @DisplayName("this node's entry in the cluster's registry of nodes, lost, is put back by refresh(): the others reach it again")
  void refreshPutsBackALostNodeEntry() {
    List<String> received = new CopyOnWriteArrayList<>();
    b.vertx().eventBus().<String>consumer(ADDRESS, msg -> {
      received.add(msg.body());
      msg.reply("pong " + msg.body());
    }).completion().await();
    // Lost as a merge loses it; node-a has not yet connected to node-b, so it must look node-b up.
    IMap<String, Object> nodes = a.clusterManager().getHazelcastInstance().getMap(RouteRefreshingClusterManager.NODE_REGISTRY);
    assertNotNull(nodes.remove(b.routes().getNodeId()), "node-b was in the registry of nodes");
    Throwable unreachable = assertThrows(Throwable.class,
        () -> a.vertx().eventBus().request(ADDRESS, "one", new DeliveryOptions().setSendTimeout(2_000)).await(),
        "node-b cannot be reached without its entry");

    assertEquals(1, b.routes().refresh().await(), "node-b's refresh reads the one address it consumes");
    assertEquals(1, b.routes().mended(), "the lost entry counted");
    assertNotNull(nodes.get(b.routes().getNodeId()), "node-b is in the registry of nodes again");
    assertEquals("pong two", a.vertx().eventBus().<String>request(ADDRESS, "two").await().body(),
        "node-a reaches node-b again (before the refresh: " + unreachable + ")");
    assertEquals(List.of("two"), received, "the first request never reached node-b");
    b.routes().refresh().await();
    assertEquals(1, b.routes().mended(), "an entry that is there is not put back");
  }

  @Test
  @DisplayName("one refresh at a time: a call while one runs gets the next, which every call until it starts shares")
  void refreshesRunOneAtATime() {
    // Fifty addresses, read one at a time: the first refresh is still running when the next calls come.
    for (int i = 0; i < 50; i++) {
      b.vertx().eventBus().<String>consumer(ADDRESS + "." + i, msg -> { }).completion().await();
    }
    long before = b.routes().refreshes();
    Future<Integer> running = b.routes().refresh();
    Future<Integer> next = b.routes().refresh();
    assertSame(next, b.routes().refresh(), "a third call shares the one queued");
    assertNotSame(running, next);
    assertEquals(50, next.await());
    assertTrue(running.isComplete(), "the queued refresh ran after the one under way");
    assertEquals(before + 2, b.routes().refreshes(), "two refreshes ran, not three");
  }

  @Test
  @DisplayName("refresh() reads what the event bus caches and what this node consumes, completes on a node that has neither,"
      + " and counts nothing when all is right, even just after a consumer registered")
  void refreshReadsCachedRoutesAndOwnConsumers() {
    assertEquals(0, b.routes().refresh().await(), "node-b has looked nothing up and consumes nothing");
    b.vertx().eventBus().<String>consumer(ADDRESS, msg -> { }).completion().await();
    assertEquals(1, b.routes().refresh().await(), "node-b consumes one address");
    assertEquals(0, b.routes().mended(), "a consumer just registered is not counted as lost");
    a.vertx().eventBus().publish(ADDRESS, "one");
    Await.until(Duration.ofSeconds(10), "node-a has cached the route", () -> a.routes().reports().wantsUpdatesFor(ADDRESS));
    Await.until(Duration.ofSeconds(10), "the route has stood long enough to be judged", () -> a.routes().settled(ADDRESS));
    assertEquals(1, a.routes().refresh().await());
    assertEquals(0, a.routes().mended(), "a right route is not counted as mended");
  }
}
