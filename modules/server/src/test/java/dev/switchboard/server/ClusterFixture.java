package dev.switchboard.server;

import dev.switchboard.simulators.FreePorts;
import dev.switchboard.core.ControlPlane;
import dev.switchboard.core.ListenerStatus;
import dev.switchboard.core.testing.Await;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Switchboard nodes clustered over loopback in this JVM, as the cluster tests run them: a cluster name
 * of their own, free ports, fast heartbeats, and the default renewDeadline (a shorter one
 * does not ride out the seconds a member's loss can stall the maps on a loaded machine). A clean stop
 * hands listeners over at once; these tests never wait for a lease to expire. Node {@code i} is named {@code node-<letter>}
 * and keeps its data dir across a restart.
 */
final class ClusterFixture implements AutoCloseable {
  final String clusterName = "test-" + UUID.randomUUID().toString().substring(0, 8);
  private final Path dir;
  private final List<JsonObject> listeners;
  private final int[] ports;
  private final Switchboard[] nodes;
  /** Nodes whose Hazelcast member was terminated: they cannot leave in order, their Vert.x is closed as it is. */
  private final boolean[] cut;

  ClusterFixture(Path dir, int size, JsonObject... listeners) {
    this.dir = dir;
    this.listeners = List.of(listeners);
    this.ports = FreePorts.take(size);
    this.nodes = new Switchboard[size];
    this.cut = new boolean[size];
  }

  /** Starts every node, one after another (in parallel they take far longer to join). */
  ClusterFixture startAll() {
    for (int i = 0; i < nodes.length; i++) {
      start(i);
    }
    return this;
  }

  Switchboard start(int i) {
    nodes[i] = ServerFixture.start(config(i));
    return nodes[i];
  }

  static String name(int i) {
    return "node-" + (char) ('a' + i);
  }

  /** The members' Hazelcast addresses, as every node lists them. */
  List<String> members() {
    return Arrays.stream(ports).mapToObj(p -> "127.0.0.1:" + p).toList();
  }

  JsonObject config(int i) {
    return ServerFixture.config(dir.resolve(name(i)), listeners.toArray(JsonObject[]::new))
        .put("cluster", new JsonObject()
            .put("enabled", true)
            .put("node", name(i))
            .put("name", clusterName)
            .put("port", ports[i])
            .put("members", new JsonArray(members()))
            .put("heartbeat", "1s")
            .put("maxSilence", "2s")
            .put("lease", new JsonObject().put("renewInterval", "250ms").put("renewDeadline", "4s").put("duration", "8s")));
  }

  Switchboard node(int i) {
    return nodes[i];
  }

  /** Any running node. */
  Switchboard any() {
    return Arrays.stream(nodes).filter(n -> n != null).findFirst().orElseThrow();
  }

  int indexOf(String nodeName) {
    for (int i = 0; i < nodes.length; i++) {
      if (name(i).equals(nodeName)) {
        return i;
      }
    }
    throw new IllegalArgumentException(nodeName);
  }

  /** The running nodes that are not {@code nodeName}. */
  List<Integer> others(String nodeName) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < nodes.length; i++) {
      if (nodes[i] != null && !name(i).equals(nodeName)) {
        out.add(i);
      }
    }
    return out;
  }

  /** A clean stop: the node hands its listeners over as it leaves. */
  void stop(int i) {
    nodes[i].stop().await();
    nodes[i] = null;
  }

  /**
   * The node is gone for the others at once, as after a crash: its Hazelcast member is terminated
   * without a word (its sockets close, so the others notice within a heartbeat). Its Vert.x and its
   * HTTP server keep running, cut off, until {@link #close()}. It happens in a settled cluster: not
   * while partitions still migrate after the last join, when losing a member is a double fault (in a
   * stressed run the owner's lease renewals stalled past their deadline, and it fenced itself).
   */
  void cutOff(int i) {
    Await.until(Duration.ofSeconds(30), "the cluster is safe before node " + i + " is cut off", () -> IntStream.range(0, nodes.length)
        .filter(j -> nodes[j] != null && !cut[j])
        .allMatch(j -> nodes[j].clusterManager().getHazelcastInstance().getPartitionService().isClusterSafe()));
    nodes[i].clusterManager().getHazelcastInstance().getLifecycleService().terminate();
    cut[i] = true;
  }

  /** The listener's status as {@code node} shows it; UNASSIGNED while it has none. */
  static ListenerStatus status(Switchboard node, String listener) {
    ControlPlane control = node.control();
    try {
      return control.status(listener).await().listener();
    } catch (RuntimeException e) {
      return ListenerStatus.fromJson(new JsonObject().put("name", listener).put("state", "UNASSIGNED"));
    }
  }

  @Override
  public void close() {
    for (int i = 0; i < nodes.length; i++) {
      if (nodes[i] == null) {
        continue;
      }
      try {
        (cut[i] ? nodes[i].vertx().close() : nodes[i].stop()).await(15, TimeUnit.SECONDS);
      } catch (Exception e) {
        // a cut-off node's Vert.x cannot leave a cluster its Hazelcast has already left: said, and closed anyway
      }
    }
  }
}
