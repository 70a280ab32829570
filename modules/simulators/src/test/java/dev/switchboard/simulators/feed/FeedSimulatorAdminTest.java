package dev.switchboard.simulators.feed;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.switchboard.core.testing.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The feed simulator's HTTP admin endpoints, as a demo uses them with curl. */
@ExtendWith(VertxExtension.class)
class FeedSimulatorAdminTest {
  private static final java.time.Duration WAIT = java.time.Duration.ofSeconds(10);

  private static JsonObject post(HttpClient http, int port, String uri) throws Exception {
    // The body is read in the same chain: once the response has ended, body() would never complete.
    return http.request(HttpMethod.POST, port, "127.0.0.1", uri).compose(r -> r.send())
        .compose(r -> r.body().map(body -> {
          assertEquals(200, r.statusCode(), uri);
          return body.toJsonObject();
        })).await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("stats, malformed, drop and unknown commands over HTTP")
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

    // One connection per command, as curl in a demo: keep-alive through the simulator's TCP relay has
    // hung an admin request now and then (not understood yet; see the closing note).
    HttpClient http = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions().setKeepAlive(false));
    JsonObject stats = http.request(HttpMethod.GET, sim.port(), "127.0.0.1", "/admin/stats")
        .compose(r -> r.send()).compose(r -> r.body()).await(10, TimeUnit.SECONDS).toJsonObject();
    assertEquals(1, stats.getInteger("connections"));
    assertEquals(sim.url(), stats.getString("url"));

    post(http, sim.port(), "/admin/malformed");
    until(WAIT, "the malformed frame", () -> frames.stream().anyMatch(f -> f.endsWith("\"payload\": ")));

    post(http, sim.port(), "/admin/drop");
    until(WAIT, "dropped", () -> client.isClosed());
    assertEquals((short) 1001, client.closeStatusCode());

    int unknown = http.request(HttpMethod.POST, sim.port(), "127.0.0.1", "/admin/explode").compose(r -> r.send())
        .compose(r -> r.body().map(body -> r.statusCode())).await(10, TimeUnit.SECONDS);
    assertEquals(404, unknown);
    http.close().await(10, TimeUnit.SECONDS);
    clients.close().await(10, TimeUnit.SECONDS);
  }
}
