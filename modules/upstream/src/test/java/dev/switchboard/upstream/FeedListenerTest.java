package dev.switchboard.upstream;

import dev.switchboard.core.ListenerState;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Control;
import dev.switchboard.core.testing.TestCertificate;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.switchboard.upstream.FeedFixture.NAME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the generic feed listener does with frames, sends and heartbeats. */
@ExtendWith(VertxExtension.class)
class FeedListenerTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private Control control;
  private final List<JsonObject> envelopes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.control = new Control(vertx);
    vertx.eventBus().<JsonObject>consumer("upstream.feed.message", m -> envelopes.add(m.body())).completion().await();
  }

  private FeedSimulator connected(JsonObject extra) {
    return connected(extra, 0);
  }

  private FeedSimulator connected(JsonObject extra, double rate) {
    FeedSimulator sim = FeedFixture.simulator(vertx, rate);
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), FeedFixture.fastPolicy(), false, extra));
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    return sim;
  }

  @Test
  @DisplayName("JSON, plain text and binary frames become envelopes {seq, ts, source, type, data}")
  void envelopes() {
    FeedSimulator sim = connected(new JsonObject());
    sim.emit(new JsonObject().put("temp", 21.5)).await();
    Await.until(WAIT, "the JSON message", () -> envelopes.size() == 1);

    JsonObject json = envelopes.get(0);
    assertEquals(1, json.getLong("seq"));
    assertEquals("feed", json.getString("source"));
    assertEquals("json", json.getString("type"));
    assertEquals(21.5, json.getJsonObject("data").getDouble("temp"));
    assertTrue(Math.abs(System.currentTimeMillis() - json.getLong("ts")) < 5_000);
    assertEquals(1, control.status(NAME).getLong("messages_in"));
    assertTrue(control.status(NAME).getLong("bytes_in") >= 13);
  }

  @Test
  @DisplayName("text that is not JSON is wrapped as {text}; arrays stay arrays")
  void textAndArrays() {
    FeedSimulator sim = connected(new JsonObject());
    sim.emitRaw("hello, plain text").await();
    sim.emitRaw("[1,2,3]").await();
    sim.emitBinary(Buffer.buffer(new byte[] {1, 2, 3})).await();
    Await.until(WAIT, "three messages", () -> envelopes.size() == 3);
    assertEquals("text", envelopes.get(0).getString("type"));
    assertEquals("hello, plain text", envelopes.get(0).getJsonObject("data").getString("text"));
    assertEquals(new JsonArray().add(1).add(2).add(3), envelopes.get(1).getJsonArray("data"));
    assertEquals("binary", envelopes.get(2).getString("type"));
    assertEquals("AQID", envelopes.get(2).getJsonObject("data").getString("base64"));
    assertEquals(List.of(1L, 2L, 3L), envelopes.stream().map(e -> e.getLong("seq")).toList());
  }

  @Test
  @DisplayName("JSON nested deeper than the envelope, a history reply and a bridge frame could carry is malformed, "
      + "by either check; one level less is a message")
  void jsonTooDeep() {
    FeedSimulator sim = connected(new JsonObject());
    int max = dev.switchboard.core.envelope.StrictJson.MAX_DEPTH;
    sim.emitRaw("[".repeat(max + 1) + "]".repeat(max + 1)).await(); // plain JSON: the raw check
    sim.emitRaw("{\"a\": /* a comment */ " + "[".repeat(max) + "]".repeat(max) + "}").await(); // not plain: parsed
    sim.emitRaw("{\"a\":" + "[".repeat(max - 1) + "\"[[[\"" + "]".repeat(max - 1) + "}").await(); // brackets in a string: no level
    sim.emitRaw("[".repeat(max) + "]".repeat(max)).await();
    Await.until(WAIT, "two published", () -> envelopes.size() == 2);
    assertEquals(2, control.status(NAME).getLong("malformed"));
    assertTrue(envelopes.get(0).getJsonObject("data").getValue("a") instanceof JsonArray, envelopes.get(0).encode().substring(0, 100));
    assertTrue(envelopes.get(1).getJsonArray("data").getValue(0) instanceof JsonArray, envelopes.get(1).encode().substring(0, 100));
  }

  @Test
  @DisplayName("a send while the onConnect messages go out is refused (503) until they are all written: never sent among them")
  void sendNeverAmongTheOnConnectMessages() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 0);
    // Large enough to fill the socket's buffers: their writes then finish over several turns of the event loop.
    JsonArray onConnect = new JsonArray();
    for (int i = 0; i < 300; i++) {
      onConnect.add("c-" + i + " " + "x".repeat(60_000));
    }
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), FeedFixture.fastPolicy(), false,
        new JsonObject().put("onConnect", onConnect)));
    control.start(NAME);
    // Sends as fast as answers come, from the start on: refused until the listener takes them.
    List<String> accepted = new ArrayList<>();
    long giveUp = System.currentTimeMillis() + WAIT.toMillis();
    for (int i = 0; accepted.size() < 20 && System.currentTimeMillis() < giveUp; i++) {
      try {
        vertx.eventBus().request("upstream.feed.send", "u-" + i).await();
        accepted.add("u-" + i);
      } catch (ReplyException refused) {
        assertEquals(503, refused.failureCode(), refused.getMessage());
      }
    }
    Await.until(WAIT, "every message at the upstream", () -> sim.received().size() == 300 + accepted.size());
    List<String> received = sim.received().stream().map(m -> m.split(" ", 2)[0]).toList(); // "c-7", "u-12"
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      expected.add("c-" + i);
    }
    expected.addAll(accepted);
    assertEquals(expected, received, "the onConnect messages first, in order, nothing among them");
  }

  @Test
  @DisplayName("onConnect messages are sent right after the socket opens, in order, on every connection")
  void onConnectMessages() {
    FeedSimulator sim = connected(new JsonObject().put("onConnect", new JsonArray()
        .add(new JsonObject().put("op", "subscribe").put("topic", "a"))
        .add("plain second")));
    Await.until(WAIT, "both onConnect messages", () -> sim.received().size() == 2);
    assertEquals(List.of("{\"op\":\"subscribe\",\"topic\":\"a\"}", "plain second"), sim.received());

    sim.dropAll().await();
    Await.until(WAIT, "sent again after the reconnect", () -> sim.received().size() == 4);
    assertEquals(sim.received().subList(0, 2), sim.received().subList(2, 4));
  }

  @Test
  @DisplayName("while a definition change redeploys the listener, a send is answered (503 'being changed' or 'not connected'), never NO_HANDLERS")
  void sendDuringAChange() {
    FeedSimulator sim = connected(new JsonObject());
    java.util.Map<String, Integer> answers = new java.util.concurrent.ConcurrentHashMap<>();
    // Five sends every millisecond, each counted by how it was answered.
    long sender = vertx.setPeriodic(1, id -> {
      for (int i = 0; i < 5; i++) {
        vertx.eventBus().request("upstream.feed.send", "x").onComplete(ar -> answers.merge(ar.succeeded() ? "sent"
            : ar.cause() instanceof ReplyException r && r.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS ? "NO_HANDLERS"
            : ar.cause() instanceof ReplyException r && r.failureCode() == 503 && r.getMessage().contains("being changed") ? "being changed"
            : ar.cause() instanceof ReplyException r && r.failureCode() == 503 ? "not connected"
            // Already queued at the old parts when they stopped: the event bus fails it at once.
            : ar.cause() instanceof ReplyException r && r.getMessage().startsWith("Discarded the request") ? "discarded"
            : String.valueOf(ar.cause()), 1, Integer::sum));
      }
    });
    for (int change = 1; change <= 5; change++) {
      JsonObject definition = new JsonObject().put("type", "upstream").put("url", sim.url()).put("maxFrameSize", 70_000 + change)
          .put("restart", new JsonObject().put("initialDelay", "20ms").put("maxDelay", "100ms"));
      JsonObject answer = vertx.eventBus().<JsonObject>request(dev.switchboard.core.Addresses.CONTROL,
          new JsonObject().put("action", "define").put("name", NAME).put("definition", definition)).await().body();
      assertEquals("updated", answer.getString("status"), answer.encode());
      control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    }
    vertx.cancelTimer(sender);
    assertEquals(0, answers.getOrDefault("NO_HANDLERS", 0), answers.toString());
    assertTrue(answers.getOrDefault("being changed", 0) > 0, "the changes were seen: " + answers);
    assertTrue(java.util.Set.of("sent", "being changed", "not connected", "discarded").containsAll(answers.keySet()), answers.toString());
  }

  @Test
  @DisplayName("a send while connected reaches the upstream; while not connected it fails, never silently")
  void sendReachesUpstreamOrFails() {
    FeedSimulator sim = connected(new JsonObject());
    JsonObject reply = vertx.eventBus().<JsonObject>request("upstream.feed.send", new JsonObject().put("cmd", "on")).await().body();
    assertEquals(true, reply.getBoolean("sent"));
    Await.until(WAIT, "the message at the upstream", () -> sim.received().contains("{\"cmd\":\"on\"}"));
    assertEquals(1, control.status(NAME).getLong("messages_out"));

    // Reconnecting (in backoff): the address still answers, with the documented 503, not NO_HANDLERS.
    sim.refuse(true).await();
    sim.dropAll().await();
    control.awaitState(NAME, ListenerState.BACKOFF, WAIT);
    ReplyException inBackoff = assertThrows(ReplyException.class,
        () -> vertx.eventBus().request("upstream.feed.send", "during backoff").await());
    assertEquals(503, inBackoff.failureCode(), inBackoff.getMessage());
    assertTrue(inBackoff.getMessage().contains("not connected"), inBackoff.getMessage());
    sim.refuse(false).await();

    control.stop(NAME);
    ReplyException refused = assertThrows(ReplyException.class,
        () -> vertx.eventBus().request("upstream.feed.send", "while stopped").await());
    assertEquals(503, refused.failureCode(), refused.getMessage());
    assertTrue(refused.getMessage().contains("not connected"), refused.getMessage());
    assertTrue(sim.received().stream().noneMatch(m -> m.equals("while stopped") || m.equals("during backoff")));

    ReplyException badBody = assertThrows(ReplyException.class,
        () -> { control.start(NAME); control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
          vertx.eventBus().request("upstream.feed.send", 42).await(); });
    assertEquals(400, badBody.failureCode());

    // Half a character (as a browser's JSON.stringify escapes it, "\ud800") cannot go in UTF-8: refused, not sent as '?'.
    ReplyException half = assertThrows(ReplyException.class,
        () -> vertx.eventBus().request("upstream.feed.send", new JsonObject().put("s", "a\uD800b")).await());
    assertEquals(400, half.failureCode(), half.getMessage());
    assertTrue(half.getMessage().contains("unpaired surrogate, \\ud800) at index 7"), half.getMessage());
    assertEquals(400, assertThrows(ReplyException.class,
        () -> vertx.eventBus().request("upstream.feed.send", "end \uDC00").await()).failureCode());
    assertEquals(true, vertx.eventBus().<JsonObject>request("upstream.feed.send", "whole \uD83D\uDE00").await().body().getBoolean("sent"));
    Await.until(WAIT, "a whole pair at the upstream", () -> sim.received().contains("whole \uD83D\uDE00"));
    assertTrue(sim.received().stream().noneMatch(m -> m.contains("?")), sim.received().toString());
  }

  @Test
  @DisplayName("configured headers go with the upgrade request, and the configured sub-protocol is agreed on")
  void headersAndSubprotocols() {
    FeedSimulator sim = new FeedSimulator(dev.switchboard.simulators.feed.FeedSimulatorOptions.defaults()
        .withSubprotocols(List.of("feed.v2")));
    vertx.deployVerticle(sim).await();
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), FeedFixture.fastPolicy(), false, new JsonObject()
        .put("headers", new JsonObject().put("Authorization", "Bearer feed-secret").put("X-Client", "switchboard"))
        .put("subprotocols", new JsonArray().add("feed.v1").add("feed.v2"))));
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    FeedSimulator.Handshake handshake = sim.lastHandshake();
    assertEquals("Bearer feed-secret", handshake.headers().get("authorization"));
    assertEquals("switchboard", handshake.headers().get("x-client"));
    assertEquals("feed.v2", handshake.subprotocol());
  }

  @Test
  @DisplayName("heartbeat in message mode: the payload is sent, and any inbound message keeps the connection alive")
  void applicationHeartbeat() {
    FeedSimulator sim = connected(new JsonObject().put("heartbeat",
        new JsonObject().put("mode", "message").put("payload", new JsonObject().put("type", "ping"))));
    Await.until(WAIT, "an application ping", () -> sim.received().contains("{\"type\":\"ping\"}"));
    // The simulator never answers pings with a message: without inbound traffic, the connection is declared dead.
    JsonObject status = control.awaitState(NAME, ListenerState.BACKOFF, WAIT);
    assertEquals("heartbeat", status.getJsonObject("last_error").getString("code"));
  }

  @Test
  @DisplayName("heartbeat in message mode: pongs from a proxy in front of a frozen feed do not answer it")
  void applicationHeartbeatNotAnsweredByPongs() {
    FeedSimulator sim = connected(new JsonObject().put("heartbeat",
        new JsonObject().put("mode", "message").put("payload", "ping")));
    sim.stallBehindAProxy().await();
    // A pong every 50 ms against a 200 ms heartbeatTimeout: only the feed's own messages count.
    JsonObject status = control.awaitState(NAME, ListenerState.BACKOFF, WAIT);
    assertEquals("heartbeat", status.getJsonObject("last_error").getString("code"));
  }

  @Test
  @DisplayName("heartbeat in message mode: a feed that keeps talking stays connected through many heartbeat periods")
  void applicationHeartbeatKeptAliveByTraffic() {
    FeedSimulator sim = connected(new JsonObject().put("heartbeat",
        new JsonObject().put("mode", "message").put("payload", "ping")), 50);
    // 200 ms interval + 200 ms timeout: ten pings answered by traffic alone take well over 2 s.
    Await.until(WAIT, "ten application pings", () -> sim.received().stream().filter("ping"::equals).count() >= 10);
    JsonObject status = control.status(NAME);
    assertEquals("CONNECTED", status.getString("state"));
    assertEquals(1, status.getLong("deployments"));
    assertEquals(1, sim.totalConnections());
  }

  @Test
  @DisplayName("a feed that keeps talking but stops reading: once its socket has stayed backed up for a second, sends are "
      + "refused (503, nothing sent), not queued without end")
  void upstreamThatStopsReading() {
    FeedSimulator sim = connected(new JsonObject().put("heartbeat",
        new JsonObject().put("mode", "message").put("payload", "ping")), 50);
    sim.stopReading().await();
    BackedUp backedUp = sendUntilRefused();
    assertEquals(503, ((ReplyException) backedUp.refusal()).failureCode(), backedUp.refusal().getMessage());
    assertTrue(backedUp.refusal().getMessage().contains(
        "the upstream has not read what is sent to it for over 1000 ms; nothing was sent"), backedUp.refusal().getMessage());
    assertTrue(backedUp.refusedAfter() >= 1_000,
        "a burst is not refused: the first refusal came " + backedUp.refusedAfter() + " ms after the burst that filled the socket");
    assertTrue(backedUp.large().stream().noneMatch(Future::failed), "the burst that filled the socket was queued, not refused");
    assertEquals("CONNECTED", control.status(NAME).getString("state"), "still alive: its messages answer the heartbeat");
  }

  @Test
  @DisplayName("a feed that stops reading is stopped at once: its close frame, stuck behind unread writes, is not waited for")
  void stopWhileTheUpstreamDoesNotRead() {
    FeedSimulator sim = connected(new JsonObject().put("heartbeat",
        new JsonObject().put("mode", "message").put("payload", "ping")), 50);
    // One second for the close handshake, then the connection is ended; it took 30 s.
    long tookMs = stopWhenBackedUp(sim);
    assertTrue(tookMs < 5_000, "stopped after " + tookMs + " ms");
  }

  @Test
  @DisplayName("over wss:// too: the TLS layer's own close, stuck behind the same writes, is not waited for either")
  void stopWhileTheUpstreamDoesNotReadOverTls(@TempDir Path certificates) {
    TestCertificate certificate = TestCertificate.writeTo(certificates);
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(50)
        .withTls(certificate.certificate(), certificate.key()));
    vertx.deployVerticle(sim).await();
    JsonObject extra = new JsonObject()
        .put("heartbeat", new JsonObject().put("mode", "message").put("payload", "ping"))
        .put("tls", new JsonObject().put("trustCertificates", certificate.certificate().toString()));
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url().replace("127.0.0.1", "localhost"),
        FeedFixture.fastPolicy(), false, extra));
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    // A close through the TLS handler would wait 3 s more for its own close_notify to be written.
    long tookMs = stopWhenBackedUp(sim);
    assertTrue(tookMs < 3_000, "stopped after " + tookMs + " ms");
  }

  /** Stops the listener once its upstream reads nothing and its socket is full; how long the stop took, in ms. */
  private long stopWhenBackedUp(FeedSimulator sim) {
    sim.stopReading().await();
    sendUntilRefused();
    long stopAt = System.nanoTime();
    control.stop(NAME);
    control.awaitState(NAME, ListenerState.STOPPED, WAIT);
    Await.until(WAIT, "the upstream's connection closed", () -> sim.openTcpConnections() == 0);
    return (System.nanoTime() - stopAt) / 1_000_000;
  }

  /** The large sends queued, the first refusal, and how long after the last burst of large sends it came. */
  private record BackedUp(List<Future<Message<Object>>> large, Throwable refusal, long refusedAfter) {
  }

  /**
   * Keeps the socket of an upstream that stopped reading full, whatever the kernel's buffers hold: a burst of
   * large sends each time the last one was all written, a small send at each look, until a send is refused.
   */
  private BackedUp sendUntilRefused() {
    String large = "x".repeat(60_000);
    List<Future<Message<Object>>> bursts = new ArrayList<>();
    List<Future<Message<Object>>> probes = new ArrayList<>();
    long[] lastBurstAt = {0};
    Throwable refusal = Await.until(WAIT, "a send refused", () -> {
      if (bursts.stream().allMatch(Future::succeeded)) {
        lastBurstAt[0] = System.nanoTime();
        for (int i = 0; i < 32; i++) { // 1.9 MB
          bursts.add(vertx.eventBus().request("upstream.feed.send", large));
        }
      }
      probes.add(vertx.eventBus().request("upstream.feed.send", "probe"));
      return probes.stream().filter(Future::failed).map(Future::cause).findFirst().orElse(null);
    }, cause -> cause != null, () -> bursts.stream().filter(Future::succeeded).count() + " of " + bursts.size() + " large sends written");
    return new BackedUp(bursts, refusal, (System.nanoTime() - lastBurstAt[0]) / 1_000_000);
  }
}
