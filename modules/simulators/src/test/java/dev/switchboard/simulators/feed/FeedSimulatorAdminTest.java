package dev.switchboard.simulators.feed;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import dev.switchboard.simulators.AdminCall;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.switchboard.core.testing.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The feed simulator's HTTP admin endpoints, as a demo uses them with curl. */
@ExtendWith(VertxExtension.class)
class FeedSimulatorAdminTest {
  private static final java.time.Duration WAIT = java.time.Duration.ofSeconds(10);

  private static JsonObject post(WebClient http, int port, String uri) {
    HttpResponse<Buffer> response = http.post(port, "127.0.0.1", uri).send().await();
    assertEquals(200, response.statusCode(), uri);
    return response.bodyAsJsonObject();
  }

  @Test
  @DisplayName("stats, malformed, drop, a refused size and unknown commands over HTTP")
  void adminEndpoints(Vertx vertx) throws Exception {
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(20));
    vertx.deployVerticle(sim).await();
    List<String> frames = new CopyOnWriteArrayList<>();
    // Both clients stay referenced to the end: Vert.x 5 shuts a client down once it is garbage collected.
    WebSocketClient clients = vertx.createWebSocketClient();
    WebSocket client = clients.connect(sim.port(), "127.0.0.1", "/ws/projection_bpp").await(10, TimeUnit.SECONDS);
    client.textMessageHandler(frames::add);
    until(WAIT, "emitted messages", () -> frames.size() >= 2);
    assertTrue(new JsonObject(frames.get(0)).containsKey("n"));

    // WebClient, not HttpClient + body(): a body() chained from this thread can be attached after the
    // response has ended, and then it never completes (the "hang through the relay" of earlier runs).
    WebClient http = WebClient.create(vertx);
    JsonObject stats = http.get(sim.port(), "127.0.0.1", "/admin/stats").send().await().bodyAsJsonObject();
    assertEquals(1, stats.getInteger("connections"));
    assertEquals(sim.url(), stats.getString("url"));

    post(http, sim.port(), "/admin/malformed");
    until(WAIT, "the malformed frame", () -> frames.stream().anyMatch(f -> f.endsWith("\"payload\": ")));

    post(http, sim.port(), "/admin/drop");
    until(WAIT, "dropped", () -> client.isClosed());
    assertEquals((short) 1001, client.closeStatusCode());

    // A size that would take the shared process's heap, or that is no number, is refused before anything is built.
    for (String bytes : new String[] {"2000000000", "-5", "lots"}) {
      HttpResponse<Buffer> refused = http.post(sim.port(), "127.0.0.1", "/admin/oversized?bytes=" + bytes).send().await();
      assertEquals(400, refused.statusCode(), bytes);
      assertTrue(refused.bodyAsString().contains("'bytes' must be a whole number from 0 to"), refused.bodyAsString());
    }

    HttpResponse<Buffer> unknown = http.post(sim.port(), "127.0.0.1", "/admin/explode").send().await();
    assertEquals(404, unknown.statusCode());
    assertTrue(unknown.bodyAsString().contains("/admin/"), "names the commands it knows: " + unknown.bodyAsString());
    http.close();
    clients.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("refuse, stall, cut and restart answer at once, and the admin API stays reachable while refusing or stalled")
  void adminAnswersAtOnce(Vertx vertx) throws Exception {
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(20));
    vertx.deployVerticle(sim).await();
    WebSocketClient clients = vertx.createWebSocketClient();

    assertTrue(AdminCall.post(sim.port(), "/admin/refuse?on=true").getBoolean("refusing"));
    assertTrue(AdminCall.get(sim.port(), "/admin/stats").getBoolean("refusing"), "reachable while refusing");
    assertThrows(Exception.class, () -> clients.connect(sim.port(), "127.0.0.1", "/ws/projection_bpp").await(10, TimeUnit.SECONDS));
    assertEquals(0, sim.totalConnections(), "refused below HTTP: no WebSocket reached the simulator");
    assertFalse(AdminCall.post(sim.port(), "/admin/refuse?on=false").getBoolean("refusing"));

    WebSocket client = clients.connect(sim.port(), "127.0.0.1", "/ws/projection_bpp").await(10, TimeUnit.SECONDS);
    AdminCall.post(sim.port(), "/admin/stall");
    assertEquals(1, AdminCall.get(sim.port(), "/admin/stats").getInteger("connections"), "reachable while stalled");
    AdminCall.post(sim.port(), "/admin/cut");
    until(WAIT, "cut", client::isClosed);
    WebSocket beforeRestart = clients.connect(sim.port(), "127.0.0.1", "/ws/projection_bpp").await(10, TimeUnit.SECONDS);
    AdminCall.post(sim.port(), "/admin/restart");
    until(WAIT, "the restart cut the client", beforeRestart::isClosed);
    until(WAIT, "reachable after the restart", () -> AdminCall.answers(sim.port()));
    WebSocket again = clients.connect(sim.port(), "127.0.0.1", "/ws/projection_bpp").await(10, TimeUnit.SECONDS);
    assertFalse(again.isClosed());
    clients.close().await(10, TimeUnit.SECONDS);
  }
}
