package dev.switchboard.server.cluster;

import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A restart of the whole cluster, as real processes: what was decided survives in the nodes' data dirs
 * (the highest version of each listener wins), and a lone node with a stale file runs nothing.
 */
class ClusterRestartIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int A = 0;
  private static final int B = 1;
  private static final int C = 2;

  private Vertx vertx;
  /** The config file's listener, stopped through the API. */
  private FeedSimulator kept;
  /** The listener defined through the API. */
  private FeedSimulator added;
  private ClusterProcesses nodes;

  @BeforeEach
  void setUp() throws Exception {
    ClusterProcesses.requirePackaged();
    vertx = Vertx.vertx();
    kept = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(5));
    added = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(5));
    vertx.deployVerticle(kept).await();
    vertx.deployVerticle(added).await();
    nodes = new ClusterProcesses(ClusterProcesses.workDir("restart"), ClusterProcesses.feed("feed", kept.url()));
  }

  @AfterEach
  void tearDown() {
    if (nodes != null) {
      nodes.close();
    }
    if (vertx != null) {
      vertx.close().await();
    }
  }

  @Test
  @DisplayName("stop one listener and define another, restart all three nodes: the stopped one stays stopped, the new one runs; "
      + "a lone node with a stale file starts nothing, is not ready and shows the listener UNASSIGNED")
  void wholeClusterRestart() throws Exception {
    for (int i : new int[] {A, B, C}) {
      nodes.start(i);
    }
    Await.until(WAIT, "the feed connected", () -> nodes.connected(A, "feed", 0), Objects::nonNull);

    // node-c leaves cleanly before the changes: its file keeps the old versions (feed running, no feed-2).
    assertEquals(0, nodes.stop(C), nodes.tail(C));
    Await.until(WAIT, "the feed connected on node-a or node-b", () -> nodes.connected(A, "feed", 0), Objects::nonNull);

    HttpResponse<String> stopped = nodes.post(A, "/api/listeners/feed/stop");
    assertEquals(200, stopped.statusCode(), stopped.body());
    JsonObject stopAnswer = new JsonObject(stopped.body());
    assertEquals("stopped", stopAnswer.getString("status"), stopped.body());
    assertNull(stopAnswer.getValue("warning"), "on disk on a majority (node-a and node-b): " + stopped.body());
    HttpResponse<String> defined = nodes.put(A, "/api/listeners/feed-2", ClusterProcesses.feed("feed-2", added.url()));
    assertEquals(201, defined.statusCode(), defined.body());
    assertNull(new JsonObject(defined.body()).getValue("warning"), defined.body());
    Await.until(WAIT, "feed-2 connected", () -> nodes.connected(B, "feed-2", 0), Objects::nonNull);
    Await.until(WAIT, "the feed's connection closed", () -> kept.concurrentConnections() == 0);
    long keptConnections = kept.totalConnections();

    assertEquals(0, nodes.stop(A), nodes.tail(A));
    assertEquals(0, nodes.stop(B), nodes.tail(B));
    Await.until(WAIT, "every upstream connection closed", () -> added.concurrentConnections() == 0);
    added.resetMaxConcurrent();

    // node-c alone, with its stale file: one node of three is no majority. It answers, but is not ready,
    // shows the feed UNASSIGNED with the reason, and connects nothing. Absence takes a window to observe:
    // three lease ticks (renewInterval 1 s), in which a node that thought it could would have claimed it.
    nodes.start(C);
    JsonObject lone = Await.until(WAIT, "node-c shows the feed UNASSIGNED", () -> nodes.status(C, "feed"),
        s -> s != null && "UNASSIGNED".equals(s.getString("state")));
    assertTrue(lone.getString("unassigned_reason", "").contains("majority"), lone.encode());
    long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    while (System.nanoTime() < until) {
      assertNotEquals(200, nodes.get(C, "/health/ready").statusCode(), "a lone node is not ready");
      assertEquals(keptConnections, kept.totalConnections(), "a lone node with a stale file connected the stopped listener");
      Thread.sleep(100);
    }

    // node-a joins: a majority. The newest versions (node-a's file) win over node-c's stale one.
    nodes.start(A);
    for (int i : new int[] {C, A}) {
      Await.until(WAIT, ClusterProcesses.name(i) + " shows feed-2 connected", () -> nodes.connected(i, "feed-2", 0), Objects::nonNull);
      JsonObject feed = Await.until(WAIT, ClusterProcesses.name(i) + " shows the feed stopped", () -> nodes.status(i, "feed"),
          s -> s != null && "STOPPED".equals(s.getString("state")));
      assertFalse(feed.getBoolean("is_active"), feed.encode());
      Await.until(WAIT, ClusterProcesses.name(i) + " ready", () -> nodes.get(i, "/health/ready").statusCode() == 200);
    }
    Await.until(WAIT, "node-c's file has the newest versions again",
        () -> read(nodes.dataDir(C).resolve("cluster-state.json")).contains("feed-2"));
    nodes.start(B);
    Await.until(WAIT, "node-b shows feed-2 connected", () -> nodes.status(B, "feed-2"),
        s -> s != null && nodes.connected(B, "feed-2", 0) != null);

    assertEquals(keptConnections, kept.totalConnections(), "the stopped listener never connected again");
    assertEquals(1, added.concurrentConnections());
    assertEquals(1, added.maxConcurrentConnections(), "feed-2's upstream saw two connections at once");
  }

  private static String read(java.nio.file.Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
