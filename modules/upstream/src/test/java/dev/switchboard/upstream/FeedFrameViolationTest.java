package dev.switchboard.upstream;

import dev.switchboard.core.ListenerState;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Control;
import dev.switchboard.simulators.feed.FeedSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.switchboard.upstream.FeedFixture.NAME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the upstream sends that breaks the WebSocket protocol (too big, not UTF-8) ends the connection
 * with Switchboard's close code, is reported as Switchboard's close, and is followed by a reconnect.
 */
@ExtendWith(VertxExtension.class)
class FeedFrameViolationTest {
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
    // The data envelopes; the gap envelope each reconnect publishes is tested in FeedLivenessTest.
    vertx.eventBus().<JsonObject>consumer("upstream.feed.message", m -> {
      if (!"gap".equals(m.body().getString("type"))) {
        envelopes.add(m.body());
      }
    }).completion().await();
  }

  /** A connected listener with the default maxFrameSize (65536). */
  private FeedSimulator connected() {
    FeedSimulator sim = FeedFixture.simulator(vertx, 0);
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(sim.url(), FeedFixture.fastPolicy()));
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    return sim;
  }

  /** The upstream saw {@code code}, the listener reconnected, and last_error says Switchboard closed it with that code. */
  private JsonObject closedBySwitchboard(FeedSimulator sim, short code) {
    Await.until(WAIT, "reconnected", () -> sim.totalConnections() == 2 && control.state(NAME) == ListenerState.CONNECTED);
    List<Short> seen = Await.until(WAIT, "the upstream sees the first connection end", sim::closeCodes, codes -> !codes.isEmpty());
    assertEquals(List.of(code), seen, "the close code the upstream saw");
    JsonObject error = control.status(NAME).getJsonObject("last_error");
    assertEquals(String.valueOf(code), error.getString("code"), error.encode());
    // "switchboard closed the connection (code N, ...)": another test of this JVM may have made the word a secret.
    assertTrue(error.getString("message").contains(" closed the connection (code " + code + ", "), error.encode());
    assertFalse(error.getString("message").contains("upstream"), error.encode());
    assertEquals(1, control.status(NAME).getLong("malformed"));
    assertEquals(1, sim.maxConcurrentConnections());
    return error;
  }

  @Test
  @DisplayName("a 100 kB frame: Switchboard closes with 1009, says so in last_error, counts it as malformed, reconnects")
  void oversizedFrame() {
    FeedSimulator sim = connected();
    sim.sendOversized(100_000).await();
    JsonObject error = closedBySwitchboard(sim, (short) 1009);
    assertTrue(error.getString("message").contains("maxFrameSize"), error.encode());
    assertEquals(List.of(), envelopes);
  }

  @Test
  @DisplayName("a message over maxFrameSize in 16 kB frames: closed with 1009 and renewed; one at the limit is delivered")
  void oversizedFragmentedMessage() {
    FeedSimulator sim = connected();
    sim.sendFragmented(65_536, 16_384).await();
    Await.until(WAIT, "the message at the limit delivered", () -> envelopes.size() == 1);
    assertEquals(65_536 - 11, envelopes.get(0).getJsonObject("data").getString("blob").length());
    assertEquals(0, control.status(NAME).getLong("malformed"));

    sim.sendFragmented(100_000, 16_384).await();
    JsonObject error = closedBySwitchboard(sim, (short) 1009);
    assertTrue(error.getString("message").contains("several frames"), error.encode());
    assertEquals(1, envelopes.size());

    sim.emit(new JsonObject().put("still", "alive")).await();
    Await.until(WAIT, "a message on the new connection", () -> envelopes.size() == 2);
  }

  @Test
  @DisplayName("a text frame that is not UTF-8: Switchboard closes with 1007, says so in last_error, reconnects")
  void invalidUtf8() {
    FeedSimulator sim = connected();
    sim.sendInvalidUtf8().await();
    JsonObject error = closedBySwitchboard(sim, (short) 1007);
    assertTrue(error.getString("message").contains("UTF-8"), error.encode());
    assertEquals(List.of(), envelopes);
  }

  @Test
  @DisplayName("once Switchboard has sent its close frame, a send answers 503: the upstream would discard it")
  void noSendAfterOurClose() throws Exception {
    try (SilentUpstream upstream = new SilentUpstream(SilentUpstream.textNotUtf8())) {
      FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed("ws://127.0.0.1:" + upstream.port() + "/", FeedFixture.fastPolicy()));
      control.start(NAME);
      assertTrue(upstream.closeFrameSeen.await(10, java.util.concurrent.TimeUnit.SECONDS), "Switchboard closed with a close frame");
      // The upstream does not answer the close: for as long as Switchboard waits for it, nothing may be written.
      io.vertx.core.eventbus.ReplyException refused = org.junit.jupiter.api.Assertions.assertThrows(io.vertx.core.eventbus.ReplyException.class,
          () -> vertx.eventBus().request("upstream.feed.send", "after the close").await());
      assertEquals(503, refused.failureCode(), refused.getMessage());
      assertEquals(0L, control.status(NAME).getLong("messages_out"));
    }
  }
}
