package dev.switchboard.server.http;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerStatus;
import dev.switchboard.core.Supervisor;
import dev.switchboard.server.config.SwitchboardConfig;
import dev.switchboard.server.fanout.FanoutEndpoint;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.micrometer.backends.BackendRegistries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.Set;

/**
 * The HTTP face of Switchboard: the REST API (a thin translation of the event-bus control API), the
 * single-listener compatibility routes, health, metrics, the SockJS bridge and the dashboard.
 */
public class HttpApi extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final Set<String> ACTIONS = Set.of("start", "stop", "restart");

  private final SwitchboardConfig config;
  private final String metricsRegistry;
  private final ControlToken token;
  private HttpServer server;
  private FanoutEndpoint fanout;

  public HttpApi(SwitchboardConfig config, String metricsRegistry) {
    this.config = config;
    this.metricsRegistry = metricsRegistry;
    this.token = new ControlToken(config.http().controlToken());
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/api/listeners").handler(this::listAll);
    router.get("/api/listeners/:name").handler(ctx -> control(ctx, "status", ctx.pathParam("name")));
    router.post("/api/listeners/:name/:action").handler(token::check)
        .handler(ctx -> control(ctx, ctx.pathParam("action"), ctx.pathParam("name")));
    // The routes of the single-listener services, acting on defaultListener, so their scripts keep working.
    router.get("/listener/status").handler(ctx -> onDefault(ctx, "status"));
    router.post("/listener/:action").handler(token::check).handler(ctx -> onDefault(ctx, ctx.pathParam("action")));
    router.get("/health").handler(this::health);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(metricsRegistry));
    // WebSocket clients get the fan-out path (encode once, batched writes, bounded queues): raw ones,
    // and SockJS's websocket transport, which the dashboard's eventbus-bridge-client.js uses. The
    // SockJS info route and HTTP fallback transports stay with vertx-web's bridge. Same rules on both.
    BridgeRules rules = new BridgeRules(token);
    fanout = new FanoutEndpoint(vertx, rules, config.http().bridge().fanout());
    router.get("/eventbus/websocket").handler(ctx -> fanout.handle(ctx.request()));
    router.get("/eventbus/:server/:session/websocket").handler(ctx -> fanout.handleSockJs(ctx.request()));
    registerFanoutMetrics();
    router.route("/eventbus/*").subRouter(new BrowserBridge(vertx, rules, config.http().bridge()).router());
    router.route().handler(StaticHandler.create("webroot").setIndexPage("index.html"));
    router.errorHandler(500, ctx -> {
      LOG.error("HTTP {} {} failed", ctx.request().method(), ctx.request().path(), ctx.failure());
      error(ctx, 500, "internal error");
    });
    server = vertx.createHttpServer(config.http().bridge().applyTo(new io.vertx.core.http.HttpServerOptions())).requestHandler(router);
    return server.listen(config.http().port(), config.http().host());
  }

  @Override
  public Future<?> stop() {
    // Raw clients learn why they are dropped (1001) before the server goes.
    return fanout == null ? Future.succeededFuture() : fanout.close();
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
        .description("clients closed with 4001 because their queue was full (slowClients: disconnect)").register(registry);
    FunctionCounter.builder("switchboard_bridge_conflations", fanout, FanoutEndpoint::conflations)
        .description("times a full client queue was conflated (slowClients: conflate)").register(registry);
  }

  public int port() {
    return server.actualPort();
  }

  private void listAll(RoutingContext ctx) {
    vertx.eventBus().<JsonObject>request(Addresses.STATUS_SNAPSHOT, null)
        .onSuccess(reply -> json(ctx, 200, reply.body()))
        .onFailure(ctx::fail);
  }

  private void onDefault(RoutingContext ctx, String action) {
    Optional<String> name = config.defaultListener();
    if (name.isEmpty()) {
      error(ctx, 404, "no defaultListener is configured; use /api/listeners/{name}/" + action);
      return;
    }
    control(ctx, action, name.get());
  }

  private void control(RoutingContext ctx, String action, String name) {
    if (!action.equals("status") && !ACTIONS.contains(action)) {
      error(ctx, 404, "unknown action '" + action + "'; use start, stop or restart");
      return;
    }
    vertx.eventBus().<JsonObject>request(Addresses.CONTROL, new JsonObject().put("action", action).put("name", name))
        .onSuccess(reply -> {
          if (!action.equals("status")) {
            LoggerFactory.getLogger("switchboard.audit").info("[{}] {} by {}: {}", name, action,
                ctx.request().remoteAddress(), reply.body().getString("status"));
          }
          json(ctx, 200, action.equals("status") ? reply.body().getJsonObject("listener") : reply.body());
        })
        .onFailure(err -> {
          int code = err instanceof ReplyException re && re.failureCode() >= 400 && re.failureCode() < 600 ? re.failureCode() : 500;
          error(ctx, code, err.getMessage());
        });
  }

  private void health(RoutingContext ctx) {
    vertx.eventBus().<JsonObject>request(Addresses.STATUS_SNAPSHOT, null).onSuccess(reply -> {
      JsonObject listeners = new JsonObject();
      boolean healthy = true;
      for (Object item : reply.body().getJsonArray("listeners", new JsonArray())) {
        ListenerStatus status = ListenerStatus.fromJson((JsonObject) item);
        Optional<ListenerDefinition> definition = config.listener(status.name());
        Optional<String> problem = definition.flatMap(d -> Supervisor.healthProblem(d, status));
        healthy &= problem.isEmpty();
        listeners.put(status.name(), new JsonObject()
            .put("healthy", problem.isEmpty())
            .put("state", status.state().name())
            .put("is_active", status.active())
            .put("reason", problem.orElse(null)));
      }
      json(ctx, healthy ? 200 : 503, new JsonObject().put("status", healthy ? "UP" : "DOWN").put("listeners", listeners));
    }).onFailure(ctx::fail);
  }

  static void json(RoutingContext ctx, int code, JsonObject body) {
    ctx.response().setStatusCode(code).putHeader("content-type", "application/json").end(body.encodePrettily() + "\n");
  }

  static void error(RoutingContext ctx, int code, String message) {
    json(ctx, code, new JsonObject().put("error", message));
  }
}
