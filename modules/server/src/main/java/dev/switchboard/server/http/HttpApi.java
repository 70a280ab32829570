package dev.switchboard.server.http;

import dev.switchboard.core.ControlException;
import dev.switchboard.core.ControlPlane;
import dev.switchboard.core.JsonSyntax;
import dev.switchboard.core.Secrets;
import dev.switchboard.server.config.SwitchboardConfig;
import dev.switchboard.server.fanout.FanoutEndpoint;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.micrometer.backends.BackendRegistries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The HTTP face of Switchboard: the REST API (a thin translation of the {@link ControlPlane}), the
 * single-listener compatibility routes, health, metrics, the bridge and the dashboard.
 */
public class HttpApi extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final Logger AUDIT = LoggerFactory.getLogger("switchboard.audit");
  /** The largest definition accepted: far above any real one, far below what could hurt. */
  static final int MAX_BODY_BYTES = 64 * 1024;

  private final SwitchboardConfig config;
  private final String metricsRegistry;
  private final ControlPlane control;
  private final Supplier<Future<Map<String, String>>> reload;
  private final java.util.function.BooleanSupplier ready;
  private final Supplier<JsonObject> cluster;
  private final ControlToken token;
  private HttpServer server;
  private FanoutEndpoint fanout;
  private BrowserBridge sockJs;
  private RequestDeadlines deadlines;
  private ConnectionCap connections;
  private ApiFallback apiFallback;
  private BodyBudget bodies;

  /**
   * @param reload re-reads the config file and applies its listeners (the answer per listener)
   * @param ready   true once everything is deployed (and, in a cluster, a majority is present): what {@code /health/ready} says
   * @param cluster what {@code GET /api/cluster} answers: this node and the nodes it sees
   */
  public HttpApi(SwitchboardConfig config, String metricsRegistry, ControlPlane control, Supplier<Future<Map<String, String>>> reload,
                 java.util.function.BooleanSupplier ready, Supplier<JsonObject> cluster) {
    this.config = config;
    this.metricsRegistry = metricsRegistry;
    this.control = control;
    this.reload = reload;
    this.ready = ready;
    this.cluster = cluster;
    this.token = new ControlToken(config.http().controlToken());
  }

  @Override
  public Future<?> start() {
    if (ControlToken.isPublicDemo(config.http().controlToken())) {
      LOG.warn("http.controlToken is the public demo token from the README: any program on this machine may control the listeners."
          + " Set SWITCHBOARD_TOKEN in the environment to a secret of your own (the demo config reads it)");
    } else if (config.http().controlToken().length() < ControlToken.RECOMMENDED_LENGTH) {
      // Wrong tokens are slowed per connection, not per address: many connections guess in parallel (api.md).
      LOG.warn("http.controlToken is shorter than {} characters: many connections together can try many guesses a second."
          + " Use a long random one (openssl rand -hex 32)", ControlToken.RECOMMENDED_LENGTH);
    }
    bodies = new BodyBudget(BodyBudget.forHeap(Runtime.getRuntime().maxMemory()),
        Math.max(MAX_BODY_BYTES, config.http().bridge().maxMessageSize()));
    Router router = Router.router(vertx);
    // First of all, on every answer (refusals included): what the browser may do with it.
    router.route().handler(new SecurityHeaders());
    // Then: a request for a name this server is not (DNS rebinding) reaches nothing.
    router.route().handler(config.http().allowedHosts().handler(token.refusals()));
    // Nor does one with a token in its URL, on any path: it is refused, never taken.
    router.route().handler(token::refuseInUrl);
    // A broken %-escape in the path or query is answered here, before a route trips on it with a stack trace.
    router.route().handler(HttpApi::wellFormedUri);
    // Bodies are read on these routes only (the API's, SockJS's sends): all of them together within a share of the heap.
    router.route("/api/*").handler(bodies);
    router.postWithRegex("/eventbus/.*/(?:xhr_send|jsonp_send)$").handler(bodies);
    router.route("/api/*").handler(HttpApi::bodyIsJson);
    router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    // Whatever the API's routes below do not take on its paths: JSON 404, or 405 with Allow, never HTML (it
    // reads the routes when first asked, once they are all registered).
    apiFallback = new ApiFallback(router);
    router.get("/api/listeners").handler(ctx -> answer(ctx, control.snapshot(), ControlPlane.Snapshot::toJson));
    router.get("/api/listeners/:name").handler(ctx -> answer(ctx, control.status(ctx.pathParam("name")), r -> r.listener().toJson()));
    router.get("/api/listeners/:name/config").handler(this::config);
    router.put("/api/listeners/:name").handler(token::check).handler(this::define);
    router.delete("/api/listeners/:name").handler(token::check).handler(this::remove);
    router.post("/api/listeners/:name/:action").handler(apiFallback::knownAction).handler(token::check)
        .handler(ctx -> command(ctx, ctx.pathParam("action"), ctx.pathParam("name")));
    router.get("/api/kinds").handler(ctx -> json(ctx, 200, config.kinds().describe()));
    router.get("/api/cluster").handler(ctx -> json(ctx, 200, cluster.get()));
    router.get("/api/bridge").handler(ctx -> json(ctx, 200, config.http().bridge().limits()));
    router.post("/api/kinds/:type/validate").handler(this::environmentNeedsToken).handler(this::validate);
    router.post("/api/reload").handler(token::check).handler(this::reload);
    // The routes of the single-listener services, acting on defaultListener, so their scripts keep working.
    router.get("/listener/status").handler(ctx -> onDefault(ctx, name -> answer(ctx, control.status(name), r -> r.listener().toJson())));
    router.post("/listener/:action").handler(apiFallback::knownAction).handler(token::check)
        .handler(ctx -> onDefault(ctx, name -> command(ctx, ctx.pathParam("action"), name)));
    Probes probes = new Probes(vertx, control, ready);
    router.get("/health/live").handler(probes.live());
    router.get("/health/ready").handler(probes.ready());
    router.get("/health").handler(ctx -> control.health()
        .onSuccess(report -> json(ctx, report.healthy() ? 200 : 503, report.toJson()))
        .onFailure(ctx::fail));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(metricsRegistry));
    router.route().handler(apiFallback);
    // The bridge, on every transport: only pages of this server's own origin, or of one allowed.
    router.route("/eventbus/*").handler(config.http().allowedOrigins().handler(token.refusals()));
    // WebSocket clients get the fan-out path (encode once, batched writes, bounded queues): raw ones,
    // and SockJS's websocket transport, which the dashboard's eventbus-bridge-client.js uses. The
    // SockJS info route and HTTP fallback transports stay with vertx-web's bridge. Same rules on both.
    BridgeRules rules = new BridgeRules(token, config.kinds());
    ConnectionCap.heapWarning(config.http().maxConnections(), Runtime.getRuntime().maxMemory()).ifPresent(LOG::warn);
    // Read when a connection or client comes, by then both exist: the cap bounds them, and they ask the cap.
    deadlines = new RequestDeadlines(vertx, config.http().timeouts().request());
    connections = new ConnectionCap(config.http().maxConnections(), deadlines, () -> fanout.socketCount(),
        () -> fanout.socketCount() + sockJs.sessionCount());
    fanout = new FanoutEndpoint(vertx, rules, config.http().bridge().fanout());
    fanout.boundClients(connections::roomForBridgeClient);
    fanout.onUpgrade(deadlines::upgraded);
    router.get("/eventbus/websocket").handler(ctx -> fanout.handle(ctx.request()));
    router.get("/eventbus/:server/:session/websocket").handler(ctx -> fanout.handleSockJs(ctx.request()));
    registerFanoutMetrics();
    // The page asks info before each (re)connect: on a fresh TCP connection, so that a reconnect after a
    // dead path never waits behind a pooled keep-alive connection that died with it.
    router.get("/eventbus/info").handler(ctx -> {
      ctx.response().putHeader("Connection", "close");
      ctx.next();
    });
    sockJs = new BrowserBridge(vertx, rules, config.http().bridge(), config.http().timeouts().sockJsHeartbeatMs(),
        connections::roomForBridgeClient);
    router.route("/eventbus/*").subRouter(sockJs.router());
    // A plain WebSocket for clients that speak no bridge protocol (Node-RED's websocket in, scripts),
    // on the fan-out path too.
    router.get("/subscribe").handler(config.http().allowedOrigins().handler(token.refusals()));
    router.get("/subscribe").handler(new SubscriptionEndpoint(rules, fanout)::handle);
    // The single-listener services' dashboard path: their bookmarks and scripts open it.
    router.get("/monitor").handler(ctx -> ctx.redirect("/"));
    router.route().method(HttpMethod.GET).method(HttpMethod.HEAD).handler(new DashboardCaching());
    router.route().handler(StaticHandler.create("webroot").setIndexPage("index.html"));
    // What nothing took, on any other path (POST /subscribe, a file the dashboard does not have): JSON too.
    router.route().handler(apiFallback::lastResort);
    // The dashboard's files refuse a Range past their end themselves (with Content-Range): JSON too.
    router.errorHandler(416, ctx -> error(ctx, 416, "the range asked for is not in the file"));
    router.errorHandler(413, ctx -> error(ctx, 413, "the body is larger than " + MAX_BODY_BYTES + " bytes"));
    // What vertx-web refuses itself: JSON as every answer, and no log line an anonymous client could write at will.
    router.errorHandler(400, ctx -> {
      LOG.debug("HTTP {} {}: bad request", ctx.request().method(), ctx.request().path(), ctx.failure());
      String why = ctx.failure() == null ? null : ctx.failure().getMessage();
      SecurityHeaders.addTo(ctx); // refused before any handler ran (no Host header): the same headers as every answer
      error(ctx, 400, "bad request" + (why == null ? "" : ": " + Secrets.excerpt(why)));
    });
    // BodyHandler fails with 200 when the connection closes mid-body (a client gone, or one cut by the
    // request timeout): there is no one to answer, and a slow client must not write an error line each.
    router.errorHandler(200, ctx -> LOG.debug("HTTP {} {}: the connection closed before the body arrived", ctx.request().method(), ctx.request().path()));
    router.errorHandler(500, ctx -> {
      LOG.error("HTTP {} {} failed", ctx.request().method(), ctx.request().path(), ctx.failure());
      error(ctx, 500, "internal error");
    });
    // Refusals are written once per address and interval (timers end with this verticle).
    vertx.setPeriodic(RefusalLog.INTERVAL.toMillis(), id -> token.refusals().summarize());
    io.vertx.core.http.HttpServerOptions options = config.http().timeouts().applyTo(config.http().bridge().applyTo(
        new io.vertx.core.http.HttpServerOptions()));
    registerConnectionMetrics();
    server = vertx.createHttpServer(options)
        .connectionHandler(this::opened)
        .requestHandler(request -> {
          deadlines.received(request);
          router.handle(request);
        });
    return server.listen(config.http().port(), config.http().host());
  }

  @Override
  public Future<?> stop() {
    token.refusals().summarize(); // the last interval's counts
    // Raw clients learn why they are dropped (1001) before the server goes.
    return fanout == null ? Future.succeededFuture() : fanout.close();
  }

  /** Every new connection: closed at once past http.maxConnections, else timed until its request arrives. */
  private void opened(HttpConnection connection) {
    if (!connections.admit(connection)) {
      connection.close();
      return;
    }
    deadlines.opened(connection);
    // Not called once the bridge has taken the connection over: it counts as a bridge socket then.
    connection.closeHandler(v -> deadlines.closed(connection));
  }

  private void registerConnectionMetrics() {
    MeterRegistry registry = BackendRegistries.getNow(metricsRegistry);
    if (registry == null) {
      return;
    }
    Gauge.builder("switchboard_http_connections", connections, ConnectionCap::open)
        .description("connections open to the HTTP server, the bridge's WebSockets among them (at most http.maxConnections)").register(registry);
    Gauge.builder("switchboard_http_body_bytes", bodies, BodyBudget::claimed)
        .description("bytes claimed by the request bodies being read now (at most an eighth of the heap)").register(registry);
    FunctionCounter.builder("switchboard_http_bodies_refused", bodies, BodyBudget::refused)
        .description("requests answered 503 because the bodies being read claimed their share of the heap already").register(registry);
    FunctionCounter.builder("switchboard_http_connections_refused", connections, ConnectionCap::refused)
        .description("connections closed at once because http.maxConnections were open").register(registry);
    FunctionCounter.builder("switchboard_http_connections_evicted", connections, ConnectionCap::evicted)
        .description("connections that had sent nothing for a second, closed to make room for a new one at http.maxConnections")
        .register(registry);
    FunctionCounter.builder("switchboard_bridge_full_refusals", connections, ConnectionCap::bridgeRefused)
        .description("bridge clients refused (an upgrade answered 503, a SockJS session closed) because the bridge held its share of http.maxConnections")
        .register(registry);
  }

  /** Read on scrape, which runs on this verticle's loop like the fan-out path itself. */
  private void registerFanoutMetrics() {
    MeterRegistry registry = BackendRegistries.getNow(metricsRegistry);
    if (registry == null) {
      return;
    }
    Gauge.builder("switchboard_bridge_websocket_clients", fanout, FanoutEndpoint::clientCount)
        .description("bridge clients on the fan-out path: raw WebSockets and SockJS's websocket transport").register(registry);
    FunctionCounter.builder("switchboard_bridge_slow_client_closes", fanout, FanoutEndpoint::slowClientCloses)
        .description("clients closed with 4001 because their queue was full (slowClients: disconnect), or all clients' were").register(registry);
    FunctionCounter.builder("switchboard_bridge_budget_closes", fanout, FanoutEndpoint::budgetCloses)
        .description("of those, clients closed because all clients together held more than half the heap unsent").register(registry);
    Gauge.builder("switchboard_bridge_held_bytes", fanout, FanoutEndpoint::heldBytes)
        .description("bytes the fan-out path's clients hold now: queued, or handed to their sockets and not yet written").register(registry);
    FunctionCounter.builder("switchboard_bridge_conflations", fanout, FanoutEndpoint::conflations)
        .description("times a full client queue was conflated (slowClients: conflate)").register(registry);
    FunctionCounter.builder("switchboard_bridge_conflated_messages", fanout, FanoutEndpoint::conflatedMessages)
        .description("messages a client did not get because its full queue was conflated (slowClients: conflate)").register(registry);
    Gauge.builder("switchboard_bridge_unfinished_bytes", fanout, FanoutEndpoint::unfinishedBytes)
        .description("bytes the fan-out path's clients have sent of messages they have not finished").register(registry);
    FunctionCounter.builder("switchboard_bridge_unfinished_closes", fanout, FanoutEndpoint::unfinishedCloses)
        .description("clients closed with 1008 for a message not finished within http.bridge.pingTimeout, or for holding the most"
            + " when all clients together held more than an eighth of the heap of unfinished messages").register(registry);
  }

  public int port() {
    return server.actualPort();
  }

  /**
   * Every route of the API's paths as the router has it, {@code "GET /api/listeners/:name"}: what
   * docs/openapi.json must describe (its test compares the two).
   */
  public List<String> apiRoutes() {
    List<String> routes = new ArrayList<>();
    for (ApiFallback.Endpoint endpoint : apiFallback.endpoints()) {
      endpoint.methods().forEach(method -> routes.add(method.name() + " " + endpoint.path()));
    }
    return routes;
  }

  private void onDefault(RoutingContext ctx, java.util.function.Consumer<String> action) {
    Optional<String> name = config.defaultListener();
    if (name.isEmpty()) {
      error(ctx, 404, "no defaultListener is configured; use /api/listeners/{name}/...");
      return;
    }
    action.accept(name.get());
  }

  private void command(RoutingContext ctx, String action, String name) {
    Future<ControlPlane.Result> result = switch (action) {
      case "start" -> control.start(name);
      case "stop" -> control.stop(name);
      case "restart" -> control.restart(name);
      default -> throw new IllegalStateException("not an action: " + action); // ApiFallback.knownAction let it through
    };
    answer(ctx, audited(ctx, action, name, result), ControlPlane.Result::toJson);
  }

  /** The definition, with its version as the ETag too: a PUT with {@code If-Match} changes only that version. */
  private void config(RoutingContext ctx) {
    control.definition(ctx.pathParam("name"))
        .onSuccess(d -> {
          ctx.response().putHeader("ETag", "\"" + d.version() + "\"");
          json(ctx, 200, d.toJson());
        })
        .onFailure(err -> failure(ctx, err));
  }

  private void define(RoutingContext ctx) {
    JsonObject body = jsonBody(ctx);
    if (body == null) {
      return;
    }
    String name = ctx.pathParam("name");
    long expected;
    try {
      expected = expectedVersion(ctx.request().getHeader("If-Match"));
    } catch (IllegalArgumentException e) {
      error(ctx, 400, e.getMessage());
      return;
    }
    audited(ctx, "define", name, control.define(name, body, expected))
        .onSuccess(r -> json(ctx, "created".equals(r.outcome()) ? 201 : 200, r.toJson()))
        .onFailure(err -> failure(ctx, err));
  }

  private void remove(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    answer(ctx, audited(ctx, "remove", name, control.remove(name)),
        r -> new JsonObject().put("status", r.outcome()).put("name", name).put("seq", r.seq()).put("version", r.version()));
  }

  private void validate(RoutingContext ctx) {
    JsonObject body = jsonBody(ctx);
    if (body == null) {
      return;
    }
    String type = ctx.pathParam("type");
    if (config.kinds().kind(type).isEmpty()) {
      error(ctx, 404, "no listener kind '" + (type.length() > 40 ? type.substring(0, 40) + "..." : type) + "'; GET /api/kinds lists them");
      return;
    }
    if (body.containsKey("type") && !type.equals(body.getValue("type"))) {
      json(ctx, 400, new ControlException(400, "invalid definition: type: must be '" + type + "' as in the path, or left out",
          java.util.List.of(new ControlException.FieldError("type", "must be '" + type + "' as in the path, or left out"))).toJson());
      return;
    }
    JsonObject definition = body.copy().put("type", type);
    if (definition.getValue("name") == null) {
      definition.put("name", "validate"); // a name is required of a listener, not of a form being checked
    }
    control.validate(definition)
        .onSuccess(v -> json(ctx, 200, new JsonObject().put("valid", true)))
        .onFailure(err -> failure(ctx, err));
  }

  /**
   * A definition's {@code ${VAR}} placeholders are resolved from the server's environment when it is
   * checked, and a secret sent back masked stands for the stored one (which may hold placeholders):
   * either only with the token, or anyone could learn from the answers what the environment holds.
   */
  private void environmentNeedsToken(RoutingContext ctx) {
    JsonObject body = jsonBody(ctx);
    if (body == null) {
      return;
    }
    if (Secrets.drawsOnServer(body)) {
      token.check(ctx, "a definition with ${VAR} placeholders, or a secret sent back masked, is checked against the "
          + "server's environment and stored secrets, so it needs the control token");
    } else {
      ctx.next();
    }
  }

  private void reload(RoutingContext ctx) {
    audited(ctx, "reload", "*", reload.get())
        .onSuccess(outcomes -> json(ctx, 200, new JsonObject().put("status", "reloaded").put("listeners", new JsonObject(new TreeMap<>(outcomes)))))
        .onFailure(err -> failure(ctx, err));
  }

  private <T> Future<T> audited(RoutingContext ctx, String action, String name, Future<T> result) {
    return result.onComplete(ar -> AUDIT.info("[{}] {} by {}: {}", name, action, ctx.request().remoteAddress(),
        ar.succeeded() ? (ar.result() instanceof ControlPlane.Result r ? r.outcome() : "done") : "refused: " + ar.cause().getMessage()));
  }

  /** The body as a JSON object, or null after answering 400. */
  private static JsonObject jsonBody(RoutingContext ctx) {
    try {
      Object parsed = ctx.body().buffer() == null ? null : ctx.body().buffer().toJsonValue();
      if (parsed instanceof JsonObject o) {
        return o;
      }
      error(ctx, 400, "the body must be a JSON object");
    } catch (DecodeException e) {
      error(ctx, 400, "the body is not valid JSON: " + JsonSyntax.describe(e));
    }
    return null;
  }

  private static <T> void answer(RoutingContext ctx, Future<T> result, Function<T, JsonObject> body) {
    result.onSuccess(r -> json(ctx, 200, body.apply(r))).onFailure(err -> failure(ctx, err));
  }

  /**
   * {@code If-Match: "3"} (the ETag of GET .../config, or its {@code version}): the version a change is
   * made over; {@code "0"}: only if there is no such listener yet. Absent: any version.
   */
  static long expectedVersion(String ifMatch) {
    if (ifMatch == null) {
      return ControlPlane.ANY_VERSION;
    }
    String text = ifMatch.trim();
    if (text.length() >= 2 && text.startsWith("\"") && text.endsWith("\"")) {
      text = text.substring(1, text.length() - 1);
    }
    if (text.matches("\\d{1,18}")) {
      return Long.parseLong(text);
    }
    String shown = ifMatch.length() > 40 ? ifMatch.substring(0, 40) + "..." : ifMatch;
    throw new IllegalArgumentException("If-Match must be one listener version, as GET /api/listeners/{name}/config gives it in its "
        + "ETag (\"3\"), or \"0\" for a listener not defined yet; not " + shown);
  }

  private static void failure(RoutingContext ctx, Throwable err) {
    if (err instanceof ControlException e) {
      json(ctx, e.code(), e.toJson());
    } else {
      ctx.fail(err);
    }
  }

  /**
   * curl's {@code -d}, as the docs use it, says {@code application/x-www-form-urlencoded}: the body is read as
   * the JSON it is, not decoded as a form (whose decoder refuses a field over 1 KiB, or a '%').
   */
  private static void bodyIsJson(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    String lower = type == null ? "" : type.toLowerCase(java.util.Locale.ROOT);
    if (lower.startsWith("application/x-www-form-urlencoded") || lower.startsWith("multipart/")) {
      ctx.request().headers().set(HttpHeaders.CONTENT_TYPE, "application/json");
    }
    ctx.next();
  }

  private static void wellFormedUri(RoutingContext ctx) {
    String uri = ctx.request().uri();
    for (int i = uri.indexOf('%'); i >= 0; i = uri.indexOf('%', i + 1)) {
      if (i + 2 >= uri.length() || Character.digit(uri.charAt(i + 1), 16) < 0 || Character.digit(uri.charAt(i + 2), 16) < 0) {
        error(ctx, 400, "the path or query has a broken %-escape at '" + uri.substring(i, Math.min(uri.length(), i + 3))
            + "': a '%' is followed by two hex digits");
        return;
      }
    }
    ctx.next();
  }

  static void json(RoutingContext ctx, int code, JsonObject body) {
    if (ctx.response().ended()) {
      return;
    }
    Buffer bytes = Buffer.buffer(body.encodePrettily() + "\n");
    // Set here, not left to the server: a HEAD answer (GET's without the body) would lose it.
    ctx.response().setStatusCode(code).putHeader("content-type", "application/json")
        .putHeader("content-length", String.valueOf(bytes.length())).end(bytes);
  }

  static void error(RoutingContext ctx, int code, String message) {
    json(ctx, code, new JsonObject().put("error", message));
  }
}
