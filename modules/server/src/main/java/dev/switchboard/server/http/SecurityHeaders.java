package dev.switchboard.server.http;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;

import java.util.regex.Pattern;

/**
 * Headers on every answer that narrow what a browser will do with it. The dashboard loads only its
 * own script and style sheet (no inline script or style, no eval), talks only to this server, and
 * may not be framed; no answer is sniffed into another type; no URL of it leaks in a Referer.
 * On a JSON or text answer the policy costs nothing and keeps a misdirected browser from running it.
 */
final class SecurityHeaders implements Handler<RoutingContext> {
  /**
   * The policy; {@code %s} is the WebSocket origins of the server itself. CSP 3 lets {@code 'self'}
   * match ws: and wss: of the page's own host and port, but browsers before it (and some of today's)
   * do not, so they are named as well.
   */
  private static final String POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self';"
      + " connect-src 'self'%s; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
  /** A Host header safe to repeat in a header: a name or an IPv6 address in brackets, and a port. */
  private static final Pattern PLAIN_HOST = Pattern.compile("([A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}])(:[0-9]{1,5})?");

  static String policy(String hostHeader) {
    boolean plain = hostHeader != null && PLAIN_HOST.matcher(hostHeader).matches();
    return String.format(POLICY, plain ? " ws://" + hostHeader + " wss://" + hostHeader : "");
  }

  @Override
  public void handle(RoutingContext ctx) {
    addTo(ctx);
    ctx.next();
  }

  /** Sets the headers on {@code ctx}'s answer; also for an answer no handler gave (a request vertx-web refused). */
  static void addTo(RoutingContext ctx) {
    MultiMap headers = ctx.response().headers();
    headers.set("Content-Security-Policy", policy(ctx.request().getHeader("Host")));
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("Referrer-Policy", "no-referrer");
    // frame-ancestors says the same to browsers that read CSP; this one is for those that do not.
    headers.set("X-Frame-Options", "DENY");
  }
}
