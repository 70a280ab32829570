package dev.switchboard.server;

import dev.switchboard.core.testing.Await;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/openapi.json against the real server, so that it cannot drift: every route the router has on
 * the API's paths is documented, every documented operation is called, and every answer has a status
 * the document lists for it, its media type, and a body that fits the documented schema.
 */
@ExtendWith(VertxExtension.class)
class OpenApiContractTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /**
   * Documented ahead of their routes, which come with the orchestrator probes being added on main.
   * Until then the router lacks them and their calls are skipped; once routed, they are checked like
   * every other operation, whatever this says.
   */
  private static final Set<String> NOT_YET_ROUTED = Set.of("GET /health/live", "GET /health/ready");

  @TempDir
  Path dataDir;
  private FeedSimulator sim;
  private Switchboard app;
  private WebClient http;
  private JsonObject openApi;

  /** One request: which documented operation it exercises, and the status it should get. */
  private record Call(HttpMethod method, String uri, String operation, boolean withToken, JsonObject body, Set<Integer> expected,
      String ifMatch) {
    Call(HttpMethod method, String uri, String operation, boolean withToken, JsonObject body, Set<Integer> expected) {
      this(method, uri, operation, withToken, body, expected, null);
    }

    String describe() {
      return method + " " + uri + (withToken ? " (token)" : "") + (ifMatch == null ? "" : " If-Match: " + ifMatch);
    }
  }

  @BeforeEach
  void setUp(Vertx vertx) throws IOException {
    sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(20));
    vertx.deployVerticle(sim).await();
    // From a file, so that POST /api/reload has something to read again.
    JsonObject config = ServerFixture.config(dataDir.resolve("data"), ServerFixture.feedListener("feed", sim.url(), true))
        .put("defaultListener", "feed");
    Path file = dataDir.resolve("switchboard.json");
    Files.writeString(file, config.encodePrettily());
    app = Switchboard.start(new ConfigLoader(Map.of("TEST_TOKEN", ServerFixture.TOKEN)).load(file)).await();
    http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(app.httpPort()));
    openApi = new JsonObject(Files.readString(docs().resolve("openapi.json")));
  }

  @AfterEach
  void tearDown() {
    app.stop().await();
  }

  /** {@code "GET /api/listeners/{name}"} for each operation of the document. */
  private Set<String> documented() {
    Set<String> operations = new TreeSet<>();
    JsonObject paths = openApi.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String key : paths.getJsonObject(path).fieldNames()) {
        if (!key.equals("parameters")) {
          operations.add(key.toUpperCase(Locale.ROOT) + " " + path);
        }
      }
    }
    return operations;
  }

  /** The router's routes on the API's paths, written as the document writes them. */
  private Set<String> routed() {
    return app.apiRoutes().stream().map(r -> r.replaceAll(":([A-Za-z0-9_]+)", "{$1}")).collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  @DisplayName("every route of the API is documented, and only routes (and the probes coming from main) are")
  void routesAreDocumented() {
    Set<String> routed = routed();
    Set<String> documented = documented();
    Set<String> undocumented = new TreeSet<>(routed);
    undocumented.removeAll(documented);
    assertEquals(Set.of(), undocumented, "routes missing from docs/openapi.json");
    Set<String> unrouted = new TreeSet<>(documented);
    unrouted.removeAll(routed);
    unrouted.removeAll(NOT_YET_ROUTED);
    assertEquals(Set.of(), unrouted, "documented operations the server does not have");
  }

  @Test
  @DisplayName("every documented operation, called on the real server, answers a documented status with a body of the documented shape")
  void answersMatchTheDocument() {
    Await.until(WAIT, "feed connected", () -> "CONNECTED".equals(http.get("/api/listeners/feed").send().await()
        .bodyAsJsonObject().getString("state")));
    JsonObject extra = new JsonObject().put("type", "upstream").put("url", sim.url()).put("autoStart", false);
    JsonObject invalid = new JsonObject().put("type", "upstream").put("url", "http://not-a-websocket");
    List<Call> calls = List.of(
        get("/api/listeners", "/api/listeners", 200),
        get("/api/listeners/feed", "/api/listeners/{name}", 200),
        get("/api/listeners/nope", "/api/listeners/{name}", 404),
        get("/api/listeners/feed/config", "/api/listeners/{name}/config", 200),
        get("/api/listeners/nope/config", "/api/listeners/{name}/config", 404),
        get("/api/kinds", "/api/kinds", 200),
        get("/api/cluster", "/api/cluster", 200),
        get("/api/bridge", "/api/bridge", 200),
        call(HttpMethod.POST, "/api/kinds/upstream/validate", "/api/kinds/{type}/validate", false, new JsonObject().put("url", sim.url()), 200),
        call(HttpMethod.POST, "/api/kinds/upstream/validate", "/api/kinds/{type}/validate", false, new JsonObject().put("url", "http://x"), 400),
        call(HttpMethod.POST, "/api/kinds/nope/validate", "/api/kinds/{type}/validate", false, new JsonObject(), 404),
        call(HttpMethod.POST, "/api/kinds/upstream/validate", "/api/kinds/{type}/validate", false,
            new JsonObject().put("url", "ws://${FEED_HOST}/ws"), 401),
        call(HttpMethod.PUT, "/api/listeners/extra", "/api/listeners/{name}", true, extra, 201),
        call(HttpMethod.PUT, "/api/listeners/extra", "/api/listeners/{name}", true, extra, 200),
        call(HttpMethod.PUT, "/api/listeners/extra", "/api/listeners/{name}", true, invalid, 400),
        new Call(HttpMethod.PUT, "/api/listeners/extra", "PUT /api/listeners/{name}", true, extra.copy().put("maxFrameSize", 4096),
            Set.of(412), "\"7\""),
        call(HttpMethod.PUT, "/api/listeners/extra", "/api/listeners/{name}", false, extra, 401),
        call(HttpMethod.POST, "/api/listeners/extra/start", "/api/listeners/{name}/{action}", true, null, 200),
        call(HttpMethod.POST, "/api/listeners/extra/restart", "/api/listeners/{name}/{action}", true, null, 200),
        call(HttpMethod.POST, "/api/listeners/extra/stop", "/api/listeners/{name}/{action}", true, null, 200),
        call(HttpMethod.POST, "/api/listeners/extra/stop", "/api/listeners/{name}/{action}", false, null, 401),
        call(HttpMethod.POST, "/api/listeners/nope/start", "/api/listeners/{name}/{action}", true, null, 404),
        call(HttpMethod.POST, "/api/listeners/extra/explode", "/api/listeners/{name}/{action}", true, null, 404),
        call(HttpMethod.DELETE, "/api/listeners/extra", "/api/listeners/{name}", false, null, 401),
        call(HttpMethod.DELETE, "/api/listeners/extra", "/api/listeners/{name}", true, null, 200),
        call(HttpMethod.DELETE, "/api/listeners/extra", "/api/listeners/{name}", true, null, 404),
        call(HttpMethod.POST, "/api/reload", "/api/reload", false, null, 401),
        call(HttpMethod.POST, "/api/reload", "/api/reload", true, null, 200),
        get("/listener/status", "/listener/status", 200),
        call(HttpMethod.POST, "/listener/stop", "/listener/{action}", true, null, 200),
        call(HttpMethod.POST, "/listener/start", "/listener/{action}", true, null, 200),
        call(HttpMethod.POST, "/listener/restart", "/listener/{action}", true, null, 200),
        call(HttpMethod.POST, "/listener/stop", "/listener/{action}", false, null, 401),
        new Call(HttpMethod.GET, "/health", "GET /health", false, null, Set.of(200, 503)),
        get("/health/live", "/health/live", 200),
        get("/health/ready", "/health/ready", 200),
        get("/metrics", "/metrics", 200));

    Set<String> routed = routed();
    Set<String> called = new TreeSet<>();
    List<String> problems = new ArrayList<>();
    for (Call call : calls) {
      if (!routed.contains(call.operation()) && NOT_YET_ROUTED.contains(call.operation())) {
        continue;
      }
      called.add(call.operation());
      problems.addAll(check(call));
    }
    assertEquals(List.of(), problems);
    Set<String> uncalled = new TreeSet<>(documented());
    uncalled.removeAll(called);
    uncalled.removeIf(op -> NOT_YET_ROUTED.contains(op) && !routed.contains(op));
    assertEquals(Set.of(), uncalled, "documented operations no call exercises: add one above");
  }

  private static Call get(String uri, String path, int expected) {
    return new Call(HttpMethod.GET, uri, "GET " + path, false, null, Set.of(expected));
  }

  private static Call call(HttpMethod method, String uri, String path, boolean withToken, JsonObject body, int expected) {
    return new Call(method, uri, method.name() + " " + path, withToken, body, Set.of(expected));
  }

  /** Sends the call and answers what does not match the document (or the call's own expectation). */
  private List<String> check(Call call) {
    String[] operation = call.operation().split(" ", 2);
    JsonObject described = openApi.getJsonObject("paths").getJsonObject(operation[1]);
    if (described == null || !described.containsKey(operation[0].toLowerCase(Locale.ROOT))) {
      return List.of(call.describe() + ": " + call.operation() + " is not in the document");
    }
    HttpRequest<Buffer> request = http.request(call.method(), call.uri());
    if (call.withToken()) {
      request.bearerTokenAuthentication(ServerFixture.TOKEN);
    }
    if (call.ifMatch() != null) {
      request.putHeader("If-Match", call.ifMatch());
    }
    HttpResponse<Buffer> answer = call.body() == null ? request.send().await() : request.sendJsonObject(call.body()).await();
    String code = String.valueOf(answer.statusCode());
    String seen = call.describe() + " -> " + code;
    if (!call.expected().contains(answer.statusCode())) {
      return List.of(seen + ": expected " + call.expected() + "; " + answer.bodyAsString());
    }
    JsonObject responses = described.getJsonObject(operation[0].toLowerCase(Locale.ROOT)).getJsonObject("responses");
    JsonObject response = responses.getJsonObject(code);
    if (response == null) {
      return List.of(seen + ": not a documented status (" + responses.fieldNames() + ")");
    }
    response = resolveResponse(response);
    JsonObject content = response.getJsonObject("content");
    if (content == null) {
      return answer.body() == null || answer.body().length() == 0 ? List.of() : List.of(seen + ": a body where none is documented");
    }
    String mediaType = content.fieldNames().iterator().next();
    String contentType = answer.getHeader("Content-Type");
    if (contentType == null || !contentType.startsWith(mediaType)) {
      return List.of(seen + ": Content-Type " + contentType + ", documented " + mediaType);
    }
    if (!mediaType.equals("application/json")) {
      return answer.bodyAsString().isEmpty() ? List.of(seen + ": an empty body") : List.of();
    }
    Object body;
    try {
      body = answer.body().toJsonValue(); // JsonObject, JsonArray or a plain value
    } catch (io.vertx.core.json.DecodeException e) {
      return List.of(seen + ": the body is not JSON: " + answer.bodyAsString());
    }
    return new JsonSchemaSubset(openApi).problems(body, content.getJsonObject(mediaType).getJsonObject("schema")).stream()
        .map(p -> seen + ": " + p).toList();
  }

  private JsonObject resolveResponse(JsonObject response) {
    String ref = response.getString("$ref");
    if (ref == null) {
      return response;
    }
    return openApi.getJsonObject("components").getJsonObject("responses").getJsonObject(ref.substring("#/components/responses/".length()));
  }

  /** docs/ at the top of the project, wherever Maven runs the tests from. */
  private static Path docs() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("docs"))) {
      dir = dir.getParent();
    }
    assertTrue(dir != null, "no docs/ above " + Path.of("").toAbsolutePath());
    return dir.resolve("docs");
  }
}
