package dev.switchboard.homeassistant;

import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Control;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;

import static dev.switchboard.homeassistant.HomeAssistantFixture.NAME;
import static dev.switchboard.homeassistant.HomeAssistantFixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A refused token ends in FAILED with Home Assistant's message, after one attempt: retrying gets clients banned. */
@ExtendWith(VertxExtension.class)
class HomeAssistantAuthTest {
  @TempDir
  Path dataDir;
  private Vertx vertx;
  private Control control;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.control = new Control(vertx);
  }

  @Test
  @DisplayName("bad token: FAILED with the server's message, exactly one connection attempt, no retry")
  void badToken() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx, HomeAssistantFixture.options().withToken("the-real-token"));
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));

    control.start(NAME);
    JsonObject failed = control.awaitState(NAME, ListenerState.FAILED, WAIT);
    JsonObject error = failed.getJsonObject("last_error");
    assertEquals("auth_invalid", error.getString("code"));
    assertEquals("Home Assistant refused the access token: Invalid access token or password", error.getString("message"));
    assertEquals("failed", failed.getString("task_status"));
    assertEquals(false, failed.getBoolean("subscribed"));

    // Many backoff periods (20 ms each at first) later, still one attempt.
    Instant later = Instant.now().plusMillis(600);
    Await.until(WAIT, "well past any retry", () -> Instant.now().isAfter(later));
    assertEquals(1, sim.totalConnections(), "exactly one connection attempt");
    assertEquals(1, control.status(NAME).getLong("deployments"));
    assertEquals(ListenerState.FAILED, control.state(NAME));
    assertEquals("auth_invalid: Invalid access token or password", sim.lastConnection().endedBecause());
  }

  @Test
  @DisplayName("an endpoint that echoes the auth message back: the error quotes it with the whole token masked, none of it cut off")
  void echoedTokenIsMaskedBeforeTheQuoteIsCut() {
    // A mistyped URL that reaches an echo endpoint (a Node-RED WebSocket node, say) sends the token back.
    io.vertx.core.http.HttpServer echo = vertx.createHttpServer()
        .webSocketHandler(ws -> ws.textMessageHandler(ws::writeTextMessage)).listen(0, "127.0.0.1").await();
    String token = "eyJ" + "a1b2c3d4e5".repeat(18); // as long as Home Assistant's tokens: the quote's cut falls inside it
    ListenerDefinition definition = HomeAssistantFixture.listener("ws://127.0.0.1:" + echo.actualPort() + "/api/websocket",
        HomeAssistantFixture.fastPolicy(), dataDir, false, new JsonObject().put("token", token));
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, definition);

    control.start(NAME);
    Await.until(WAIT, "the echoed auth message refused", () -> control.status(NAME).getJsonObject("last_error") != null);
    JsonObject error = control.status(NAME).getJsonObject("last_error");
    assertEquals("auth_protocol", error.getString("code"));
    String message = error.getString("message");
    assertTrue(message.contains("\"access_token\":\"***\""), message);
    assertFalse(message.contains(token.substring(0, 20)), message);
  }

  @Test
  @DisplayName("a token rotated while connected: the connection stays, and the next reconnect ends in FAILED")
  void tokenRotatedWhileConnected() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);

    sim.rotateToken("a-brand-new-token").await();
    int pings = sim.lastConnection().commands("ping").size();
    Await.until(WAIT, "heartbeats still answered on the old connection", () -> sim.lastConnection().commands("ping").size() >= pings + 2);
    assertEquals(ListenerState.CONNECTED, control.state(NAME));

    sim.dropAll(true).await();
    JsonObject failed = control.awaitState(NAME, ListenerState.FAILED, WAIT);
    assertEquals("auth_invalid", failed.getJsonObject("last_error").getString("code"));
    Instant later = Instant.now().plusMillis(600);
    Await.until(WAIT, "well past any retry", () -> Instant.now().isAfter(later));
    assertEquals(2, sim.totalConnections(), "the one reconnect, refused, and nothing after it");
    assertTrue(failed.getBoolean("is_active"), "still wanted: a start with a fixed token retries");
  }
}
