package dev.switchboard.upstream;

import dev.switchboard.core.ListenerState;
import dev.switchboard.core.RestartPolicy;
import dev.switchboard.core.Supervisor;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Control;
import dev.switchboard.core.testing.Definitions;
import dev.switchboard.simulators.feed.FeedSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.switchboard.upstream.FeedFixture.NAME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A silent feed shows as stale; a reconnect says, in the stream, what window it may have missed. */
@ExtendWith(VertxExtension.class)
class FeedLivenessTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir
  Path dataDir;

  private Supervisor deploy(Vertx vertx, FeedSimulator sim, JsonObject extra) {
    Supervisor supervisor = Definitions.supervisor(new FeedKind(), dataDir, Duration.ofMillis(50),
        List.of(FeedFixture.feed(sim.url(), FeedFixture.fastPolicy(), false, extra)));
    vertx.deployVerticle(supervisor).await();
    return supervisor;
  }

  /** The feed's supervisor, and what it published since it connected: more than five envelopes already. */
  private record Streaming(Supervisor supervisor, Control control, List<JsonObject> envelopes) {
  }

  private Streaming streaming(Vertx vertx, FeedSimulator sim) {
    return streaming(vertx, sim, new JsonObject());
  }

  private Streaming streaming(Vertx vertx, FeedSimulator sim, JsonObject extra) {
    Streaming feed = connected(vertx, sim, extra);
    Await.until(WAIT, "messages before", () -> feed.envelopes().size() > 5);
    return feed;
  }

  /** The feed started and connected, what it publishes collected from before its start. */
  private Streaming connected(Vertx vertx, FeedSimulator sim, JsonObject extra) {
    Supervisor supervisor = deploy(vertx, sim, extra);
    List<JsonObject> envelopes = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(FeedAddresses.messages(NAME), m -> envelopes.add(m.body())).completion().await();
    Control control = new Control(vertx);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    return new Streaming(supervisor, control, envelopes);
  }

  /** The first gap envelope, once published: its window in order, and in its place in the seq. */
  private static JsonObject awaitGap(List<JsonObject> envelopes, String after) {
    JsonObject gap = Await.until(WAIT, "the gap after " + after, () -> envelopes.stream()
        .filter(e -> "gap".equals(e.getString("type"))).findFirst().orElse(null), g -> g != null);
    Instant from = Instant.parse(gap.getJsonObject("data").getString("from"));
    assertFalse(Instant.parse(gap.getJsonObject("data").getString("to")).isBefore(from), gap.encode());
    int at = envelopes.indexOf(gap);
    assertEquals(envelopes.get(at - 1).getLong("seq") + 1, gap.getLong("seq"), "the gap takes its place in the seq");
    return gap;
  }

  @Test
  @DisplayName("a reconnect publishes a gap envelope with the outage window, in seq order with the messages")
  void gapOnReconnect(Vertx vertx) {
    FeedSimulator sim = FeedFixture.simulator(vertx, 50);
    Streaming feed = streaming(vertx, sim);
    List<JsonObject> envelopes = feed.envelopes();
    Control control = feed.control();
    assertTrue(envelopes.stream().noneMatch(e -> "gap".equals(e.getString("type"))), "no gap on the first connection");

    sim.dropAll().await();
    JsonObject gap = awaitGap(envelopes, "the reconnect");
    assertEquals(gap.getJsonObject("data").getString("from"), control.status(NAME).getJsonObject("last_gap").getString("from"));
  }

  @Test
  @DisplayName("a definition change is a new connection too: it publishes a gap from the old connection's end, seq going on")
  void gapAfterADefinitionChange(Vertx vertx) {
    FeedSimulator sim = FeedFixture.simulator(vertx, 50);
    Streaming feed = streaming(vertx, sim);
    List<JsonObject> envelopes = feed.envelopes();
    Supervisor supervisor = feed.supervisor();

    Instant changedAt = Instant.now();
    assertEquals("updated", supervisor.define(NAME, new JsonObject().put("type", "upstream").put("url", sim.url())
        .put("headers", new JsonObject().put("X-Version", "2"))).await().outcome());
    JsonObject gap = awaitGap(envelopes, "the change");
    Instant from = Instant.parse(gap.getJsonObject("data").getString("from"));
    // At 50 messages a second, the old connection's last message came about 20 ms before the change (a slow host: more).
    assertFalse(from.isBefore(changedAt.minusMillis(100)), "from the old connection's end, not earlier: " + gap.encode());
    JsonObject lastBefore = envelopes.get(envelopes.indexOf(gap) - 1);
    assertFalse(from.isBefore(Instant.ofEpochMilli(lastBefore.getLong("ts"))), "nothing received after it: " + gap.encode());
  }

  @Test
  @DisplayName("the gap comes before anything the new connection receives, while long onConnect messages are still being written")
  void gapBeforeTheNewConnectionsMessages(Vertx vertx) {
    FeedSimulator sim = FeedFixture.simulator(vertx, 1000);
    // Large enough to fill the socket's buffers: their writes then finish over several turns of the event loop,
    // while the feed's messages come in.
    JsonArray onConnect = new JsonArray();
    for (int i = 0; i < 300; i++) {
      onConnect.add("c-" + i + " " + "x".repeat(60_000));
    }
    List<JsonObject> envelopes = streaming(vertx, sim, new JsonObject().put("onConnect", onConnect)).envelopes();

    sim.dropAll().await();
    JsonObject gap = awaitGap(envelopes, "the reconnect");
    long from = Instant.parse(gap.getJsonObject("data").getString("from")).toEpochMilli();
    List<JsonObject> before = List.copyOf(envelopes.subList(0, envelopes.indexOf(gap)));
    assertTrue(before.stream().allMatch(e -> e.getLong("ts") <= from),
        "nothing of the new connection before its gap: " + before.stream().filter(e -> e.getLong("ts") > from).toList() + " " + gap.encode());
    Await.until(WAIT, "messages of the new connection", () -> envelopes.size() > before.size() + 5);
  }

  @Test
  @DisplayName("a connection found dead by its heartbeat: its gap starts when the upstream was last heard, not when that was noticed")
  void gapFromTheLastSignOfLife(Vertx vertx) {
    FeedSimulator sim = FeedFixture.simulator(vertx, 100);
    Streaming feed = streaming(vertx, sim);
    List<JsonObject> envelopes = feed.envelopes();
    sim.stall().await();
    Instant stalled = Instant.now();

    JsonObject gap = awaitGap(envelopes, "the heartbeat's reconnect");
    assertEquals("heartbeat", feed.control().status(NAME).getJsonObject("last_error").getString("code"));
    Instant from = Instant.parse(gap.getJsonObject("data").getString("from"));
    JsonObject lastBefore = envelopes.get(envelopes.indexOf(gap) - 1);
    assertFalse(from.isBefore(Instant.ofEpochMilli(lastBefore.getLong("ts"))), gap.encode());
    // The heartbeat (every 200 ms, 200 ms to answer) notices 200 to 400 ms after the stall; bytes already on their
    // way when it began may still be read a little after it.
    assertFalse(from.isAfter(stalled.plusMillis(100)), "from the last sign of life, before the stall: " + gap.encode() + ", stalled at " + stalled);
  }

  @Test
  @DisplayName("staleAfter: a connected but silent feed is stale and unhealthy; with reconnectWhenStale it is renewed")
  void staleness(Vertx vertx) {
    FeedSimulator quiet = FeedFixture.simulator(vertx, 0);
    Supervisor supervisor = deploy(vertx, quiet, new JsonObject().put("staleAfter", "200ms"));
    Control control = new Control(vertx);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    Await.until(WAIT, "stale", () -> Boolean.TRUE.equals(control.status(NAME).getBoolean("stale")));
    String problem = supervisor.health().await().listeners().get(NAME).reason();
    assertTrue(problem != null && problem.contains("staleAfter"), String.valueOf(problem));
    assertEquals("CONNECTED", control.status(NAME).getString("state"), "only reported, not renewed");
    quiet.emit(new JsonObject().put("hello", 1)).await();
    Await.until(WAIT, "fresh again", () -> Boolean.FALSE.equals(control.status(NAME).getBoolean("stale")));

    // Silent again, then stopped while the upstream no longer answers: the close handshake takes its whole
    // timeout, and "stale" (of a live connection only) must not come back meanwhile and stay on STOPPED.
    Await.until(WAIT, "stale again", () -> Boolean.TRUE.equals(control.status(NAME).getBoolean("stale")));
    quiet.stall().await();
    assertEquals("stopped", control.stop(NAME));
    JsonObject stopped = control.status(NAME);
    assertEquals("STOPPED", stopped.getString("state"));
    assertEquals(false, stopped.getBoolean("stale"), stopped.encode());
  }

  @Test
  @DisplayName("reconnectWhenStale renews a silent connection, with last_error code 'stale'")
  void reconnectWhenStale(Vertx vertx) {
    FeedSimulator quiet = FeedFixture.simulator(vertx, 0);
    deploy(vertx, quiet, new JsonObject().put("staleAfter", "200ms").put("reconnectWhenStale", true));
    Control control = new Control(vertx);
    control.start(NAME);
    Await.until(WAIT, "renewed", () -> control.status(NAME).getLong("deployments") >= 2);
    assertEquals("stale", control.status(NAME).getJsonObject("last_error").getString("code"));
    assertTrue(quiet.maxConcurrentConnections() <= 1);
  }

  @Test
  @DisplayName("reconnectWhenStale: pongs still came while the feed said nothing, so the gap starts at its last message")
  void staleGapFromTheLastMessage(Vertx vertx) {
    FeedSimulator quiet = FeedFixture.simulator(vertx, 0);
    // Pings every 200 ms, answered, through 800 ms of silence.
    Streaming feed = connected(vertx, quiet, new JsonObject().put("staleAfter", "800ms").put("reconnectWhenStale", true));
    List<JsonObject> envelopes = feed.envelopes();
    quiet.emit(new JsonObject().put("last", true)).await();
    JsonObject gap = awaitGap(envelopes, "the renewal");
    assertEquals("stale", feed.control().status(NAME).getJsonObject("last_error").getString("code"));
    JsonObject last = envelopes.get(0);
    assertEquals(true, last.getJsonObject("data").getBoolean("last"));
    Instant from = Instant.parse(gap.getJsonObject("data").getString("from"));
    Instant lastAt = Instant.ofEpochMilli(last.getLong("ts"));
    assertTrue(!from.isBefore(lastAt) && !from.isAfter(lastAt.plusMillis(50)), "from the last message, at " + lastAt + ": " + gap.encode());
  }

  @Test
  @DisplayName("an upstream that sends a close frame and then keeps the TCP connection open: ended within the closing time, "
      + "with the upstream's close code, not left CONNECTED until the heartbeat gives up")
  void closeFrameWithoutTcpClose(Vertx vertx) throws Exception {
    try (SilentUpstream upstream = new SilentUpstream(SilentUpstream.close(1001, "going away"))) {
      // A heartbeat far slower than the wait below: only the close frame can end this connection in time.
      RestartPolicy slowHeartbeat = new RestartPolicy(Duration.ofMillis(20), Duration.ofMillis(200), 2.0, 0.2, 0,
          Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofSeconds(60), Duration.ofSeconds(60));
      vertx.deployVerticle(Definitions.supervisor(new FeedKind(), dataDir, Duration.ofMillis(50),
          List.of(FeedFixture.feed("ws://127.0.0.1:" + upstream.port() + "/", slowHeartbeat)))).await();
      Control control = new Control(vertx);
      control.start(NAME);
      Await.until(Duration.ofSeconds(10), "the connection ended by the upstream's close",
          () -> control.status(NAME).getJsonObject("last_error") != null, () -> control.status(NAME).encode());
      JsonObject error = control.status(NAME).getJsonObject("last_error");
      assertEquals("1001", error.getString("code"), error.encode());
      assertTrue(error.getString("message").contains("going away"), error.encode());
    }
  }
}

