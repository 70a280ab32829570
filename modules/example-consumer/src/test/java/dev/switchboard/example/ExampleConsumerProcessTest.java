package dev.switchboard.example;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.switchboard.simulators.FreePorts;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.ListenerStatus;
import dev.switchboard.core.testing.Await;
import dev.switchboard.server.Switchboard;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The example application as a user runs it: a process of its own ({@code java -cp} with this module's
 * classpath) that joins a three-node Switchboard cluster (here, in the test's JVM) as a lite member,
 * receives a feed's messages and sends to the feed's upstream, while the nodes' majority is theirs alone.
 */
class ExampleConsumerProcessTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String FEED = "feed";
  private static final Duration MAX_SILENCE = Duration.ofSeconds(2);
  /** What docs/cluster.md tells users to run the example with: Hazelcast's access to the JDK's internals. */
  private static final List<String> HAZELCAST_JVM_FLAGS = List.of("--add-modules", "java.se",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  @TempDir
  Path dir;
  private final List<Switchboard> nodes = new ArrayList<>();
  private Vertx simulators;
  private Process consumer;

  @AfterEach
  void tearDown() throws Exception {
    if (consumer != null) {
      consumer.destroy(); // SIGTERM: it leaves the cluster in order
      if (!consumer.waitFor(20, TimeUnit.SECONDS)) {
        consumer.destroyForcibly();
      }
    }
    for (Switchboard node : nodes) {
      node.stop().await(20, TimeUnit.SECONDS);
    }
    if (simulators != null) {
      simulators.close().await();
    }
  }

  @Test
  void aProcessOfItsOwnConsumesAFeedAndSendsToItsUpstream() throws Exception {
    simulators = Vertx.vertx();
    FeedSimulator upstream = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(20));
    simulators.deployVerticle(upstream).await();
    String cluster = "example-" + UUID.randomUUID().toString().substring(0, 8);
    int[] ports = FreePorts.take(4);
    List<String> members = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1], "127.0.0.1:" + ports[2]);
    for (int i = 0; i < 3; i++) {
      nodes.add(Switchboard.start(new ConfigLoader(Map.of("TEST_TOKEN", "example-test-control-token")).parse(nodeConfig(i, cluster, ports[i], members, upstream.url()))).await());
    }

    List<String> output = new CopyOnWriteArrayList<>();
    consumer = startConsumer(cluster, members, ports[3], output);

    Await.until(WAIT, "the example consumer received the feed's messages",
        () -> output.stream().filter(l -> l.contains("received upstream." + FEED + ".message seq=")).count() >= 5);
    Await.until(WAIT, "what it sent reached the upstream",
        () -> upstream.received().stream().anyMatch(m -> m.contains("\"from\":\"example-consumer\"")));
    Await.until(WAIT, "its send was answered", () -> output.stream().anyMatch(l -> l.contains("{\"sent\":true}")));
    // A lite member, and one the nodes keep: its heartbeats come as often as theirs, or they drop it after maxSilence.
    Set<HazelcastInstance> hazelcasts = Hazelcast.getAllHazelcastInstances(); // the three nodes': the example runs in its own JVM
    assertEquals(3, hazelcasts.size());
    long until = System.nanoTime() + MAX_SILENCE.multipliedBy(3).toNanos();
    while (System.nanoTime() < until) {
      for (HazelcastInstance h : hazelcasts) {
        Set<Member> seen = h.getCluster().getMembers();
        assertEquals(4, seen.size(), "the example is still a member of the cluster: " + seen + "\n" + String.join("\n", output));
        assertEquals(1, seen.stream().filter(Member::isLiteMember).count(), "the example joined as a lite member: " + seen);
      }
      Thread.sleep(100);
    }
    // The upstream drops the connection: the listener reconnects and says, in its gap envelope, what it may have missed.
    upstream.dropAll().await();
    Await.until(WAIT, "the consumer told of the gap", () -> output.stream().anyMatch(l -> l.contains("were not received: reconnected")));
    for (Switchboard node : nodes) {
      assertEquals(List.of("node-a", "node-b", "node-c"), node.cluster().orElseThrow().facts().nodes(), "a lite member is no Switchboard node");
    }

    // The owner stops: the next owner's gap reaches the consumer, then its messages, under its epoch.
    ListenerStatus first = connectedAbove(nodes.get(0), 0);
    Switchboard owner = nodes.stream().filter(n -> n.cluster().orElseThrow().facts().node().equals(first.owner())).findFirst().orElseThrow();
    owner.stop().await(20, TimeUnit.SECONDS);
    nodes.remove(owner);
    long next = connectedAbove(nodes.get(0), first.epoch()).epoch();
    Await.until(WAIT, "the consumer told of the new owner's gap",
        () -> output.stream().anyMatch(l -> l.contains("were not received: this node took the listener over")));
    Await.until(WAIT, "the consumer receives the new owner's messages",
        () -> output.stream().filter(l -> l.contains("received upstream." + FEED + ".message") && l.contains("epoch=" + next + " ")).count() >= 5);
    assertTrue(consumer.isAlive(), String.join("\n", output));
    assertTrue(output.stream().noneMatch(l -> l.contains("without proper access to required Java packages")),
        "run with the flags docs/cluster.md gives, Hazelcast has what it needs");
    assertTrue(output.stream().noneMatch(l -> l.contains("missed envelopes")), "nothing missed between reconnects and owners:\n"
        + String.join("\n", output));
  }

  private static ListenerStatus connectedAbove(Switchboard node, long epoch) {
    return Await.until(WAIT, FEED + " connected with an epoch above " + epoch, () -> {
      try {
        return node.control().status(FEED).await(5, TimeUnit.SECONDS).listener();
      } catch (Exception e) {
        return null;
      }
    }, s -> s != null && s.state() == ListenerState.CONNECTED && s.owner() != null && s.epoch() > epoch);
  }

  @Test
  void sendEveryTakesItsUnitsAndRefusesTheRest() {
    assertEquals(Duration.ofMillis(250), ExampleConsumer.duration("send-every", "250ms"));
    assertEquals(Duration.ofSeconds(5), ExampleConsumer.duration("send-every", "5s"));
    assertEquals(Duration.ofMinutes(5), ExampleConsumer.duration("send-every", "5m"));
    assertEquals(Duration.ofHours(1), ExampleConsumer.duration("send-every", "1h"));
    for (String wrong : List.of("0s", "1500", "-5s", "5 mins", "")) {
      assertThrows(IllegalArgumentException.class, () -> ExampleConsumer.duration("send-every", wrong), wrong);
    }
  }

  @Test
  void theCommandLineIsCheckedWithTheReason() {
    List<String> required = List.of("--cluster", "c", "--members", "127.0.0.1:5701", "--host", "127.0.0.1", "--port", "5711",
        "--listener", "feed");
    ExampleConsumer.Options defaults = ExampleConsumer.parse(required.toArray(String[]::new));
    assertEquals(Duration.ofSeconds(5), defaults.sendEvery());
    assertEquals(Duration.ofSeconds(1), defaults.heartbeat(), "the nodes' default cluster.heartbeat");
    assertEquals(Duration.ofSeconds(5), defaults.maxSilence(), "the nodes' default cluster.maxSilence");
    Map<List<String>, String> wrong = Map.of(
        List.of("--send_every", "1s"), "unknown option --send_every",
        List.of("--port", "70000"), "--port must be a number from 1 to 65535, not '70000'",
        List.of("--heartbeat", "1500ms"), "--heartbeat must be whole seconds (1s, 5s), not 1500 ms",
        List.of("--heartbeat", "3s"), "--max-silence must be at least twice --heartbeat, as the nodes' cluster settings are");
    wrong.forEach((extra, reason) -> {
      List<String> args = new ArrayList<>(required);
      args.addAll(extra);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExampleConsumer.parse(args.toArray(String[]::new)));
      assertEquals(reason, e.getMessage());
    });
    assertEquals("--listener is required", assertThrows(IllegalArgumentException.class,
        () -> ExampleConsumer.parse(required.subList(0, 8).toArray(String[]::new))).getMessage());
  }

  private Process startConsumer(String cluster, List<String> members, int port, List<String> output) throws IOException {
    Path module = Path.of("").toAbsolutePath();
    String classpath = module.resolve("target/classes") + java.io.File.pathSeparator
        + Files.readString(module.resolve("target/runtime-classpath.txt")).trim();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java));
    command.addAll(HAZELCAST_JVM_FLAGS);
    command.addAll(List.of("-cp", classpath, ExampleConsumer.class.getName(),
        "--cluster", cluster, "--members", String.join(",", members), "--host", "127.0.0.1", "--port", Integer.toString(port),
        "--listener", FEED, "--send-every", "200ms", "--heartbeat", "1s", "--max-silence", MAX_SILENCE.toSeconds() + "s"));
    Process process = new ProcessBuilder(command)
        .redirectErrorStream(true).start();
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        lines.lines().forEach(output::add);
      } catch (IOException e) {
        output.add("(output ended: " + e + ")");
      }
    }, "example-consumer-output");
    reader.setDaemon(true);
    reader.start();
    return process;
  }

  private JsonObject nodeConfig(int i, String cluster, int port, List<String> members, String feedUrl) {
    JsonObject feed = new JsonObject().put("name", FEED).put("type", "upstream").put("autoStart", true).put("url", feedUrl)
        .put("restart", new JsonObject().put("initialDelay", "20ms").put("maxDelay", "200ms"));
    return new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("controlToken", "${TEST_TOKEN}"))
        .put("dataDir", dir.resolve("node" + i).toString())
        .put("statusInterval", "50ms")
        .put("listeners", new JsonArray().add(feed))
        .put("cluster", new JsonObject()
            .put("enabled", true)
            .put("node", "node-" + (char) ('a' + i))
            .put("name", cluster)
            .put("port", port)
            .put("members", new JsonArray(members))
            .put("heartbeat", "1s")
            .put("maxSilence", MAX_SILENCE.toSeconds() + "s"));
  }
}
