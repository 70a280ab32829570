package dev.switchboard.server.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The answer when no route took the request: {@code 405} with an {@code Allow} header when a route has
 * that path for other methods, {@code 404} otherwise; JSON either way, as every other answer (a script
 * should never have to parse the router's HTML). The methods come from the router itself, so they
 * cannot drift from the routes. On the API's paths it answers before the bridge and the dashboard see
 * the request ({@link #handle}); on the others, after them ({@link #lastResort}).
 */
final class ApiFallback implements Handler<RoutingContext> {
  /** The API's paths: the REST API, the single-listener routes, health and metrics. */
  private static final Pattern API = Pattern.compile("/(api|listener|health)(/.*)?|/metrics");

  private final Router router;
  /** Read on first use, once every route is registered; written once, read from the tests' thread too. */
  private volatile List<Endpoint> routes;

  /** A route with a path and methods: {@code /api/listeners/:name} with GET, say. */
  record Endpoint(String path, Pattern pattern, Set<HttpMethod> methods) {
    static Endpoint of(Route route) {
      // ":name" is one path segment, as the router matches it; ":action" only the actions there are.
      String regex = route.getPath().replace(":action", "\1").replaceAll(":[A-Za-z0-9_]+", "\0").replace(".", "\\.")
          .replace("\0", "[^/]+").replace("\1", "(?:" + String.join("|", ACTIONS) + ")");
      return new Endpoint(route.getPath(), Pattern.compile(regex), route.methods());
    }
  }

  /** What a {@code :action} segment may be: a POST to another word is no route of the API. */
  static final Set<String> ACTIONS = Set.of("start", "stop", "restart");

  ApiFallback(Router router) {
    this.router = router;
  }

  static boolean isApiPath(String path) {
    return path != null && API.matcher(path).matches();
  }

  /** Every route of the API's paths with its methods, as the router has them: the API's one list. */
  List<Endpoint> endpoints() {
    return routes().stream().filter(endpoint -> isApiPath(endpoint.path())).toList();
  }

  /** Every route with one path and its methods: the API's, the bridge's WebSocket, {@code /subscribe}, {@code /monitor}. */
  private List<Endpoint> routes() {
    if (routes == null) {
      List<Endpoint> found = new ArrayList<>();
      for (Route route : router.getRoutes()) {
        if (route.getPath() != null && route.isExactPath() && route.methods() != null && !route.methods().isEmpty()) {
          found.add(Endpoint.of(route));
        }
      }
      routes = List.copyOf(found);
    }
    return routes;
  }

  /**
   * The first handler of a route with an {@code :action}: a known action goes on (to the token check);
   * another word is answered here, 405 where the path has other routes ({@code POST .../config}), else 404.
   */
  void knownAction(RoutingContext ctx) {
    String action = ctx.pathParam("action");
    if (ACTIONS.contains(action)) {
      ctx.next();
    } else if (allowed(ctx.normalizedPath()).isEmpty()) {
      HttpApi.error(ctx, 404, "unknown action '" + (action.matches("[A-Za-z0-9_-]{1,40}") ? action : "?") + "'; use start, stop or restart");
    } else {
      handle(ctx);
    }
  }

  private Set<String> allowed(String path) {
    Set<String> allowed = new TreeSet<>();
    for (Endpoint endpoint : routes()) {
      if (endpoint.pattern().matcher(path).matches()) {
        endpoint.methods().forEach(m -> allowed.add(m.name()));
      }
    }
    return allowed;
  }

  /** Before the bridge and the dashboard: a request on an API path that no API route took. */
  @Override
  public void handle(RoutingContext ctx) {
    if (isApiPath(ctx.normalizedPath())) {
      lastResort(ctx);
    } else {
      ctx.next();
    }
  }

  /** The router's last handler, on any other path: a request that nothing took (the dashboard has no such file). */
  void lastResort(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    Set<String> allowed = allowed(path);
    if (allowed.isEmpty() || allowed.contains(ctx.request().method().name())) {
      notFound(ctx);
      return;
    }
    if (allowed.contains("GET")) {
      if (ctx.request().method() == HttpMethod.HEAD) {
        // HEAD is GET without the body (RFC 9110), as monitors probe /health; Vert.x leaves the body out itself.
        ctx.reroute(HttpMethod.GET, ctx.request().uri());
        return;
      }
      allowed.add("HEAD");
    }
    ctx.response().putHeader("Allow", String.join(", ", allowed));
    HttpApi.error(ctx, 405, ctx.request().method() + " is not allowed on " + shown(path) + "; it takes " + String.join(", ", allowed));
  }

  /** 404, saying where things are. */
  private static void notFound(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    HttpApi.error(ctx, 404, isApiPath(path) ? "no such API path: " + shown(path) + "; docs/api.md lists them"
        : "nothing at " + shown(path) + "; the dashboard is at /, the API under /api (docs/api.md lists it)");
  }

  /** A path in an answer: only a plain one, and not a long one. */
  private static String shown(String path) {
    return path.length() <= 200 && path.matches("[A-Za-z0-9._~/%-]*") ? path : "this path";
  }
}
