package dev.switchboard.server;

import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulator;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Listeners defined, changed and removed at run time over REST, against a real server and the feed
 * simulator, which counts concurrent connections: the others keep running, nothing runs twice.
 */
@ExtendWith(VertxExtension.class)
class RuntimeListenersTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private Switchboard app;
  private WebClient http;
  private final List<JsonObject> pushes = new CopyOnWriteArrayList<>();
  private final List<JsonObject> definitionChanges = new CopyOnWriteArrayList<>();

  private void start(Vertx vertx, JsonObject config) {
    this.vertx = vertx;
    app = ServerFixture.start(config);
    app.vertx().eventBus().<JsonObject>consumer("switchboard.status", m -> pushes.add(m.body())).completion().await();
    app.vertx().eventBus().<JsonObject>consumer("switchboard.definitions", m -> definitionChanges.add(m.body())).completion().await();
    http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(app.httpPort()));
  }

  @AfterEach
  void tearDown() {
    if (app != null) {
      app.stop().await();
    }
  }

  private FeedSimulator simulator(Vertx vertx, double rate) {
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(rate));
    vertx.deployVerticle(sim).await();
    return sim;
  }

  private HttpResponse<Buffer> send(HttpMethod method, String path, Object body) {
    var request = http.request(method, path).bearerTokenAuthentication(ServerFixture.TOKEN);
    return (body == null ? request.send() : request.sendBuffer(Buffer.buffer(body.toString()))).await();
  }

  private HttpResponse<Buffer> put(String name, JsonObject definition) {
    return send(HttpMethod.PUT, "/api/listeners/" + name, definition);
  }

  private JsonObject status(String name) {
    return http.get("/api/listeners/" + name).send().await().bodyAsJsonObject();
  }

  private String state(String name) {
    HttpResponse<Buffer> r = http.get("/api/listeners/" + name).send().await();
    return r.statusCode() == 404 ? "ABSENT" : r.bodyAsJsonObject().getString("state");
  }

  private static JsonObject feed(String url, boolean autoStart) {
    return ServerFixture.feedListener("ignored", url, autoStart).copy().put("name", (String) null);
  }

  @Test
  @DisplayName("create, change the URL while connected, remove: one connection to the new upstream, none left to the old, the other listener untouched")
  void createChangeRemove(Vertx vertx) {
    FeedSimulator other = simulator(vertx, 20);
    FeedSimulator first = simulator(vertx, 20);
    FeedSimulator second = simulator(vertx, 20);
    start(vertx, ServerFixture.config(dataDir, ServerFixture.feedListener("steady", other.url(), true)));
    Await.until(WAIT, "steady connected", () -> "CONNECTED".equals(state("steady")));

    JsonObject definition = feed(first.url(), true);
    definition.remove("name");
    HttpResponse<Buffer> created = put("added", definition);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    assertEquals("created", created.bodyAsJsonObject().getString("status"));
    assertEquals(1L, created.bodyAsJsonObject().getLong("version"));
    Await.until(WAIT, "added connected", () -> "CONNECTED".equals(state("added")));
    assertTrue(pushes.stream().anyMatch(p -> "added".equals(p.getJsonObject("status").getString("name"))), "the new listener was pushed");
    assertEquals("unchanged", put("added", definition).bodyAsJsonObject().getString("status"));

    HttpResponse<Buffer> changed = put("added", definition.copy().put("url", second.url()));
    assertEquals(200, changed.statusCode(), changed.bodyAsString());
    assertEquals("updated", changed.bodyAsJsonObject().getString("status"));
    assertEquals(2L, changed.bodyAsJsonObject().getLong("version"));
    Await.until(WAIT, "added connected to the second upstream", () -> "CONNECTED".equals(state("added")) && second.concurrentConnections() == 1);
    Await.until(WAIT, "no connection left to the first upstream", () -> first.concurrentConnections() == 0);
    assertEquals(1, first.maxConcurrentConnections());
    assertEquals(1, second.maxConcurrentConnections());
    assertEquals(second.url(), status("added").getString("websocket_url"));
    assertEquals(1, other.totalConnections(), "the other listener's connection was never touched");
    assertEquals(1L, status("steady").getLong("deployments"));

    JsonObject config = send(HttpMethod.GET, "/api/listeners/added/config", null).bodyAsJsonObject();
    assertEquals(2L, config.getLong("version"));
    assertEquals(second.url(), config.getJsonObject("definition").getString("url"));

    HttpResponse<Buffer> removed = send(HttpMethod.DELETE, "/api/listeners/added", null);
    assertEquals(200, removed.statusCode(), removed.bodyAsString());
    assertEquals("removed", removed.bodyAsJsonObject().getString("status"));
    Await.until(WAIT, "the socket closed", () -> second.concurrentConnections() == 0);
    assertTrue(second.closeCodes().contains((short) 1000), "closed with a close frame: " + second.closeCodes());
    assertEquals(404, http.get("/api/listeners/added").send().await().statusCode());
    assertEquals(404, send(HttpMethod.DELETE, "/api/listeners/added", null).statusCode());
    assertTrue(pushes.stream().anyMatch(p -> p.getJsonObject("status").getBoolean("removed", false)
        && "added".equals(p.getJsonObject("status").getString("name"))), "the removal was pushed");
    Await.until(WAIT, "each definition change published", () -> definitionChanges.stream()
        .map(c -> c.getString("name") + ":" + c.getString("action") + ":" + c.getLong("version")).toList()
        .equals(List.of("added:defined:1", "added:defined:2", "added:removed:2")));
    JsonArray listed = http.get("/api/listeners").send().await().bodyAsJsonObject().getJsonArray("listeners");
    assertEquals(List.of("steady"), listed.stream().map(o -> ((JsonObject) o).getString("name")).toList());
    assertEquals(1, other.totalConnections());
  }

  private HttpResponse<Buffer> putOver(String name, JsonObject definition, String ifMatch) {
    return http.request(HttpMethod.PUT, "/api/listeners/" + name).bearerTokenAuthentication(ServerFixture.TOKEN)
        .putHeader("If-Match", ifMatch).sendBuffer(Buffer.buffer(definition.encode())).await();
  }

  @Test
  @DisplayName("a change over a version (If-Match, the config's ETag; the bridge's version): one made meanwhile is refused (412) "
      + "and nothing changes; the same definition again is unchanged; 0 creates only")
  void changesOverAVersion(Vertx vertx) {
    start(vertx, ServerFixture.config(dataDir));
    JsonObject v1 = feed("ws://127.0.0.1:9/one", false);
    assertEquals(412, putOver("x", v1, "\"3\"").statusCode(), "no listener x at version 3");
    assertEquals(201, putOver("x", v1, "\"0\"").statusCode());
    HttpResponse<Buffer> read = send(HttpMethod.GET, "/api/listeners/x/config", null);
    assertEquals("\"1\"", read.getHeader("ETag"));

    // Two editors read version 1; the first saves, the second's save would silently undo it.
    JsonObject first = v1.copy().put("url", "ws://127.0.0.1:9/first");
    HttpResponse<Buffer> saved = putOver("x", first, read.getHeader("ETag"));
    assertEquals(200, saved.statusCode(), saved.bodyAsString());
    assertEquals(2, saved.bodyAsJsonObject().getLong("version"));
    HttpResponse<Buffer> late = putOver("x", v1.copy().put("maxFrameSize", 4096), read.getHeader("ETag"));
    assertEquals(412, late.statusCode(), late.bodyAsString());
    assertTrue(late.bodyAsJsonObject().getString("error").contains("is at version 2, not 1"), late.bodyAsString());
    JsonObject stored = send(HttpMethod.GET, "/api/listeners/x/config", null).bodyAsJsonObject();
    assertEquals(2, stored.getLong("version"));
    assertEquals("ws://127.0.0.1:9/first", stored.getJsonObject("definition").getString("url"), "the first save stands");

    // The first editor's save retried after a lost answer: the same definition, unchanged whatever the version.
    assertEquals("unchanged", putOver("x", first, "\"1\"").bodyAsJsonObject().getString("status"));
    HttpResponse<Buffer> taken = putOver("x", v1, "\"0\"");
    assertEquals(412, taken.statusCode(), "0 creates only");
    assertTrue(taken.bodyAsJsonObject().getString("error").contains("a listener named 'x' exists already (version 2)"), taken.bodyAsString());
    assertEquals(400, putOver("x", v1, "W/\"2\", \"3\"").statusCode());

    // The bridge's define takes the version in its body, with the same answers.
    io.vertx.core.eventbus.ReplyException refused = org.junit.jupiter.api.Assertions.assertThrows(io.vertx.core.eventbus.ReplyException.class,
        () -> app.vertx().eventBus().request(dev.switchboard.core.Addresses.CONTROL, new JsonObject().put("action", "define")
            .put("name", "x").put("definition", v1).put("version", 1)).await());
    assertEquals(412, refused.failureCode());
    JsonObject over2 = app.vertx().eventBus().<JsonObject>request(dev.switchboard.core.Addresses.CONTROL, new JsonObject()
        .put("action", "define").put("name", "x").put("definition", v1).put("version", 2)).await().body();
    assertEquals("updated", over2.getString("status"));
    assertEquals(3, over2.getLong("version"));

    // Removed and defined again (by someone else): a version read before the removal is not the new listener's,
    // through a restart of the process too.
    String readBefore = send(HttpMethod.GET, "/api/listeners/x/config", null).getHeader("ETag");
    assertEquals("\"3\"", readBefore);
    assertEquals(200, send(HttpMethod.DELETE, "/api/listeners/x", null).statusCode());
    app.stop().await();
    start(vertx, ServerFixture.config(dataDir));
    HttpResponse<Buffer> again = putOver("x", v1.copy().put("url", "ws://127.0.0.1:9/again"), "\"0\"");
    assertEquals(201, again.statusCode(), again.bodyAsString());
    assertEquals(4, again.bodyAsJsonObject().getLong("version"), "goes on from the removed listener's version");
    HttpResponse<Buffer> stale = putOver("x", v1, readBefore);
    assertEquals(412, stale.statusCode(), stale.bodyAsString());
    assertEquals(412, putOver("x", v1, "\"1\"").statusCode(), "nor is the first version the old listener had");
    assertEquals("ws://127.0.0.1:9/again", send(HttpMethod.GET, "/api/listeners/x/config", null).bodyAsJsonObject()
        .getJsonObject("definition").getString("url"), "the new listener stands");
  }

  @Test
  @DisplayName("delete while in backoff: the pending retry is cancelled, no connection is ever made")
  void deleteDuringBackoff(Vertx vertx) throws Exception {
    FeedSimulator refusing = simulator(vertx, 0);
    refusing.refuse(true).await();
    start(vertx, ServerFixture.config(dataDir));
    JsonObject definition = feed(refusing.url(), true);
    definition.getJsonObject("restart").put("initialDelay", "300ms").put("maxDelay", "300ms");
    assertEquals(201, put("retrying", definition).statusCode());
    Await.until(WAIT, "in backoff", () -> "BACKOFF".equals(state("retrying")));
    assertEquals(200, send(HttpMethod.DELETE, "/api/listeners/retrying", null).statusCode());
    refusing.refuse(false).await();
    long deadline = System.currentTimeMillis() + 1_000; // three backoff periods: a retry would have come
    Await.until(Duration.ofSeconds(5), "three backoff periods", () -> System.currentTimeMillis() > deadline);
    assertEquals(0, refusing.totalConnections());
    assertEquals("ABSENT", state("retrying"));
  }

  @Test
  @DisplayName("invalid definitions: 400 with the field's path, and nothing changed")
  void validation(Vertx vertx) {
    start(vertx, ServerFixture.config(dataDir));
    JsonObject good = feed("ws://127.0.0.1:9/x", false);
    assertError(put("x", good.copy().put("restart", new JsonObject().put("initialDelay", "soon"))), 400, "restart.initialDelay");
    assertError(put("x", good.copy().put("type", "carrier-pigeon")), 400, "type");
    assertError(put("x", good.copy().put("colour", "blue")), 400, "colour");
    assertError(put("x", good.copy().put("autoStart", "yes")), 400, "autoStart");
    assertError(put("x", good.copy().put("url", "http://example.com")), 400, "url");
    assertError(put("x", good.copy().put("url", "ws://127.0.0.1:99999/x")), 400, "url");
    assertError(put("x", good.copy().put("restart", new JsonObject().put("connectTimeout", "600h"))), 400, "restart.connectTimeout");
    assertError(put("x", good.copy().put("name", "y")), 400, "name");
    assertError(put("bad.name", good), 400, "name");
    assertError(put("x", good.copy().put("url", "${NOT_SET_ANYWHERE}")), 400, "url");
    HttpResponse<Buffer> notJson = send(HttpMethod.PUT, "/api/listeners/x", "{not json");
    assertEquals(400, notJson.statusCode());
    assertEquals("the body is not valid JSON: line 1, column 2: Unexpected character ('n' (code 110)): was expecting"
        + " double-quote to start field name", notJson.bodyAsJsonObject().getString("error"));
    HttpResponse<Buffer> huge = send(HttpMethod.PUT, "/api/listeners/x", good.copy().put("onConnect", new JsonArray().add("x".repeat(70_000))));
    assertEquals(413, huge.statusCode());
    HttpResponse<Buffer> noToken = http.put("/api/listeners/x").sendJsonObject(good).await();
    assertEquals(401, noToken.statusCode());
    assertEquals(401, http.delete("/api/listeners/x").send().await().statusCode());
    assertEquals("ABSENT", state("x"));
    assertFalse(http.get("/api/listeners").send().await().bodyAsString().contains("\"x\""));

    HttpResponse<Buffer> valid = http.post("/api/kinds/upstream/validate").sendJsonObject(good).await();
    assertEquals(200, valid.statusCode(), valid.bodyAsString());
    assertError(http.post("/api/kinds/upstream/validate").sendJsonObject(good.copy().put("maxFrameSize", 3)).await(), 400, "maxFrameSize");
    assertEquals(404, http.post("/api/kinds/nope/validate").sendJsonObject(good).await().statusCode());
    assertEquals("ABSENT", state("x"));
  }

  @Test
  @DisplayName("checking a definition: placeholders need the token, a name cannot be one (and its refusal shows no environment "
      + "value), no error tells which of the sender's own words is a secret, a check keeps nothing, a secret sent back masked stands for the stored one, numbers past 64 bits are refused")
  void checkingADefinition(Vertx vertx) {
    FeedSimulator sim = simulator(vertx, 0);
    start(vertx, ServerFixture.config(dataDir));
    String validate = "/api/kinds/upstream/validate";
    String host = java.net.URI.create(sim.url()).getHost();
    assertEquals(201, put("watched", feed(sim.url(), false).put("headers", new JsonObject().put("Authorization", "Bearer kept"))).statusCode());

    // Placeholders are resolved from the server's environment: not for a caller without the token.
    JsonObject probe = new JsonObject().put("url", sim.url()).put("name", "A".repeat(43) + "${TEST_TOKEN}");
    HttpResponse<Buffer> refused = http.post(validate).sendJsonObject(probe).await();
    assertEquals(401, refused.statusCode(), refused.bodyAsString());
    assertTrue(refused.bodyAsJsonObject().getString("error").contains("placeholders"), refused.bodyAsString());
    // With it, a name is still no place for one (it is read as written), and the refusal shows none of the token.
    HttpResponse<Buffer> answer = send(HttpMethod.POST, validate, probe);
    assertError(answer, 400, "name");
    assertEquals("cannot be a placeholder (${...}): write it out", answer.bodyAsJsonObject().getJsonArray("fields").getJsonObject(0)
        .getString("message"), answer.bodyAsString());
    assertFalse(answer.bodyAsString().contains(ServerFixture.TOKEN.substring(0, 8)), answer.bodyAsString());

    // Without placeholders or a masked secret, an error shows the sender's own text as sent, the same for a word
    // that is a secret here (the control token, a stored header) as for any other: no way to test guesses.
    String guesses = "guess-1 " + ServerFixture.TOKEN + " Bearer kept guess-2";
    HttpResponse<Buffer> guessed = http.post(validate).sendJsonObject(new JsonObject().put("url", sim.url())
        .put("restart", new JsonObject().put("initialDelay", guesses))).await();
    assertError(guessed, 400, "restart.initialDelay");
    assertTrue(guessed.bodyAsJsonObject().getString("error").endsWith("not " + guesses), guessed.bodyAsString());

    // A check keeps nothing: what it was sent as a secret is not masked from then on.
    JsonObject withHeader = new JsonObject().put("url", sim.url()).put("headers", new JsonObject().put("X-Host", host));
    assertEquals(200, http.post(validate).sendJsonObject(withHeader).await().statusCode());
    assertTrue(status("watched").getString("websocket_url").contains(host), status("watched").encode());

    // The edit form sends the stored definition back with its secrets masked, as a PUT would take it.
    JsonObject shown = send(HttpMethod.GET, "/api/listeners/watched/config", null).bodyAsJsonObject().getJsonObject("definition");
    assertEquals("***", shown.getValue("headers"));
    HttpResponse<Buffer> masked = send(HttpMethod.POST, validate, shown);
    assertEquals(200, masked.statusCode(), masked.bodyAsString());
    assertError(send(HttpMethod.POST, validate, shown.copy().put("name", "new-one")), 400, "headers");
    // The stored secret it stands for may hold placeholders: not without the token either.
    assertEquals(401, http.post(validate).sendJsonObject(shown).await().statusCode());

    // A number past 64 bits is refused, not wrapped into the range (2^64 + 65536, 2^64 + 5 ms).
    String url = new JsonObject().put("url", sim.url()).encode();
    String tooBig = url.substring(0, url.length() - 1) + ", \"maxFrameSize\": 18446744073709617152}";
    assertError(http.post(validate).sendBuffer(Buffer.buffer(tooBig)).await(), 400, "maxFrameSize");
    String tooLong = url.substring(0, url.length() - 1) + ", \"restart\": {\"initialDelay\": 18446744073709551621}}";
    assertError(http.post(validate).sendBuffer(Buffer.buffer(tooLong)).await(), 400, "restart.initialDelay");
  }

  private static void assertError(HttpResponse<Buffer> response, int code, String path) {
    assertEquals(code, response.statusCode(), response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    assertTrue(body.getString("error") != null && !body.getString("error").isBlank(), body.encode());
    assertEquals(path, body.getJsonArray("fields").getJsonObject(0).getString("path"), body.encode());
  }

  @Test
  @DisplayName("placeholders: numbers from the environment are numbers; literal secrets are masked and kept in a 0600 file")
  void placeholdersAndSecrets(Vertx vertx) throws Exception {
    FeedSimulator sim = simulator(vertx, 0);
    start(vertx, ServerFixture.config(dataDir));
    JsonObject definition = feed(sim.url(), true)
        .put("maxFrameSize", "${FRAME_SIZE:-4096}")
        .put("headers", new JsonObject().put("Authorization", "Bearer literal-secret-123"))
        .put("onConnect", new JsonArray().add("LOGIN operator pa55-literal-456"));
    HttpResponse<Buffer> created = put("secretive", definition);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    Await.until(WAIT, "connected", () -> "CONNECTED".equals(state("secretive")));
    assertEquals("Bearer literal-secret-123", sim.lastHandshake().headers().get("Authorization"));
    Await.until(WAIT, "the login sent", () -> sim.received().contains("LOGIN operator pa55-literal-456"));
    HttpResponse<Buffer> config = send(HttpMethod.GET, "/api/listeners/secretive/config", null);
    JsonObject shown = config.bodyAsJsonObject().getJsonObject("definition");
    assertEquals("***", shown.getValue("headers"));
    assertEquals("***", shown.getValue("onConnect"), "onConnect may log in: masked like headers");
    assertFalse(config.bodyAsString().contains("pa55-literal"), config.bodyAsString());
    assertEquals("${FRAME_SIZE:-4096}", shown.getValue("maxFrameSize"), "a placeholder in a field that is not secret is shown as written");
    Path file = dataDir.resolve("definitions.json");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    // Sent back masked, as a form would: the stored secret is kept, and nothing changed.
    assertEquals("unchanged", put("secretive", shown).bodyAsJsonObject().getString("status"));
    assertEquals(1, sim.totalConnections());
  }

  @Test
  @DisplayName("a Vert.x closed without stop() (a crash played in a test) lets its data directory go")
  void dataDirectoryLetGoWithVertx(Vertx vertx) {
    JsonObject config = ServerFixture.config(dataDir);
    start(vertx, config);
    app.vertx().close().await();
    app = null;
    start(vertx, config);
    assertEquals(200, http.get("/api/listeners").send().await().statusCode());
  }

  @Test
  @DisplayName("a runtime listener's desired state survives a restart of the process, whatever a later change made its autoStart")
  void desiredStateAfterAChange(Vertx vertx) {
    FeedSimulator sim = simulator(vertx, 20);
    JsonObject config = ServerFixture.config(dataDir.resolve("data"));
    start(vertx, config);
    assertEquals(201, put("running", feed(sim.url(), true)).statusCode());
    assertEquals(201, put("idle", feed(sim.url(), false)).statusCode());
    Await.until(WAIT, "running connected", () -> "CONNECTED".equals(state("running")));
    // Each change keeps the listener as it is: running keeps running, idle stays stopped.
    assertEquals(200, put("running", feed(sim.url(), false)).statusCode());
    assertEquals(200, put("idle", feed(sim.url(), true)).statusCode());
    Await.until(WAIT, "running connected again", () -> "CONNECTED".equals(state("running")));
    assertEquals("STOPPED", state("idle"));
    // Its data directory is this instance's alone, until it stops.
    long connections = sim.totalConnections();
    Throwable refused = assertThrows(Exception.class, () -> ServerFixture.start(config));
    assertTrue(String.valueOf(refused.getMessage()).contains("is in use by another Switchboard in this process"), refused.toString());
    assertEquals(connections, sim.totalConnections(), "the refused instance connected nothing");
    app.stop().await();

    start(vertx, config);
    Await.until(WAIT, "running connected after the restart", () -> "CONNECTED".equals(state("running")));
    JsonObject idle = status("idle");
    assertEquals("STOPPED", idle.getString("state"), idle.encode());
    assertFalse(idle.getBoolean("is_active"));
    assertEquals(0L, idle.getLong("deployments"));
  }

  @Test
  @DisplayName("a change whose companion cannot start leaves the listener FAILED with the reason, not half-deployed; a start once the cause is fixed brings it back whole")
  void companionThatCannotStart(Vertx vertx) throws IOException {
    HomeAssistantSimulator ha = new HomeAssistantSimulator(HomeAssistantSimulatorOptions.defaults());
    vertx.deployVerticle(ha).await();
    Path data = dataDir.resolve("data");
    start(vertx, ServerFixture.config(data));
    JsonObject home = new JsonObject().put("type", "homeassistant").put("autoStart", true).put("url", ha.url())
        .put("token", HomeAssistantSimulatorOptions.DEMO_TOKEN).put("restart", new JsonObject().put("initialDelay", "20ms"));
    assertEquals(201, put("home", home).statusCode());
    Await.until(WAIT, "home connected", () -> "CONNECTED".equals(state("home")));

    // The companion keeps its counters in this file: a directory there makes its next start fail.
    Path counters = data.resolve("homeassistant-home.json");
    Await.until(WAIT, "the counter file blocked", () -> {
      try {
        Files.deleteIfExists(counters);
        Files.createDirectories(counters.resolve("blocked"));
        return true;
      } catch (IOException raced) { // the companion wrote it again in between
        return false;
      }
    });
    HttpResponse<Buffer> changed = put("home", home.copy().put("commandTimeout", "5s"));
    assertEquals(500, changed.statusCode(), changed.bodyAsString());
    assertTrue(changed.bodyAsJsonObject().getString("error").contains("its companions could not start"), changed.bodyAsString());
    JsonObject failed = status("home");
    assertEquals("FAILED", failed.getString("state"), failed.encode());
    assertEquals("companion", failed.getJsonObject("last_error").getString("code"));
    assertTrue(failed.getBoolean("is_active"), "still wanted");

    Files.delete(counters.resolve("blocked"));
    Files.delete(counters);
    HttpResponse<Buffer> started = send(HttpMethod.POST, "/api/listeners/home/start", null);
    assertEquals(200, started.statusCode(), started.bodyAsString());
    Await.until(WAIT, "home connected again", () -> "CONNECTED".equals(state("home")));
    // The companion is back: it answers with the states the new connection read.
    Await.until(WAIT, "the companion answers with states", () -> !app.vertx().eventBus()
        .<JsonObject>request("homeassistant.home.states", new JsonObject()).await().body().getJsonArray("states").isEmpty());
  }

  @Test
  @DisplayName("a companion that cannot start when the process starts: that listener is FAILED with the reason, the process and the other listeners run")
  void companionThatCannotStartAtProcessStart(Vertx vertx) throws IOException {
    HomeAssistantSimulator ha = new HomeAssistantSimulator(HomeAssistantSimulatorOptions.defaults());
    vertx.deployVerticle(ha).await();
    FeedSimulator sim = simulator(vertx, 20);
    Path data = dataDir.resolve("data");
    // The companion keeps its counters in this file: a directory there makes its start fail.
    Path counters = data.resolve("homeassistant-home.json");
    Files.createDirectories(counters.resolve("blocked"));
    JsonObject home = new JsonObject().put("name", "home").put("type", "homeassistant").put("autoStart", true).put("url", ha.url())
        .put("token", HomeAssistantSimulatorOptions.DEMO_TOKEN).put("restart", new JsonObject().put("initialDelay", "20ms"));
    start(vertx, ServerFixture.config(data, ServerFixture.feedListener("feed", sim.url(), true), home));

    Await.until(WAIT, "the feed connected", () -> "CONNECTED".equals(state("feed")));
    JsonObject failed = status("home");
    assertEquals("FAILED", failed.getString("state"), failed.encode());
    assertEquals("companion", failed.getJsonObject("last_error").getString("code"));
    assertEquals(0L, failed.getLong("deployments"), "no instance without its companion");

    Files.delete(counters.resolve("blocked"));
    Files.delete(counters);
    HttpResponse<Buffer> started = send(HttpMethod.POST, "/api/listeners/home/start", null);
    assertEquals(200, started.statusCode(), started.bodyAsString());
    Await.until(WAIT, "home connected", () -> "CONNECTED".equals(state("home")));
  }

  @Test
  @DisplayName("defaultListener may name a listener defined at run time: /listener/status answers 404 until it is defined")
  void defaultListenerDefinedAtRunTime(Vertx vertx) {
    FeedSimulator sim = simulator(vertx, 20);
    start(vertx, ServerFixture.config(dataDir).put("defaultListener", "later"));
    assertEquals(404, send(HttpMethod.GET, "/listener/status", null).statusCode());
    assertEquals(201, put("later", feed(sim.url(), true)).statusCode());
    HttpResponse<Buffer> status = send(HttpMethod.GET, "/listener/status", null);
    assertEquals(200, status.statusCode(), status.bodyAsString());
    assertEquals("later", status.bodyAsJsonObject().getString("name"), status.bodyAsString());
  }

  @Test
  @DisplayName("definitions survive a restart of the process; the data dir is the truth until a reload applies the file")
  void persistenceAndReload(Vertx vertx) throws Exception {
    FeedSimulator sim = simulator(vertx, 20);
    Path file = dataDir.resolve("switchboard.json");
    JsonObject config = ServerFixture.config(dataDir.resolve("data"), ServerFixture.feedListener("from-file", sim.url(), true));
    Files.writeString(file, config.encodePrettily());
    app = Switchboard.start(new dev.switchboard.server.config.ConfigLoader(Map.of("TEST_TOKEN", ServerFixture.TOKEN)).load(file)).await();
    this.vertx = vertx;
    http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(app.httpPort()));
    assertEquals(201, put("at-runtime", feed(sim.url(), true)).statusCode());
    Await.until(WAIT, "both connected", () -> "CONNECTED".equals(state("at-runtime")) && "CONNECTED".equals(state("from-file")));
    app.stop().await();

    // The file changes while the process is down: the data dir stays the truth.
    JsonObject edited = ServerFixture.config(dataDir.resolve("data"), ServerFixture.feedListener("from-file", sim.url(), true),
        ServerFixture.feedListener("also-from-file", sim.url(), true));
    Files.writeString(file, edited.encodePrettily());
    app = Switchboard.start(new dev.switchboard.server.config.ConfigLoader(Map.of("TEST_TOKEN", ServerFixture.TOKEN)).load(file)).await();
    http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(app.httpPort()));
    Await.until(WAIT, "the runtime listener is back", () -> "CONNECTED".equals(state("at-runtime")));
    assertEquals("ABSENT", state("also-from-file"));

    HttpResponse<Buffer> reloaded = send(HttpMethod.POST, "/api/reload", null);
    assertEquals(200, reloaded.statusCode(), reloaded.bodyAsString());
    JsonObject outcomes = reloaded.bodyAsJsonObject().getJsonObject("listeners");
    assertEquals("unchanged", outcomes.getString("from-file"));
    assertEquals("created", outcomes.getString("also-from-file"));
    assertEquals("removed", outcomes.getString("at-runtime"));
    assertEquals(List.of("also-from-file", "at-runtime", "from-file"), List.copyOf(outcomes.fieldNames()), "by name, every time");
    Await.until(WAIT, "the file's listeners run", () -> "CONNECTED".equals(state("also-from-file")));
    assertEquals("ABSENT", state("at-runtime"));

    // A broken file changes nothing.
    Files.writeString(file, edited.copy().put("listeners", new JsonArray().add(new JsonObject().put("name", "x"))).encodePrettily());
    HttpResponse<Buffer> broken = send(HttpMethod.POST, "/api/reload", null);
    assertEquals(400, broken.statusCode());
    assertTrue(broken.bodyAsJsonObject().getString("error").contains("listeners[0].type"), broken.bodyAsString());
    assertEquals("CONNECTED", state("also-from-file"));

    // Two reloads at once (two SIGHUPs) run one after the other: the file read last is the one applied last.
    for (int round = 0; round < 5; round++) { // without the order, about one run in two failed
      Files.writeString(file, edited.encodePrettily());
      io.vertx.core.Future<Map<String, String>> first = app.reload();
      Files.writeString(file, config.encodePrettily());
      app.reload().await();
      assertTrue(first.isComplete(), "the first was applied before the second read the file");
      assertEquals("ABSENT", state("also-from-file"), "the file as last written was applied last");
    }
    assertEquals("CONNECTED", state("from-file"));
  }

  @Test
  @DisplayName("200 random define/remove/start/stop, ten at a time: never two connections for the listener; the end state is the last request's")
  void randomOperations(Vertx vertx) {
    FeedSimulator a = simulator(vertx, 50);
    FeedSimulator b = simulator(vertx, 50);
    start(vertx, ServerFixture.config(dataDir));
    Random random = new Random(42);
    for (int batch = 0; batch < 20; batch++) {
      List<io.vertx.core.Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        String path = "/api/listeners/churn";
        inFlight.add(switch (random.nextInt(4)) {
          case 0 -> http.put(path).bearerTokenAuthentication(ServerFixture.TOKEN)
              .sendJsonObject(feed(random.nextBoolean() ? a.url() : b.url(), true));
          case 1 -> http.delete(path).bearerTokenAuthentication(ServerFixture.TOKEN).send();
          case 2 -> http.post(path + "/start").bearerTokenAuthentication(ServerFixture.TOKEN).send();
          default -> http.post(path + "/stop").bearerTokenAuthentication(ServerFixture.TOKEN).send();
        });
      }
      io.vertx.core.Future.join(new ArrayList<>(inFlight)).await();
      for (var r : inFlight) {
        int code = r.result().statusCode();
        assertTrue(code == 200 || code == 201 || code == 404, code + " " + r.result().bodyAsString());
      }
      assertTrue(a.maxConcurrentConnections() <= 1, "upstream a saw " + a.maxConcurrentConnections() + " connections at once");
      assertTrue(b.maxConcurrentConnections() <= 1, "upstream b saw " + b.maxConcurrentConnections() + " connections at once");
    }
    // The last request, alone: what it asks for is what holds.
    switch (random.nextInt(3)) {
      case 0 -> {
        send(HttpMethod.DELETE, "/api/listeners/churn", null);
        assertEquals("ABSENT", state("churn"));
        Await.until(WAIT, "no connection left", () -> a.concurrentConnections() + b.concurrentConnections() == 0);
      }
      case 1 -> {
        put("churn", feed(a.url(), true));
        assertEquals("stopped", send(HttpMethod.POST, "/api/listeners/churn/stop", null).bodyAsJsonObject().getString("status"));
        assertEquals("STOPPED", state("churn"));
        Await.until(WAIT, "no connection left", () -> a.concurrentConnections() + b.concurrentConnections() == 0);
      }
      default -> {
        put("churn", feed(b.url(), true));
        send(HttpMethod.POST, "/api/listeners/churn/start", null);
        Await.until(WAIT, "one connection, to the last URL", () -> "CONNECTED".equals(state("churn"))
            && b.concurrentConnections() == 1 && a.concurrentConnections() == 0);
      }
    }
    assertTrue(a.maxConcurrentConnections() <= 1 && b.maxConcurrentConnections() <= 1);
  }
}
