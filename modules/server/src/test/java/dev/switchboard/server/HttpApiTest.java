package dev.switchboard.server;

import ch.qos.logback.classic.Logger;
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

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP API as a script or a browser uses it, against a real server and the feed simulator. */
@ExtendWith(VertxExtension.class)
class HttpApiTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dataDir;
  private FeedSimulator sim;
  private Switchboard app;
  private WebClient http;

  @BeforeEach
  void setUp(Vertx vertx) {
    sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(100));
    vertx.deployVerticle(sim).await();
    JsonObject config = ServerFixture.config(dataDir,
            ServerFixture.feedListener("feed", sim.url(), true),
            ServerFixture.feedListener("dead", "ws://127.0.0.1:9/nothing-listens-here", false))
        .put("defaultListener", "feed")
        .put("verticles", new JsonArray().add(new JsonObject()
            .put("class", "dev.switchboard.examples.FeedGapWatcher")
            .put("config", new JsonObject().put("listener", "feed").put("reportEvery", 5))));
    app = ServerFixture.start(config);
    http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(app.httpPort()));
  }

  @AfterEach
  void tearDown() {
    app.stop().await();
  }

  private HttpResponse<Buffer> get(String path) {
    return http.get(path).send().await();
  }

  private HttpResponse<Buffer> post(String path, String token) {
    var request = http.post(path);
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    return request.send().await();
  }

  private JsonObject feedStatus() {
    return get("/api/listeners/feed").bodyAsJsonObject();
  }

  @Test
  @DisplayName("status, stop, status, start, status: the README's curl session")
  void controlSession() {
    Await.until(WAIT, "feed connected", () -> "CONNECTED".equals(feedStatus().getString("state")));
    JsonObject all = get("/api/listeners").bodyAsJsonObject();
    assertEquals(List.of("feed", "dead"), all.getJsonArray("listeners").stream().map(l -> ((JsonObject) l).getString("name")).toList());
    assertTrue(all.getLong("seq") > 0);

    HttpResponse<Buffer> stopped = post("/api/listeners/feed/stop", ServerFixture.TOKEN);
    assertEquals(200, stopped.statusCode());
    assertEquals("stopped", stopped.bodyAsJsonObject().getString("status"));
    assertEquals("STOPPED", stopped.bodyAsJsonObject().getJsonObject("listener").getString("state"));
    assertEquals("already_inactive", post("/api/listeners/feed/stop", ServerFixture.TOKEN).bodyAsJsonObject().getString("status"));
    JsonObject afterStop = feedStatus();
    assertEquals(false, afterStop.getBoolean("is_active"));
    assertEquals("cancelled", afterStop.getString("task_status"));
    assertEquals("disconnected", afterStop.getString("connection_status"));

    assertEquals("started", post("/api/listeners/feed/start", ServerFixture.TOKEN).bodyAsJsonObject().getString("status"));
    assertEquals("already_active", post("/api/listeners/feed/start", ServerFixture.TOKEN).bodyAsJsonObject().getString("status"));
    Await.until(WAIT, "feed connected again", () -> "CONNECTED".equals(feedStatus().getString("state")));
    assertEquals("restarted", post("/api/listeners/feed/restart", ServerFixture.TOKEN).bodyAsJsonObject().getString("status"));
    Await.until(WAIT, "feed connected after restart", () -> feedStatus().getLong("deployments") == 3
        && "CONNECTED".equals(feedStatus().getString("state")));
    assertEquals(1, sim.concurrentConnections());
  }

  @Test
  @DisplayName("control actions without the right token are refused with 401 and change nothing")
  void tokenRequired() {
    HttpResponse<Buffer> none = post("/api/listeners/feed/stop", null);
    assertEquals(401, none.statusCode());
    assertEquals("Bearer", none.getHeader("WWW-Authenticate"));
    assertTrue(none.bodyAsJsonObject().getString("error").contains("Authorization: Bearer"));
    assertEquals(401, post("/api/listeners/feed/stop", "wrong-token").statusCode());
    assertEquals(401, post("/listener/stop", null).statusCode());
    assertEquals(true, feedStatus().getBoolean("is_active"));
  }

  @Test
  @DisplayName("a token in the URL is refused with 400 saying to use the Authorization header, even the right one, and the URL is never logged")
  void tokenInUrlRefused() {
    try (LogCapture everything = LogCapture.of(org.slf4j.Logger.ROOT_LOGGER_NAME)) {
      for (String query : new String[] {"token=", "access_token=", "Access-Token=", "controlToken=", "x=1&token="}) {
        HttpResponse<Buffer> refused = post("/api/listeners/feed/stop?" + query + ServerFixture.TOKEN, null);
        assertEquals(400, refused.statusCode(), query);
        assertTrue(refused.bodyAsJsonObject().getString("error").startsWith("send the token in the Authorization header, never in the URL"),
            refused.bodyAsString());
        assertFalse(refused.bodyAsString().contains(ServerFixture.TOKEN));
      }
      // Not even with the right header beside it: the request is not carried out.
      assertEquals(400, post("/api/listeners/feed/stop?token=" + ServerFixture.TOKEN, ServerFixture.TOKEN).statusCode());
      assertEquals(400, get("/api/listeners?access_token=whatever").statusCode(), "reads too: the token has leaked either way");
      assertEquals(true, feedStatus().getBoolean("is_active"), "nothing was stopped");
      assertTrue(everything.list().stream().anyMatch(e -> e.getFormattedMessage().contains("a token in the URL (parameter 'token'")),
          everything.list().toString());
      assertTrue(everything.list().stream().noneMatch(e -> e.getFormattedMessage().contains(ServerFixture.TOKEN)
          || e.getFormattedMessage().contains("whatever")), everything.list().toString());
      // A query that names no token is not a refusal.
      assertEquals(200, get("/api/listeners?tokens_shown=no").statusCode());
    }
  }

  @Test
  @DisplayName("under the API, an unknown path is a JSON 404 and a wrong method a JSON 405 with Allow; never HTML")
  void unknownPathsAndMethods() {
    for (String path : new String[] {"/api", "/api/", "/api/nope", "/api/listeners/feed/config/more", "/listener/nope/more", "/health/nope"}) {
      HttpResponse<Buffer> missing = get(path);
      assertEquals(404, missing.statusCode(), path);
      assertTrue(missing.getHeader("Content-Type").startsWith("application/json"), path + ": " + missing.getHeader("Content-Type"));
      assertTrue(missing.bodyAsJsonObject().containsKey("error"), path);
    }
    record Wrong(io.vertx.core.http.HttpMethod method, String path, String allow) {
    }
    for (Wrong wrong : List.of(
        new Wrong(io.vertx.core.http.HttpMethod.DELETE, "/api/listeners", "GET, HEAD"),
        new Wrong(io.vertx.core.http.HttpMethod.POST, "/api/listeners/feed", "DELETE, GET, HEAD, PUT"),
        new Wrong(io.vertx.core.http.HttpMethod.GET, "/api/reload", "POST"),
        new Wrong(io.vertx.core.http.HttpMethod.PUT, "/api/kinds", "GET, HEAD"),
        new Wrong(io.vertx.core.http.HttpMethod.GET, "/api/kinds/upstream/validate", "POST"),
        new Wrong(io.vertx.core.http.HttpMethod.GET, "/listener/stop", "POST"),
        // A POST to a path that is not an action (with or without a token) is a wrong method, not an unknown action.
        new Wrong(io.vertx.core.http.HttpMethod.POST, "/api/listeners/feed/config", "GET, HEAD"),
        new Wrong(io.vertx.core.http.HttpMethod.DELETE, "/api/listeners/feed/config", "GET, HEAD"),
        new Wrong(io.vertx.core.http.HttpMethod.POST, "/listener/status", "GET, HEAD"),
        new Wrong(io.vertx.core.http.HttpMethod.POST, "/health", "GET, HEAD"),
        new Wrong(io.vertx.core.http.HttpMethod.DELETE, "/metrics", "GET, HEAD"))) {
      HttpResponse<Buffer> answer = http.request(wrong.method(), wrong.path()).send().await();
      assertEquals(405, answer.statusCode(), wrong.toString());
      assertEquals(wrong.allow(), answer.getHeader("Allow"), wrong.toString());
      assertTrue(answer.getHeader("Content-Type").startsWith("application/json"), wrong.toString());
      assertTrue(answer.bodyAsJsonObject().getString("error").contains("not allowed"), answer.bodyAsString());
    }
    assertEquals(true, feedStatus().getBoolean("is_active"));
  }

  @Test
  @DisplayName("outside the API too: a path nothing serves is a JSON 404, a wrong method on /subscribe or /monitor a JSON 405 with Allow")
  void otherPathsAnswerJsonToo() {
    for (String path : new String[] {"/nope", "/app-00000000.js", "/eventbus/nope/deeper", "/subscribe/more"}) {
      HttpResponse<Buffer> missing = get(path);
      assertEquals(404, missing.statusCode(), path);
      assertTrue(missing.getHeader("Content-Type").startsWith("application/json"), path + ": " + missing.getHeader("Content-Type"));
      assertTrue(missing.bodyAsJsonObject().getString("error").contains("the dashboard is at /"), missing.bodyAsString());
      assertEquals(null, missing.getHeader("Cache-Control"), "a missing file is not kept: " + path);
    }
    HttpResponse<Buffer> post = http.post("/").send().await();
    assertEquals(404, post.statusCode());
    assertTrue(post.getHeader("Content-Type").startsWith("application/json"), post.getHeader("Content-Type"));
    for (String path : new String[] {"/subscribe", "/monitor"}) {
      HttpResponse<Buffer> answer = http.request(io.vertx.core.http.HttpMethod.POST, path).send().await();
      assertEquals(405, answer.statusCode(), path);
      assertEquals("GET, HEAD", answer.getHeader("Allow"), path);
      assertTrue(answer.getHeader("Content-Type").startsWith("application/json"), path);
      assertTrue(answer.bodyAsJsonObject().getString("error").contains("POST is not allowed"), answer.bodyAsString());
    }
    HttpResponse<Buffer> pastTheEnd = http.get("/favicon.svg").putHeader("Range", "bytes=999999-").send().await();
    assertEquals(416, pastTheEnd.statusCode());
    assertTrue(pastTheEnd.getHeader("Content-Type").startsWith("application/json"), pastTheEnd.getHeader("Content-Type"));
    assertTrue(pastTheEnd.getHeader("Content-Range").startsWith("bytes */"), "the file's size, as HTTP asks");
    assertEquals(200, get("/").statusCode(), "the dashboard is still served");
    assertTrue(get("/").getHeader("Content-Type").startsWith("text/html"));
  }

  @Test
  @DisplayName("unknown listeners and actions get 404 with a clear message")
  void notFound() {
    HttpResponse<Buffer> unknown = post("/api/listeners/nope/start", ServerFixture.TOKEN);
    assertEquals(404, unknown.statusCode());
    assertTrue(unknown.bodyAsJsonObject().getString("error").contains("no listener named 'nope'"));
    assertEquals(404, get("/api/listeners/nope").statusCode());
    HttpResponse<Buffer> badAction = post("/api/listeners/feed/explode", ServerFixture.TOKEN);
    assertEquals(404, badAction.statusCode());
    assertEquals("unknown action 'explode'; use start, stop or restart", badAction.bodyAsJsonObject().getString("error"));
    assertEquals(404, post("/listener/explode", ServerFixture.TOKEN).statusCode());
  }

  @Test
  @DisplayName("/listener/start|stop|status act on defaultListener, and /monitor opens the dashboard, for single-listener scripts")
  void defaultListenerRoutes() {
    HttpResponse<Buffer> monitor = http.get("/monitor").followRedirects(false).send().await();
    assertEquals(302, monitor.statusCode());
    assertEquals("/", monitor.getHeader("Location"));
    HttpResponse<Buffer> icon = get("/favicon.svg");
    assertEquals(200, icon.statusCode(), "the dashboard has a favicon (no 404 in every console)");
    assertTrue(get("/").bodyAsString().contains("href=\"favicon.svg\""));
    assertEquals("feed", get("/listener/status").bodyAsJsonObject().getString("name"));
    assertEquals("stopped", post("/listener/stop", ServerFixture.TOKEN).bodyAsJsonObject().getString("status"));
    assertEquals(false, get("/listener/status").bodyAsJsonObject().getBoolean("is_active"));
    assertEquals("started", post("/listener/start", ServerFixture.TOKEN).bodyAsJsonObject().getString("status"));
  }

  @Test
  @DisplayName("/health is 200 when every active listener is connected, 503 with the reason otherwise")
  void health() {
    JsonObject up = Await.until(WAIT, "healthy", () -> get("/health"), r -> r.statusCode() == 200).bodyAsJsonObject();
    assertEquals("UP", up.getString("status"));
    assertEquals(true, up.getJsonObject("listeners").getJsonObject("feed").getBoolean("healthy"));
    assertEquals(true, up.getJsonObject("listeners").getJsonObject("dead").getBoolean("healthy"), "inactive is not unhealthy");

    post("/api/listeners/dead/start", ServerFixture.TOKEN);
    HttpResponse<Buffer> down = Await.until(WAIT, "unhealthy", () -> get("/health"), r -> r.statusCode() == 503);
    JsonObject dead = down.bodyAsJsonObject().getJsonObject("listeners").getJsonObject("dead");
    assertEquals("DOWN", down.bodyAsJsonObject().getString("status"));
    assertEquals(false, dead.getBoolean("healthy"));
    assertTrue(dead.getString("reason").startsWith("not connected"), dead.getString("reason"));
    assertNull(down.bodyAsJsonObject().getJsonObject("listeners").getJsonObject("feed").getString("reason"));
  }

  @Test
  @DisplayName("probes: /health/live and /health/ready are UP although an active upstream is down; /health says DOWN")
  void probes() {
    assertEquals("started", post("/api/listeners/dead/start", ServerFixture.TOKEN).bodyAsJsonObject().getString("status"));
    Await.until(WAIT, "/health down for the dead upstream", () -> get("/health").statusCode() == 503);
    HttpResponse<Buffer> live = get("/health/live");
    assertEquals(200, live.statusCode(), live.bodyAsString());
    assertEquals("UP", live.bodyAsJsonObject().getString("status"));
    HttpResponse<Buffer> ready = get("/health/ready");
    assertEquals(200, ready.statusCode(), ready.bodyAsString());
    assertEquals("UP", ready.bodyAsJsonObject().getString("status"));
  }

  @Test
  @DisplayName("a request body being read claims its length until its connection ends; a WebSocket upgrade, or a body posted where"
      + " none is read, claims nothing")
  void bodiesClaimTheirLengthWhileRead() throws java.io.IOException {
    // Upgrades with a Content-Length: the fan-out path takes them, and no answer of theirs ever ends as a request's does.
    assertEquals(101, RawHttp.upgradeStatus(app.httpPort(), "/eventbus/websocket", "Content-Length: 65536\r\n"));
    assertEquals(101, RawHttp.upgradeStatus(app.httpPort(), "/subscribe?address=upstream.feed.message", "Content-Length: 65536\r\n"));
    try (java.net.Socket put = new java.net.Socket("127.0.0.1", app.httpPort())) {
      put.getOutputStream().write(("PUT /api/listeners/late HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: 60000\r\n\r\n{\"type\":\"upstream\",").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      put.getOutputStream().flush();
      Await.until(WAIT, "the body being read claims its length", () -> metric("switchboard_http_body_bytes") == 60_000);
    }
    Await.until(WAIT, "given back when its connection ends", () -> metric("switchboard_http_body_bytes") == 0);
  }

  /** One unlabelled value from /metrics. */
  private double metric(String name) {
    return get("/metrics").bodyAsString().lines().filter(line -> line.startsWith(name + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(name.length() + 1))).findFirst().orElse(Double.NaN);
  }

  @Test
  @DisplayName("/metrics has every listener's meters in Prometheus text")
  void metrics() {
    Await.until(WAIT, "messages counted", () -> get("/metrics").bodyAsString()
        .matches("(?s).*switchboard_listener_messages_received_total\\{listener=\"feed\",type=\"upstream\"} [1-9].*"));
    String text = get("/metrics").bodyAsString();
    assertTrue(text.contains("switchboard_listener_state{listener=\"feed\",state=\"CONNECTED\",type=\"upstream\"} 1.0"), text);
    assertTrue(text.contains("switchboard_listener_state{listener=\"feed\",state=\"STOPPED\",type=\"upstream\"} 0.0"), text);
    assertTrue(text.matches("(?s).*switchboard_listener_last_message_timestamp_seconds\\{listener=\"feed\",type=\"upstream\"} 1\\.[0-9.]+E9.*"), text);
    assertTrue(text.contains("switchboard_listener_received_bytes_total{listener=\"feed\""), text);
    assertTrue(text.contains("switchboard_listener_connected{listener=\"feed\",type=\"upstream\"} 1.0"), text);
    assertTrue(text.contains("switchboard_listener_active{listener=\"dead\",type=\"upstream\"} 0.0"));
    // The generic feed adds no meter of its own: what it exports is every listener's, the names a kind may not take.
    java.util.Set<String> exported = java.util.regex.Pattern.compile("(?m)^switchboard_listener_([a-z_]+)\\{listener=\"feed\"")
        .matcher(text).results().map(r -> r.group(1).replaceFirst("_total$", "")).collect(java.util.stream.Collectors.toSet());
    assertEquals(ListenerMetrics.BUILT_IN, exported, text);
    assertTrue(text.contains("jvm_memory_used_bytes"));
  }

  @Test
  @DisplayName("the page at / and the user's own verticle, deployed from config, consuming the feed")
  void pageAndUserVerticle() {
    HttpResponse<Buffer> page = get("/");
    assertEquals(200, page.statusCode());
    assertTrue(page.bodyAsString().contains("<title>Switchboard</title>"));

    List<JsonObject> reports = new CopyOnWriteArrayList<>();
    app.vertx().eventBus().<JsonObject>consumer("examples.feed.stats", m -> reports.add(m.body())).completion().await();
    Await.until(WAIT, "two reports from the example verticle", () -> reports.size() >= 2);
    assertEquals(0L, reports.get(reports.size() - 1).getLong("missed"));
    assertEquals(0L, reports.get(reports.size() - 1).getLong("gaps"), "the feed did not reconnect");
    assertEquals(0, reports.get(reports.size() - 1).getLong("received") % 5);
  }
}
