package dev.switchboard.server.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import dev.switchboard.cluster.Placement;
import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node frozen (SIGSTOP: a VM paused, a long GC pause) that runs nothing but keeps, as Hazelcast's primary copy, the
 * lease of a listener another node runs. Every call on that lease waits on the frozen node until Hazelcast removes
 * it ({@code maxSilence}); then the backup copy, on a live node, answers. The owner still hears a majority, and no
 * other node can take the lease sooner than it could before, so the owner must ride that out: its listener keeps
 * its connection and its epoch. The default timing, as an operator runs it.
 */
class FrozenBystanderIT {
  /** How long the frozen node stays frozen once the others have removed it. */
  private static final Duration REMOVED_FOR = Duration.ofSeconds(4);
  private static final List<String> NODES = List.of(ClusterProcesses.name(0), ClusterProcesses.name(1), ClusterProcesses.name(2));

  private Vertx vertx;
  private FeedSimulator upstream;
  private ClusterProcesses nodes;
  /** Asked where the cluster keeps a lease. */
  private HazelcastInstance lite;

  @BeforeEach
  void start() throws Exception {
    ClusterProcesses.requirePackaged();
    vertx = Vertx.vertx();
    upstream = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(20));
    vertx.deployVerticle(upstream).await();
    nodes = new ClusterProcesses(ClusterProcesses.workDir("bystander"));
  }

  @AfterEach
  void stop() {
    if (lite != null) {
      lite.getLifecycleService().terminate();
    }
    if (nodes != null) {
      nodes.close();
    }
    if (vertx != null) {
      vertx.close().await();
    }
  }

  @Test
  @DisplayName("a node frozen past maxSilence that keeps another node's lease fences no listener: the owner keeps its connection and"
      + " its epoch")
  void aFrozenNodeKeepingALeaseDoesNotStopItsOwner() throws Exception {
    for (int i = 0; i < 3; i++) {
      nodes.start(i);
    }
    Await.until(Duration.ofSeconds(60), "every node finds the cluster safe", () -> IntStream.range(0, 3).allMatch(nodes::safe));
    lite = nodes.liteMember();
    // A member that has just joined learns the partition table a moment later: until then no partition has an owner.
    Await.until(Duration.ofSeconds(30), "the lite member knows where every partition is kept",
        () -> lite.getPartitionService().getPartitions().stream().allMatch(p -> p.getOwner() != null));
    String listener = null;
    for (int n = 0; n < 100 && listener == null; n++) {
      String name = "feed-" + n;
      Member primary = lite.getPartitionService().getPartition(name).getOwner();
      if (primary != null && !Placement.first(name, NODES).equals(primary.getAttribute("switchboard.node"))) {
        listener = name;
      }
    }
    String name = Objects.requireNonNull(listener, "no listener name among 100 has its lease kept off the node that runs it");
    assertEquals(201, nodes.put(0, "/api/listeners/" + name, ClusterProcesses.feed(name, upstream.url())).statusCode());
    JsonObject before = Await.until(Duration.ofSeconds(90), "every node shows " + name + " connected by one owner, the cluster safe",
        () -> nodes.agreed(name, 0), Objects::nonNull, () -> clusterNow(name));
    int owner = ClusterProcesses.index(before.getString("owner"));
    int keeper = ClusterProcesses.index(lite.getPartitionService().getPartition(name).getOwner().getAttribute("switchboard.node"));
    assertFalse(owner == keeper, "the lease is kept off its owner");
    long connections = upstream.totalConnections();

    long frozen = System.nanoTime();
    nodes.signal(keeper, "STOP");
    try {
      // What must not happen has no condition to wait for: the owner's status is read every 200 ms from the freeze until
      // the frozen node has been out of the cluster for a while (every lease call that waited on it has had its answer).
      long removed = 0;
      while (removed == 0 || System.nanoTime() - removed < REMOVED_FOR.toNanos()) {
        JsonObject during = nodes.status(owner, name);
        assertNotNull(during, "the owner did not answer " + (System.nanoTime() - frozen) / 1_000_000 + " ms into the freeze");
        assertEquals("CONNECTED", during.getString("state"), "the owner stopped its listener "
            + (System.nanoTime() - frozen) / 1_000_000 + " ms into the freeze: " + during.encode() + nodes.tail(owner));
        assertEquals(before.getLong("epoch"), during.getLong("epoch"), during.encode());
        JsonObject facts = nodes.cluster(owner);
        if (removed == 0 && facts != null && !facts.getJsonArray("nodes").contains(ClusterProcesses.name(keeper))) {
          removed = System.nanoTime();
        }
        assertFalse(removed == 0 && System.nanoTime() - frozen > Duration.ofSeconds(30).toNanos(),
            ClusterProcesses.name(keeper) + " still a member 30 s into its freeze: " + clusterNow(name));
        LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
      }
    } finally {
      nodes.signal(keeper, "CONT");
    }
    Await.until(Duration.ofSeconds(90), "the cluster agrees again, the woken node back", () -> nodes.agreed(name, 0) != null
        && IntStream.range(0, 3).allMatch(nodes::safe), () -> clusterNow(name));
    JsonObject after = nodes.agreed(name, 0);
    assertEquals(before.getLong("epoch"), after.getLong("epoch"), "never taken over: " + after.encode());
    assertEquals(connections, upstream.totalConnections(), "the owner's connection was never closed");
    String log = nodes.log(owner, "");
    String lease = "[" + name + "] lease (epoch " + before.getLong("epoch") + ") ";
    assertFalse(log.contains(lease + "not renewed") || log.contains(lease + "held while no majority"), "the owner fenced itself:"
        + nodes.tail(owner));
    for (int i = 0; i < 3; i++) {
      // Hazelcast's line for each answer to a call given up on: hundreds after one freeze, none of them news.
      assertFalse(nodes.log(i, "").contains("No Invocation found"), ClusterProcesses.name(i) + " logged late answers");
    }
    // The case was met: the owner's renewals waited on the frozen node (and says so), and came in time.
    assertTrue(log.contains(lease + "renewed "), "no late renewal logged: the renewals never waited on the frozen node?"
        + nodes.tail(owner));
  }

  private String clusterNow(String listener) {
    return "what each node says:" + nodes.picture(listener) + nodes.timeline(40) + "\nupstream connections: " + upstream.concurrentConnections();
  }
}
