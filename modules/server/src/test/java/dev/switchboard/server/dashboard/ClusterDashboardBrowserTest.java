package dev.switchboard.server.dashboard;

import dev.switchboard.simulators.FreePorts;
import dev.switchboard.core.Addresses;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.ListenerStatus;
import dev.switchboard.core.testing.Await;
import dev.switchboard.server.Switchboard;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.simulators.TcpGate;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.chrome.ChromeDriver;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard of a real three-node cluster in this JVM (its own cluster name, free ports, fast
 * lease timing), opened on a node that does not run the listener: it shows the owner node and the
 * epoch, the nodes and what each owns, follows the listener to its next owner when the owner stops,
 * without a reload, and controls it through its node; moved to another node (by a
 * relay, as a load balancer would), it follows that node's status stream from its snapshot. Three
 * nodes, because two of three are still a majority once one is gone.
 */
@ExtendWith(VertxExtension.class)
class ClusterDashboardBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;
  private FeedSimulator upstream;
  private final List<Switchboard> nodes = new ArrayList<>();
  private final String clusterName = "dashboard-" + UUID.randomUUID().toString().substring(0, 8);
  private ChromeDriver driver;
  private Vertx vertx;
  private TcpGate gate;

  @BeforeEach
  void setUp(Vertx vertx) {
    Chromium.assumeInstalled();
    this.vertx = vertx;
    upstream = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(5));
    vertx.deployVerticle(upstream).await();
    int[] ports = FreePorts.take(3);
    for (int i = 0; i < 3; i++) { // one at a time, as the cluster's own tests start them
      nodes.add(Switchboard.start(new ConfigLoader(Map.of("BROWSER_TEST_TOKEN", LiveDemo.TOKEN)).parse(nodeConfig(i, ports))).await());
    }
    driver = Chromium.start();
  }

  @AfterEach
  void tearDown() {
    if (driver != null) {
      driver.quit();
    }
    if (gate != null) {
      gate.close().await();
    }
    for (Switchboard node : nodes) {
      node.stop().await();
    }
  }

  @Test
  @DisplayName("on a node that does not run it: the listener connected with its owner and epoch, the nodes and what each owns; "
      + "the owner stops and the page shows the new owner and a higher epoch without a reload; control works from there; "
      + "moved to another node, the page follows that node's view")
  void ownerAndFailoverOnANonOwnerNode() {
    ListenerStatus first = Await.until(WAIT, "feed connected through one owner", () -> status(nodes.get(0)),
        s -> s.state() == ListenerState.CONNECTED && s.owner() != null);
    Switchboard owner = nodes.stream().filter(n -> name(n).equals(first.owner())).findFirst().orElseThrow();
    Switchboard served = nodes.stream().filter(n -> n != owner).findFirst().orElseThrow();
    String here = name(served);

    // Through a relay, as behind a load balancer: it moves the page to another node at the end.
    gate = TcpGate.open(vertx, "127.0.0.1", 0, served.httpPort()).await();
    DashboardPage page = DashboardPage.open(driver, "http://127.0.0.1:" + gate.port() + "/");
    page.js("window.__sameDocument = true;"); // gone if the page reloads
    page.waitFor("feed connected, on its owner, with its epoch", () -> "CONNECTED".equals(page.state("feed"))
        && first.owner().equals(page.attribute(DashboardPage.card("feed"), "data-owner"))
        && String.valueOf(first.epoch()).equals(page.attribute(DashboardPage.card("feed"), "data-epoch")));
    assertEquals("on " + first.owner() + " · epoch " + first.epoch(), page.text(DashboardPage.card("feed") + " [data-field=\"owner\"]"));
    page.waitFor("the cluster panel: this node, every node, the owner owning feed", () ->
        here.equals(page.attribute("#cluster", "data-node"))
            && page.attributes("#cluster li[data-node]", "data-node").equals(List.of("node-a", "node-b", "node-c"))
            && "feed".equals(page.attribute("#cluster li[data-node=\"" + first.owner() + "\"]", "data-owns"))
            && "true".equals(page.attribute("#cluster li[data-node=\"" + here + "\"]", "data-self")));
    assertEquals("true", page.attribute("#cluster [data-field=\"majority\"]", "data-present"));
    assertTrue(page.text("#cluster [data-field=\"summary\"]").startsWith("This page is served by " + here + ". 3 of 3"));
    assertTrue(page.text("#cluster [data-field=\"counters\"]").matches("On " + here + ": \\d+ leases held · \\d+ takeovers · "
        + "\\d+ stopped for a late renewal or a silent majority · \\d+ stale messages dropped · \\d+ stale event-bus routes mended"),
        page.text("#cluster [data-field=\"counters\"]"));
    page.waitFor("the panel says the settled cluster is safe to stop a node", () ->
        "true".equals(page.attribute("#cluster [data-field=\"summary\"]", "data-safe"))
            && page.text("#cluster [data-field=\"summary\"]").endsWith("Safe to stop another node."));

    assertEquals(first.owner(), status(owner).owner(), "still on its first owner");

    owner.stop().await();
    nodes.remove(owner);
    page.waitFor("feed connected on another node, with a higher epoch", () -> "CONNECTED".equals(page.state("feed"))
        && !first.owner().equals(page.attribute(DashboardPage.card("feed"), "data-owner"))
        && !page.attribute(DashboardPage.card("feed"), "data-owner").isEmpty()
        && Long.parseLong(page.attribute(DashboardPage.card("feed"), "data-epoch")) > first.epoch());
    String next = page.attribute(DashboardPage.card("feed"), "data-owner");
    assertNotEquals(first.owner(), next);
    assertEquals(next, status(served).owner(), "the page shows what its node says");
    page.waitFor("the panel: two nodes present, the new owner owning feed", () ->
        page.attributes("#cluster li[data-node]", "data-node").equals(nodes.stream().map(ClusterDashboardBrowserTest::name).sorted().toList())
            && "feed".equals(page.attribute("#cluster li[data-node=\"" + next + "\"]", "data-owns"))
            && page.text("#cluster [data-field=\"summary\"]").contains("2 of 3"));
    assertEquals(Boolean.TRUE, page.js("return window.__sameDocument === true;"), "no reload");
    assertEquals(1, upstream.concurrentConnections());

    // Control through this node, whichever runs the listener: the buttons follow the cluster's answer.
    // (A stopped listener may move to the node that ranks first for it: the owner is read again after.)
    page.setToken(LiveDemo.TOKEN);
    page.click("feed", "stop");
    page.waitFor("stopped, start enabled", () -> "STOPPED".equals(page.state("feed")) && page.enabled("feed", "start")
        && !page.enabled("feed", "stop"));
    Await.until(WAIT, "the upstream connection closed", () -> upstream.concurrentConnections() == 0);
    page.click("feed", "start");
    page.waitFor("connected again, on the owner its node names", () -> "CONNECTED".equals(page.state("feed")) && page.enabled("feed", "stop")
        && String.valueOf(status(served).owner()).equals(page.attribute(DashboardPage.card("feed"), "data-owner")));
    String ownerNow = page.attribute(DashboardPage.card("feed"), "data-owner");
    String epochNow = page.attribute(DashboardPage.card("feed"), "data-epoch");

    // The relay moves the page to the other node: its seq counts in another view, so the page must take
    // that node's snapshot (and follow its view), never resume with its deltas.
    assertEquals(view(served), page.attribute("#listeners", "data-view"));
    Switchboard other = nodes.stream().filter(n -> n != served).findFirst().orElseThrow();
    gate.retarget(other.httpPort());
    gate.cutAll();
    page.waitFor("connected to the other node, following its view", () -> "connected".equals(page.connectionPhase()) && page.synced()
        && view(other).equals(page.attribute("#listeners", "data-view")));
    page.waitFor("the panel says which node serves the page now", () -> name(other).equals(page.attribute("#cluster", "data-node")));
    assertEquals("CONNECTED", page.state("feed"));
    assertEquals(ownerNow, page.attribute(DashboardPage.card("feed"), "data-owner"));
    assertEquals(epochNow, page.attribute(DashboardPage.card("feed"), "data-epoch"));
    assertEquals(Boolean.TRUE, page.js("return window.__sameDocument === true;"), "no reload");
  }

  /** The view id of a node's status stream, from its own snapshot. */
  private static String view(Switchboard node) {
    return node.vertx().eventBus().<JsonObject>request(Addresses.STATUS_SNAPSHOT, new JsonObject(), new DeliveryOptions().setLocalOnly(true))
        .await().body().getString("view");
  }

  private static String name(Switchboard node) {
    return node.cluster().orElseThrow().facts().node();
  }

  private static ListenerStatus status(Switchboard node) {
    try {
      return node.control().status("feed").await().listener();
    } catch (RuntimeException e) {
      return ListenerStatus.fromJson(new JsonObject().put("name", "feed").put("state", "UNASSIGNED"));
    }
  }

  private JsonObject nodeConfig(int i, int[] ports) {
    JsonArray members = new JsonArray();
    for (int p : ports) {
      members.add("127.0.0.1:" + p);
    }
    JsonObject quick = new JsonObject().put("initialDelay", "100ms").put("maxDelay", "1s")
        .put("heartbeatInterval", "2s").put("heartbeatTimeout", "2s").put("connectTimeout", "5s");
    return new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("controlToken", "${BROWSER_TEST_TOKEN}"))
        .put("dataDir", dir.resolve("node" + i).toString())
        .put("statusInterval", "250ms")
        .put("listeners", new JsonArray().add(new JsonObject().put("name", "feed").put("type", "upstream").put("autoStart", true)
            .put("url", upstream.url()).put("restart", quick)))
        .put("cluster", new JsonObject()
            .put("enabled", true)
            .put("node", "node-" + (char) ('a' + i))
            .put("name", clusterName)
            .put("port", ports[i])
            .put("members", members)
            .put("heartbeat", "1s")
            .put("maxSilence", "2s")
            // A deadline a loaded CI machine meets (a missed renewal moves the listener), and no rebalancing
            // of a running listener during the test: it moves only when the test stops its owner (or it).
            .put("rebalanceAfter", "1h")
            .put("lease", new JsonObject().put("renewInterval", "250ms").put("renewDeadline", "2s").put("duration", "4s")));
  }
}
