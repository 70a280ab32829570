package dev.switchboard.server;

import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static dev.switchboard.server.BridgeClient.sendFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code echo} kind lives only in this module's test sources (dev.switchboard.examples.echo) and
 * its META-INF/services line. The server, which names no kind, finds it, validates and runs its
 * listeners, lets the bridge carry its addresses, exports its metric and applies its health rule.
 */
@ExtendWith(VertxExtension.class)
class ForeignKindTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir
  Path dataDir;
  private FeedSimulator sim;
  private Switchboard app;
  private WebClient http;

  @BeforeEach
  void setUp(Vertx vertx) {
    sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(20));
    vertx.deployVerticle(sim).await();
    app = ServerFixture.start(ServerFixture.config(dataDir));
    http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(app.httpPort()));
  }

  @AfterEach
  void tearDown() {
    app.stop().await();
  }

  private JsonObject echo(String url) {
    return new JsonObject().put("type", "echo").put("autoStart", true).put("url", url).put("greeting", "hello")
        .put("restart", new JsonObject().put("initialDelay", "20ms").put("maxDelay", "200ms"));
  }

  private String state(String name) {
    return http.get("/api/listeners/" + name).send().await().bodyAsJsonObject().getString("state");
  }

  @Test
  @DisplayName("found in /api/kinds with its fields; defined and controlled over REST; its data and sends on the bridge")
  void foundConfiguredControlledBridged(Vertx vertx) {
    JsonArray kinds = http.get("/api/kinds").send().await().bodyAsJsonObject().getJsonArray("kinds");
    JsonObject kind = kinds.stream().map(JsonObject.class::cast).filter(k -> "echo".equals(k.getString("type"))).findFirst().orElseThrow();
    assertEquals(List.of("url", "greeting", "apiKey", "quietAfter"),
        kind.getJsonArray("fields").stream().map(f -> ((JsonObject) f).getString("name")).toList());
    assertEquals(List.of("message"), kind.getJsonObject("addresses").getJsonArray("data").getList());

    HttpResponse<Buffer> bad = http.put("/api/listeners/e1").bearerTokenAuthentication(ServerFixture.TOKEN)
        .sendJsonObject(echo(sim.url()).put("quietAfter", "whenever")).await();
    assertEquals(400, bad.statusCode());
    assertEquals("quietAfter", bad.bodyAsJsonObject().getJsonArray("fields").getJsonObject(0).getString("path"));

    assertEquals(201, http.put("/api/listeners/e1").bearerTokenAuthentication(ServerFixture.TOKEN)
        .sendJsonObject(echo(sim.url())).await().statusCode());
    Await.until(WAIT, "e1 connected", () -> "CONNECTED".equals(state("e1")));
    Await.until(WAIT, "the greeting arrived", () -> sim.received().contains("hello"));

    BridgeClient browser = BridgeClient.connect(vertx, app.httpPort(), "/eventbus/websocket");
    browser.register("echo.e1.message");
    Await.until(WAIT, "envelopes on the bridge", () -> browser.messages().stream()
        .anyMatch(m -> "echo.e1.message".equals(m.getString("address")) && m.getJsonObject("body").getLong("seq") > 0));

    browser.send(sendFrame("echo.e1.send", "no token", "r-none", null));
    assertEquals(401, browser.reply("r-none").getInteger("failureCode"));
    browser.send(sendFrame("echo.e1.send", "from the bridge", "r-sent", ServerFixture.TOKEN));
    assertEquals(true, browser.reply("r-sent").getJsonObject("body").getBoolean("sent"));
    Await.until(WAIT, "the upstream got it", () -> sim.received().contains("from the bridge"));

    browser.send(sendFrame("switchboard.control", new JsonObject().put("action", "stop").put("name", "e1"), "r-stop", ServerFixture.TOKEN));
    assertEquals("stopped", browser.reply("r-stop").getJsonObject("body").getString("status"));
    assertEquals("STOPPED", state("e1"));
    assertEquals("started", http.post("/api/listeners/e1/start").bearerTokenAuthentication(ServerFixture.TOKEN).send().await()
        .bodyAsJsonObject().getString("status"));
    Await.until(WAIT, "e1 connected again", () -> "CONNECTED".equals(state("e1")));

    // Defined over the bridge too, with the token, as the dashboard could.
    browser.send(sendFrame("switchboard.control", new JsonObject().put("action", "define").put("name", "e2")
        .put("definition", echo(sim.url())), "r-define", ServerFixture.TOKEN));
    assertEquals("created", browser.reply("r-define").getJsonObject("body").getString("status"));
    browser.send(sendFrame("switchboard.control", new JsonObject().put("action", "define").put("name", "e3")
        .put("definition", echo(sim.url()).put("url", "ftp://nope")), "r-bad", ServerFixture.TOKEN));
    assertEquals(400, browser.reply("r-bad").getInteger("failureCode"));
    assertTrue(browser.reply("r-bad").getString("message").contains("url"), browser.reply("r-bad").encode());
    browser.send(sendFrame("switchboard.control", new JsonObject().put("action", "remove").put("name", "e2"), "r-remove", null));
    assertEquals(401, browser.reply("r-remove").getInteger("failureCode"));
    Await.until(WAIT, "e2 connected", () -> "CONNECTED".equals(state("e2")));

    String metrics = http.get("/metrics").send().await().bodyAsString();
    assertTrue(metrics.lines().anyMatch(l -> l.startsWith("switchboard_listener_echoes_total{") && l.contains("listener=\"e1\"")),
        "the kind's counter is exported");
    browser.client.close();
  }

  @Test
  @DisplayName("its health rule decides /health for its listeners")
  void healthRule(Vertx vertx) {
    FeedSimulator quiet = new FeedSimulator(FeedSimulatorOptions.defaults());
    vertx.deployVerticle(quiet).await();
    assertEquals(201, http.put("/api/listeners/hushed").bearerTokenAuthentication(ServerFixture.TOKEN)
        .sendJsonObject(echo(quiet.url()).put("quietAfter", "200ms")).await().statusCode());
    Await.until(WAIT, "connected", () -> "CONNECTED".equals(state("hushed")));
    HttpResponse<Buffer> unhealthy = Await.until(WAIT, "unhealthy by the kind's rule once silent", () -> http.get("/health").send().await(),
        r -> r.statusCode() == 503 && String.valueOf(r.bodyAsJsonObject().getJsonObject("listeners").getJsonObject("hushed").getString("reason"))
            .contains("no frame for longer than 200 ms"));
    assertEquals("DOWN", unhealthy.bodyAsJsonObject().getString("status"));
    assertEquals("CONNECTED", state("hushed"), "connected, and unhealthy all the same");
  }

  @Test
  @DisplayName("no file under the server's sources or the dashboard's names the kind")
  void nothingNamesIt() throws IOException {
    Path root = Path.of("").toAbsolutePath();
    while (!Files.exists(root.resolve("web")) && root.getParent() != null) {
      root = root.getParent();
    }
    for (Path dir : List.of(root.resolve("modules/server/src/main"), root.resolve("web/src"), root.resolve("web/public"))) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path file : files.filter(Files::isRegularFile).toList()) {
          String text = Files.readString(file);
          assertTrue(!text.contains("echo") && !text.contains("Echo"), file + " names the test kind");
        }
      }
    }
  }
}
