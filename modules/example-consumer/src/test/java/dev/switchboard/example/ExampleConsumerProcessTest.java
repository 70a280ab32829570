package dev.switchboard.example;

import dev.switchboard.simulators.FreePorts;
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
    // The upstream drops the connection: the listener reconnects and says, in its gap envelope, what it may have missed.
    upstream.dropAll().await();
    Await.until(WAIT, "the consumer told of the gap", () -> output.stream().anyMatch(l -> l.contains("were not received: reconnected")));
    assertTrue(consumer.isAlive(), String.join("\n", output));
    for (Switchboard node : nodes) {
      assertEquals(List.of("node-a", "node-b", "node-c"), node.cluster().orElseThrow().facts().nodes(), "a lite member is no Switchboard node");
    }
  }

  @Test
  void sendEveryTakesItsUnitsAndRefusesTheRest() {
    assertEquals(java.time.Duration.ofMillis(250), ExampleConsumer.duration("250ms"));
    assertEquals(java.time.Duration.ofSeconds(5), ExampleConsumer.duration("5s"));
    assertEquals(java.time.Duration.ofMinutes(5), ExampleConsumer.duration("5m"));
    assertEquals(java.time.Duration.ofHours(1), ExampleConsumer.duration("1h"));
    for (String wrong : List.of("0s", "1500", "-5s", "5 mins", "")) {
      assertThrows(IllegalArgumentException.class, () -> ExampleConsumer.duration(wrong), wrong);
    }
  }

  private Process startConsumer(String cluster, List<String> members, int port, List<String> output) throws IOException {
    Path module = Path.of("").toAbsolutePath();
    String classpath = module.resolve("target/classes") + java.io.File.pathSeparator
        + Files.readString(module.resolve("target/runtime-classpath.txt")).trim();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(java, "-cp", classpath, ExampleConsumer.class.getName(),
        "--cluster", cluster, "--members", String.join(",", members), "--host", "127.0.0.1", "--port", Integer.toString(port),
        "--listener", FEED, "--send-every", "200ms")
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
            .put("maxSilence", "2s"));
  }
}
