package dev.switchboard.server.cluster;

import dev.switchboard.core.testing.Await;
import dev.switchboard.server.BridgeClient;
import dev.switchboard.simulators.alpaca.AlpacaSimulator;
import dev.switchboard.simulators.alpaca.AlpacaSimulatorOptions;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real faults on a three-node cluster of real processes (the packaged launcher and fat jar), with the
 * default lease timing (renew every 1 s, fence after 8 s, take over after 12 s unchanged; heartbeat 1 s,
 * a silent member removed after 5 s). The upstream is the project's feed simulator, in this JVM: its
 * concurrent-connection counter is the proof that two nodes never held the upstream at once.
 * <p>
 * The tests share one cluster to keep node starts (4-8 s each on two cores) few: each begins by
 * starting whatever node is missing and waiting until all three agree on one connected owner, so each
 * also checks that a node joining moves nothing twice.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFailoverIT {
  /** The default lease duration: a frozen owner's lease is taken no sooner. */
  private static final Duration LEASE = Duration.ofSeconds(12);
  /** The owner renews this often (the default), so its last renewal came up to this long before a pause. */
  private static final Duration RENEW_INTERVAL = Duration.ofSeconds(1);
  /**
   * The longest a kill -9 may cost: a taker first reads the owner's last renewal up to one renew interval after the
   * kill and claims once it has seen it unchanged for a whole lease, then deploys, connects and publishes the status:
   * 3 s for that on a loaded machine with two cores (measured: 0.5-1 s on an idle one).
   */
  private static final Duration KILL_NINE_TAKEOVER = LEASE.plus(RENEW_INTERVAL).plusSeconds(3);

  private Vertx vertx;
  private FeedSimulator upstream;
  private ClusterProcesses nodes;

  @BeforeAll
  void startUpstream() throws Exception {
    ClusterProcesses.requirePackaged();
    vertx = Vertx.vertx();
    // 20 numbered messages a second: enough to see a lost or doubled one at a consumer, little CPU.
    upstream = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(20));
    vertx.deployVerticle(upstream).await();
    nodes = new ClusterProcesses(ClusterProcesses.workDir("failover"), ClusterProcesses.feed("feed", upstream.url()));
  }

  @AfterAll
  void stopAll() {
    if (nodes != null) {
      nodes.close();
    }
    if (vertx != null) {
      vertx.close().await();
    }
  }

  /**
   * Starts the nodes that are not running, one at a time, then waits until every node is ready and shows
   * the feed CONNECTED by the same owner and epoch. The upstream never sees two connections meanwhile.
   */
  private JsonObject allUp() throws Exception {
    upstream.resetMaxConcurrent();
    for (int i = 0; i < 3; i++) {
      if (!nodes.running(i)) {
        nodes.start(i);
      }
    }
    // Settled as an operator waits before the next step of a rolling restart: a node lost while the partitions
    // still move to one that has just (re)joined costs the cluster far more than a lease (docs/cluster.md).
    JsonObject agreed = Await.until(Duration.ofSeconds(60), "every node ready and safe, showing the feed connected by one owner",
        () -> nodes.agreed("feed", 0), Objects::nonNull, this::clusterNow);
    assertEquals(1, upstream.concurrentConnections(), "one connection to the upstream");
    assertEquals(1, upstream.maxConcurrentConnections(), "the upstream never saw two connections while nodes joined");
    return agreed;
  }

  /** What a failed wait quotes: each node's view of the feed and the cluster, then the cluster's story from the logs. */
  private String clusterNow() {
    return "what each node says:" + nodes.picture("feed") + nodes.timeline(40);
  }

  /** The line in which node {@code i} says it took the feed over from {@code epoch}. */
  private String takeoverLine(int i, long epoch) {
    String marker = "[feed] took over from ";
    String epochs = "(epoch " + epoch + " -> ";
    return nodes.log(i, "").lines().filter(l -> l.contains(marker) && l.contains(epochs)).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("node " + ClusterProcesses.name(i) + " never logged taking over from epoch " + epoch));
  }

  private static int owner(JsonObject status) {
    return ClusterProcesses.index(status.getString("owner"));
  }

  @Test
  @Order(1)
  @DisplayName("kill -9 of the owner: another node is CONNECTED to the upstream within a lease, a renew interval and 3 s (16 s); never two connections")
  void killNine() throws Exception {
    JsonObject before = allUp();
    int owner = owner(before);
    int watcher = (owner + 1) % 3;
    upstream.resetMaxConcurrent();

    long killed = System.nanoTime();
    nodes.kill(owner);
    JsonObject after = Await.until(Duration.ofSeconds(40), "another node connected after kill -9 of " + before.getString("owner"),
        () -> nodes.connected(watcher, "feed", before.getLong("epoch")), Objects::nonNull, this::clusterNow);
    long ms = (System.nanoTime() - killed) / 1_000_000;

    assertNotEquals(before.getString("owner"), after.getString("owner"));
    assertEquals(before.getLong("epoch") + 1, after.getLong("epoch"), "one takeover, one epoch");
    assertTrue(ms <= KILL_NINE_TAKEOVER.toMillis(), () -> "connected through " + after.getString("owner") + " " + ms
        + " ms after kill -9 (at most " + KILL_NINE_TAKEOVER.toMillis() + " ms); " + clusterNow());
    assertEquals(1, upstream.concurrentConnections());
    assertEquals(1, upstream.maxConcurrentConnections(), "the upstream saw two connections at once");
    System.out.printf("kill -9 -> connected on %s: %d ms%n", after.getString("owner"), ms);
  }

  @Test
  @Order(2)
  @DisplayName("SIGTERM of the owner: it releases its lease, another node is connected within 2 s, it exits 0; never two connections")
  void sigterm() throws Exception {
    JsonObject before = allUp();
    int owner = owner(before);
    int watcher = (owner + 1) % 3;
    upstream.resetMaxConcurrent();

    long termed = System.nanoTime();
    nodes.signal(owner, "TERM");
    JsonObject after = Await.until(Duration.ofSeconds(30), "another node connected after SIGTERM of " + before.getString("owner"),
        () -> nodes.connected(watcher, "feed", before.getLong("epoch")), Objects::nonNull, this::clusterNow);
    long ms = (System.nanoTime() - termed) / 1_000_000;
    // Waited for before any assertion: one that failed would leave the node still stopping, and the next test's
    // allUp() would take it for a running one.
    int exit = nodes.stop(owner);

    assertNotEquals(before.getString("owner"), after.getString("owner"));
    assertTrue(ms <= 2_000, "connected through " + after.getString("owner") + " " + ms + " ms after SIGTERM (at most 2 s)");
    assertEquals(0, exit, "a clean stop" + nodes.tail(owner));
    assertEquals(1, upstream.concurrentConnections());
    assertEquals(1, upstream.maxConcurrentConnections(), "the upstream saw two connections at once");
    System.out.printf("SIGTERM -> connected on %s: %d ms%n", after.getString("owner"), ms);
  }

  @Test
  @Order(3)
  @DisplayName("SIGSTOP of the owner past the lease: another node takes over; on SIGCONT the old owner stops at once, and nothing "
      + "it publishes under its old epoch reaches a consumer on another node")
  void sigstopPastTheLease() throws Exception {
    JsonObject before = allUp();
    int owner = owner(before);
    long epoch = before.getLong("epoch");
    List<Integer> others = List.of((owner + 1) % 3, (owner + 2) % 3);
    try (Subscriber first = new Subscriber(vertx, nodes.httpPort(others.get(0)), "feed");
         Subscriber second = new Subscriber(vertx, nodes.httpPort(others.get(1)), "feed")) {
      Await.until(Duration.ofSeconds(20), "both consumers receive the feed", () -> first.countFrom(epoch) >= 10 && second.countFrom(epoch) >= 10,
          () -> "consumers: " + first.summary() + "; " + second.summary() + "; " + clusterNow());

      long stopped = System.nanoTime();
      nodes.signal(owner, "STOP");
      // The two others split right after removing the frozen one, one run in three, while Hazelcast's default network
      // spun an I/O thread on their new connections to it (docs/cluster.md, Limits; SilentPeerTest). Should a split
      // come back, the threads and sockets of that moment are kept, the threads in the failure message too.
      CompletableFuture<String> threads = CompletableFuture.supplyAsync(
          () -> others.stream().map(i -> nodes.hazelcastThreads(i, "8s-into-the-pause")).collect(Collectors.joining()),
          CompletableFuture.delayedExecutor(8, TimeUnit.SECONDS));
      try {
        JsonObject after = Await.until(Duration.ofSeconds(60), "another node connected while " + before.getString("owner") + " is frozen",
            () -> nodes.connected(others.get(0), "feed", epoch), Objects::nonNull, () -> clusterNow() + threads.getNow(""));
        long takeoverMs = (System.nanoTime() - stopped) / 1_000_000;
        long newEpoch = after.getLong("epoch");
        // What must hold: the taker saw the owner's last renewal unchanged for a whole lease before its claim (its log
        // says for how long). The pause is no more than a check of it: the last renewal came a renew interval before the
        // pause, more on a loaded machine (two allowed here).
        String claimed = takeoverLine(ClusterProcesses.index(after.getString("owner")), epoch);
        java.util.regex.Matcher unrenewed = java.util.regex.Pattern.compile("unrenewed for (\\d+) ms").matcher(claimed);
        assertTrue(unrenewed.find() && Long.parseLong(unrenewed.group(1)) >= LEASE.toMillis(), "claimed before the lease ("
            + LEASE.toMillis() + " ms) had run out: " + claimed);
        long earliest = LEASE.minus(RENEW_INTERVAL.multipliedBy(2)).toMillis();
        assertTrue(takeoverMs >= earliest, "taken over " + takeoverMs + " ms into the pause: before the lease ("
            + LEASE.toMillis() + " ms from the last renewal, at most " + RENEW_INTERVAL.multipliedBy(2).toMillis()
            + " ms before the pause) had run out");
        // The frozen process's socket is still open, so the upstream now sees two: the limit docs/cluster.md states.
        // What must hold: the new owner's data flows, and the old owner's never reaches a consumer again.
        Await.until(Duration.ofSeconds(20), "the new owner's messages (epoch " + newEpoch + ", owner " + after.getString("owner")
                + ") reach both consumers", () -> first.countFrom(newEpoch) >= 20 && second.countFrom(newEpoch) >= 20,
            () -> "consumer on " + ClusterProcesses.name(others.get(0)) + ": " + first.summary() + "; consumer on "
                + ClusterProcesses.name(others.get(1)) + ": " + second.summary() + "; " + clusterNow());
        int during = upstream.concurrentConnections();
        // A listener defined while the old owner is frozen: it hears of it no other way than by reading the records.
        assertEquals(201, nodes.put(others.get(0), "/api/listeners/late", ClusterProcesses.feed("late", upstream.url())
            .put("autoStart", false)).statusCode());

        long resumed = System.nanoTime();
        nodes.signal(owner, "CONT");
        Await.until(Duration.ofSeconds(20), "the woken node closed its connection", () -> upstream.concurrentConnections() == 1);
        long closedMs = (System.nanoTime() - resumed) / 1_000_000;
        upstream.resetMaxConcurrent();
        // Messages the old owner had buffered while frozen, and whatever it read after waking, had their chance to arrive.
        long seen = first.countFrom(newEpoch);
        Await.until(Duration.ofSeconds(20), "more of the new owner's messages", () -> first.countFrom(newEpoch) >= seen + 40,
            () -> "consumer: " + first.summary() + "; " + clusterNow());

        assertEquals(List.of(), first.violations(), "consumer on " + ClusterProcesses.name(others.get(0)));
        assertEquals(List.of(), second.violations(), "consumer on " + ClusterProcesses.name(others.get(1)));
        assertTrue(closedMs <= 3_000, "the woken node closed its upstream connection " + closedMs + " ms after SIGCONT");
        String log = nodes.log(owner, "");
        assertTrue(log.contains("[feed] lease (epoch " + epoch + ") not renewed"), "the woken node fenced itself:" + nodes.tail(owner));
        System.out.printf("SIGSTOP: taken over after %d ms (upstream connections during the pause: %d); after SIGCONT the old owner "
            + "closed in %d ms%n", takeoverMs, during, closedMs);
      } finally {
        nodes.signal(owner, "CONT"); // a failure above must not leave it frozen for the next tests (again is harmless)
      }
    }
    // The woken node merges back into the cluster and follows the new owner; the upstream keeps one connection.
    Await.until(Duration.ofSeconds(60), "the woken node rejoined, showing the new owner", () -> {
      JsonObject s = nodes.connected(owner, "feed", epoch);
      return s != null && !s.getString("owner").equals(before.getString("owner"));
    }, this::clusterNow);
    assertEquals(1, upstream.maxConcurrentConnections(), "the upstream saw two connections after the old owner closed");
    // Merging back gave it a new member UUID, which no lease-takers entry names: it says so again at its next tick,
    // not up to 30 s later, or no listener is handed to it meanwhile.
    long rejoined = System.nanoTime();
    Await.until(Duration.ofSeconds(30), "the woken node takes listeners again", () -> {
      JsonObject c = nodes.cluster(owner);
      return c != null && Boolean.TRUE.equals(c.getBoolean("takes_leases"));
    }, this::clusterNow);
    long advertisedMs = (System.nanoTime() - rejoined) / 1_000_000;
    assertTrue(advertisedMs <= 3 * RENEW_INTERVAL.toMillis(), "the woken node took listeners again " + advertisedMs
        + " ms after it rejoined (at most three renew intervals)");
    System.out.printf("SIGSTOP: the woken node took listeners again %d ms after it showed the new owner%n", advertisedMs);
    Await.until(Duration.ofSeconds(30), "the woken node shows the listener defined while it was frozen",
        () -> nodes.status(owner, "late") != null, this::clusterNow);
    assertEquals(200, nodes.delete(others.get(0), "/api/listeners/late").statusCode());
  }

  @Test
  @Order(4)
  @DisplayName("a pause of the owner longer than its renew deadline but shorter than the lease: it stops by itself on waking;"
      + " the listener comes back on one node; never two connections")
  void pauseShorterThanTheLease() throws Exception {
    JsonObject before = allUp();
    int owner = owner(before);
    int watcher = (owner + 1) % 3;
    upstream.resetMaxConcurrent();

    nodes.signal(owner, "STOP");
    // The pause is the scenario: 9.5 s is past renewDeadline (8 s) and maxSilence (5 s), short of the lease (12 s) less the
    // renewal interval (the last renewal may have come that long before the pause).
    Thread.sleep(9_500);
    nodes.signal(owner, "CONT");
    Await.until(Duration.ofSeconds(10), "the woken owner fenced itself", () -> nodes.log(owner, "").contains(
        "[feed] lease (epoch " + before.getLong("epoch") + ") not renewed"));
    // The woken owner stopped the listener and is a candidate like the others: the lease it can no longer
    // renew is taken once it has stood unrenewed for a whole lease, under the next epoch.
    JsonObject after = Await.until(Duration.ofSeconds(60), "the feed connected again under the next epoch",
        () -> nodes.connected(watcher, "feed", before.getLong("epoch")), Objects::nonNull, this::clusterNow);
    Await.until(Duration.ofSeconds(60), "every node agrees on the owner, and the upstream has its connection", () -> {
      for (int i = 0; i < 3; i++) {
        JsonObject s = nodes.connected(i, "feed", before.getLong("epoch"));
        if (s == null || !s.getString("owner").equals(after.getString("owner"))) {
          return false;
        }
      }
      return upstream.concurrentConnections() == 1;
    }, () -> "upstream connections: " + upstream.concurrentConnections() + "; " + clusterNow());
    assertEquals(1, upstream.concurrentConnections());
    assertEquals(1, upstream.maxConcurrentConnections(), "the upstream saw two connections at once");
    System.out.printf("9.5 s pause of %s: connected again through %s (epoch %d -> %d)%n", before.getString("owner"),
        after.getString("owner"), before.getLong("epoch"), after.getLong("epoch"));
  }

  @Test
  @Order(5)
  @DisplayName("a browser on one node watching a symbol whose listener runs on another: subscribed once upstream; the"
      + " browser's node killed, unsubscribed after the linger")
  void marketDemandAcrossProcesses() throws Exception {
    allUp();
    AlpacaSimulator alpaca = new AlpacaSimulator(AlpacaSimulatorOptions.defaults().withData(20, Duration.ofMillis(200)));
    vertx.deployVerticle(alpaca).await();
    JsonObject market = new JsonObject().put("type", "alpaca").put("autoStart", true).put("url", alpaca.url("iex"))
        .put("key", AlpacaSimulatorOptions.DEMO_KEY).put("secret", AlpacaSimulatorOptions.DEMO_SECRET)
        .put("unsubscribeLinger", "1s").put("restart", new JsonObject().put("initialDelay", "200ms").put("maxDelay", "1s"));
    assertEquals(201, nodes.put(0, "/api/listeners/market", market).statusCode());
    JsonObject owned = Await.until(Duration.ofSeconds(30), "market connected", () -> nodes.connected(0, "market", 0), Objects::nonNull);
    int browserNode = (owner(owned) + 1) % 3;

    BridgeClient browser = BridgeClient.connect(vertx, nodes.httpPort(browserNode), "/eventbus/websocket");
    browser.register("market.market.trades.AAPL");
    Await.until(Duration.ofSeconds(20), "AAPL subscribed upstream by " + owned.getString("owner"),
        () -> alpaca.subscriptions().await().getOrDefault("trades", List.of()).contains("AAPL"));
    Await.until(Duration.ofSeconds(20), "AAPL trades reach the browser on " + ClusterProcesses.name(browserNode),
        () -> browser.messages().stream().anyMatch(m -> "market.market.trades.AAPL".equals(m.getString("address"))));
    assertEquals(1, alpaca.changes().stream().filter(c -> c.action().equals("subscribe") && c.symbols("trades").contains("AAPL")).count(),
        "subscribed once");

    nodes.kill(browserNode);
    Await.until(Duration.ofSeconds(30), "AAPL unsubscribed once the browser's node is gone",
        () -> !alpaca.subscriptions().await().getOrDefault("trades", List.of()).contains("AAPL"));
    assertEquals(1, alpaca.maxConcurrentConnections(), "one upstream connection throughout");
    assertEquals(200, nodes.delete(owner(owned) == 0 ? 1 : 0, "/api/listeners/market").statusCode());
  }
}
