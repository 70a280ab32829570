package dev.switchboard.server.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

import java.util.regex.Pattern;

/**
 * How long browsers may keep the dashboard's files. The build names the script and the style sheet
 * after their content ({@code app-<hash>.js}, {@code style-<hash>.css}, and their source maps): a
 * new build is new names, so those may be kept for a year without asking again. Everything else,
 * {@code index.html} first (it names the current files), is revalidated on every load, so a new
 * build shows at the next reload.
 */
final class DashboardCaching implements Handler<RoutingContext> {
  static final String IMMUTABLE = "public, max-age=31536000, immutable";
  static final String REVALIDATE = "no-cache";
  /** What the build writes: a name, a dash, esbuild's 8-character content hash, .js or .css, maybe .map. */
  private static final Pattern HASHED = Pattern.compile(".*/[^/]+-[A-Za-z0-9]{8}\\.(js|css)(\\.map)?");

  @Override
  public void handle(RoutingContext ctx) {
    String policy = HASHED.matcher(ctx.normalizedPath()).matches() ? IMMUTABLE : REVALIDATE;
    // At the end, in place of the StaticHandler's own; and only on a file found: a 404 for a hashed
    // name that is not there (yet) must not be kept for a year.
    ctx.addHeadersEndHandler(v -> {
      int code = ctx.response().getStatusCode();
      if (code == 200 || code == 206 || code == 304) {
        ctx.response().headers().set(HttpHeaders.CACHE_CONTROL, policy);
      }
    });
    ctx.next();
  }
}
