package dev.switchboard.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.partition.Partition;
import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.FreePorts;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A listed member whose port accepts connections but never answers, as a frozen (SIGSTOPped) node's
 * does: the kernel completes the handshake, the process never reads. Hazelcast's default network, on
 * such a connection, re-queues its write task for ever, so its I/O thread never serves the other
 * connections it carries (Hazelcast issue #26473). With one output thread per member that stall is
 * certain.
 */
class SilentPeerTest {
  private final List<ClusteredVertx.Node> nodes = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    System.clearProperty("hazelcast.io.output.thread.count");
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).vertx().close().await();
    }
  }

  @Test
  @DisplayName("a listed member that accepts connections and never answers (a frozen node) costs no I/O thread:"
      + " the output threads stay idle and the other members still talk through them")
  void silentPeerCostsNoIoThread() throws Exception {
    // One output thread per member: a connection that keeps its thread busy starves every other one.
    System.setProperty("hazelcast.io.output.thread.count", "1");
    int[] ports = FreePorts.take(3);
    List<String> members = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1], "127.0.0.1:" + ports[2]);
    String name = "silent-" + UUID.randomUUID().toString().substring(0, 8);
    ClusteredVertx.Node a = start("node-a", name, ports[0], members);
    ClusteredVertx.Node b = start("node-b", name, ports[1], members);
    HazelcastInstance hzA = a.clusterManager().getHazelcastInstance();
    HazelcastInstance hzB = b.clusterManager().getHazelcastInstance();
    Await.until(Duration.ofSeconds(20), "node-a and node-b form one cluster", () -> hzA.getCluster().getMembers().size() == 2);

    // The third listed member appears, frozen; the two look for it to merge with and connect.
    try (SilentPeer silent = new SilentPeer(ports[2])) {
      Await.until(Duration.ofSeconds(30), "a member connected to the silent one", () -> silent.accepted() > 0);

      long cpuMs = outputThreadCpuMs(Duration.ofSeconds(2), "switchboard-node-a-", "switchboard-node-b-");
      assertTrue(cpuMs < 500, "the output threads used " + cpuMs + " ms of CPU in 2 s with " + silent.accepted()
          + " connection(s) to the silent member open: one spins on it");

      // Each write goes out on its member's one output thread, the one that serves the silent member's connection.
      putThrough(hzA, hzB);
      putThrough(hzB, hzA);
    }
  }

  private static void putThrough(HazelcastInstance from, HazelcastInstance to) throws Exception {
    UUID owner = to.getCluster().getLocalMember().getUuid();
    String key = Await.until(Duration.ofSeconds(10), from.getName() + " has a key that " + to.getName() + " owns",
        () -> keyOwnedBy(from, owner), Objects::nonNull);
    IMap<String, String> map = from.getMap("silent-peer-test");
    map.putAsync(key, from.getName()).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(from.getName(), to.<String, String>getMap("silent-peer-test").get(key));
  }

  private ClusteredVertx.Node start(String node, String name, int port, List<String> members) {
    ClusteredVertx.Node started = ClusteredVertx.start(LoopbackSettings.of(node, name, port, members), new VertxOptions()).await();
    nodes.add(started);
    return started;
  }

  /** A key whose partition {@code owner} owns, or null while the partition table is not settled. */
  private static String keyOwnedBy(HazelcastInstance hz, UUID owner) {
    for (int i = 0; i < 1000; i++) {
      String key = "key-" + i;
      Partition partition = hz.getPartitionService().getPartition(key);
      if (partition.getOwner() != null && partition.getOwner().getUuid().equals(owner)) {
        return key;
      }
    }
    return null;
  }

  /** CPU time the named instances' Hazelcast output threads use over {@code window}. */
  private static long outputThreadCpuMs(Duration window, String... instances) throws InterruptedException {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    assertTrue(threads.isThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled(), "this JVM measures no thread's CPU time");
    Map<Long, Long> before = outputThreadCpuNs(threads, instances);
    // One output thread per instance: a measurement of fewer threads (renamed, say) would prove nothing.
    assertEquals(instances.length, before.size(), "the instances' output threads, by name: " + before.keySet());
    Thread.sleep(window.toMillis()); // the measurement is CPU over a window: nothing to wait for
    Map<Long, Long> after = outputThreadCpuNs(threads, instances);
    return before.entrySet().stream().mapToLong(e -> after.getOrDefault(e.getKey(), e.getValue()) - e.getValue()).sum() / 1_000_000;
  }

  /** CPU time so far of each of the named instances' output threads, by thread id. */
  private static Map<Long, Long> outputThreadCpuNs(ThreadMXBean threads, String... instances) {
    Map<Long, Long> cpu = new HashMap<>();
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null && info.getThreadName().contains("IO.thread-out")
          && Arrays.stream(instances).anyMatch(info.getThreadName()::contains)) {
        cpu.put(info.getThreadId(), threads.getThreadCpuTime(info.getThreadId()));
      }
    }
    return cpu;
  }

  /**
   * Accepts every connection and never reads from or writes to it: what a peer sees of a stopped
   * process, whose kernel completes the handshake (up to its backlog) and takes the first bytes.
   */
  private static final class SilentPeer implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private final Thread acceptor = new Thread(this::acceptAll, "silent-peer");

    SilentPeer(int port) throws IOException {
      server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int accepted() {
      return held.size();
    }

    private void acceptAll() {
      try {
        while (true) {
          held.add(server.accept());
        }
      } catch (IOException closed) {
        // closed by close()
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket socket : held) {
        socket.close();
      }
    }
  }
}
