package dev.switchboard.server;

import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /subscribe as a plain WebSocket client uses it: addresses in the URL, one frame a message, kept alive by the server. */
@ExtendWith(VertxExtension.class)
class SubscriptionEndpointTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir
  Path dataDir;
  private Switchboard app;
  private WebSocketClient client;

  @BeforeEach
  void setUp(Vertx vertx) {
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(50));
    vertx.deployVerticle(sim).await();
    JsonObject config = ServerFixture.config(dataDir, ServerFixture.feedListener("feed", sim.url(), true));
    config.getJsonObject("http").put("bridge", new JsonObject().put("pingTimeout", "10s")); // server pings every 3.3 s
    app = ServerFixture.start(config);
    client = vertx.createWebSocketClient();
  }

  @AfterEach
  void tearDown() {
    app.stop().await();
  }

  private WebSocket open(String uri, List<String> frames, AtomicInteger pings) {
    WebSocket ws = client.connect(app.httpPort(), "127.0.0.1", uri).await();
    ws.frameHandler(frame -> {
      if (frame.isPing()) {
        pings.incrementAndGet();
      } else if (frame.isText()) {
        frames.add(frame.textData());
      }
    });
    return ws;
  }

  @Test
  @DisplayName("format=data: each frame is a message's data; a silent client stays connected, kept alive by the server's pings")
  void dataFramesAndServerPings() {
    List<String> frames = new CopyOnWriteArrayList<>();
    AtomicInteger pings = new AtomicInteger();
    WebSocket ws = open("/subscribe?address=upstream.feed.message&format=data", frames, pings);
    Await.until(WAIT, "data frames", () -> frames.size() >= 5);
    JsonObject first = new JsonObject(frames.get(0));
    assertTrue(first.containsKey("n") && !first.containsKey("seq"), "only the data: " + first);
    Await.until(WAIT, "two pings from the server while the client says nothing", () -> pings.get() >= 2);
    assertFalse(ws.isClosed());
    int before = frames.size();
    Await.until(WAIT, "still flowing", () -> frames.size() > before + 5);
  }

  @Test
  @DisplayName("format=envelope (the default): the whole envelope, seq and all")
  void envelopes() {
    List<String> frames = new CopyOnWriteArrayList<>();
    open("/subscribe?address=upstream.feed.message", frames, new AtomicInteger());
    Await.until(WAIT, "envelopes", () -> frames.size() >= 3);
    JsonObject envelope = new JsonObject(frames.get(2));
    assertEquals("feed", envelope.getString("source"));
    assertEquals(new JsonObject(frames.get(1)).getLong("seq") + 1, envelope.getLong("seq"));
  }

  @Test
  @DisplayName("the bridge's rules decide: an address a client may not receive gets 403, a bad request 400")
  void rules() {
    UpgradeRejectedException forbidden = assertThrows(UpgradeRejectedException.class,
        () -> client.connect(app.httpPort(), "127.0.0.1", "/subscribe?address=switchboard.control").await());
    assertEquals(403, forbidden.getStatus());
    UpgradeRejectedException none = assertThrows(UpgradeRejectedException.class,
        () -> client.connect(app.httpPort(), "127.0.0.1", "/subscribe").await());
    assertEquals(400, none.getStatus());
    UpgradeRejectedException format = assertThrows(UpgradeRejectedException.class,
        () -> client.connect(app.httpPort(), "127.0.0.1", "/subscribe?address=upstream.feed.message&format=xml").await());
    assertEquals(400, format.getStatus());
  }
}
