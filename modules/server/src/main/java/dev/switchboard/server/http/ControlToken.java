package dev.switchboard.server.http;

import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The configured control token. Every control action (start, stop, restart, sends to an upstream)
 * must carry it, over HTTP as {@code Authorization: Bearer <token>}. Refusals are audited through a
 * {@link RefusalLog}, and wrong tokens are answered late by a {@link FailedTokenThrottle}: the same
 * two for HTTP and for the bridge, since both guard the same token.
 */
public final class ControlToken {
  /** The demo config's fallback, printed in the README: anyone may know it. */
  public static final String PUBLIC_DEMO_TOKEN = "demo-control-token";
  /** Below this length the start warns: the throttle slows each connection, and many connections guess in parallel. */
  public static final int RECOMMENDED_LENGTH = 20;
  private static final Logger AUDIT = LoggerFactory.getLogger("switchboard.audit");
  /** Query parameter names that carry a token, lower case, without '_' and '-'. */
  private static final java.util.Set<String> TOKEN_PARAMETERS = java.util.Set.of("token", "accesstoken", "controltoken", "bearer",
      "authorization", "auth");
  private final byte[] expected;
  private final FailedTokenThrottle throttle;
  private final RefusalLog refusals;

  public ControlToken(String token) {
    this(token, new FailedTokenThrottle(), new RefusalLog(AUDIT));
  }

  public ControlToken(String token, FailedTokenThrottle throttle, RefusalLog refusals) {
    this.expected = token.getBytes(StandardCharsets.UTF_8);
    this.throttle = throttle;
    this.refusals = refusals;
  }

  /** True for the demo's public token: accepted on loopback only, with a warning. */
  public static boolean isPublicDemo(String token) {
    return PUBLIC_DEMO_TOKEN.equals(token);
  }

  /** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
  public boolean matches(String candidate) {
    return candidate != null && MessageDigest.isEqual(expected, candidate.getBytes(StandardCharsets.UTF_8));
  }

  /** Where refusals of this token, and the server's other refusals, are audited. */
  public RefusalLog refusals() {
    return refusals;
  }

  /** Audits a wrong token from {@code remote} and answers how long to hold its refusal back, in ms. */
  long wrongToken(String remote, String line) {
    refusals.refused(remote, line);
    return throttle.failed(remote);
  }

  /**
   * A route handler: lets the request through with the right token at once, answers 401 otherwise;
   * a wrong token late when its address keeps sending wrong ones.
   */
  public void check(RoutingContext ctx) {
    check(ctx, "control actions need the control token");
  }

  /** As {@link #check(RoutingContext)}, saying {@code why} the token is needed when none was sent. */
  public void check(RoutingContext ctx, String why) {
    String header = ctx.request().getHeader("Authorization");
    String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
    if (matches(presented)) {
      ctx.next();
      return;
    }
    SocketAddress from = ctx.request().remoteAddress();
    String line = "refused " + ctx.request().method() + " " + ctx.request().path() + " from " + from + ": "
        + (presented == null ? "no token" : "wrong token");
    ctx.response().putHeader("WWW-Authenticate", "Bearer");
    if (presented == null) {
      // Not a guess: nothing to slow down, but still an audit line (aggregated like the rest).
      refusals.refused(host(from), line);
      HttpApi.error(ctx, 401, why + ": send 'Authorization: Bearer <token>'");
      return;
    }
    long delay = wrongToken(host(from), line);
    if (delay == 0) {
      HttpApi.error(ctx, 401, "the control token is wrong");
    } else {
      ctx.vertx().setTimer(delay, id -> {
        if (!ctx.response().closed()) {
          HttpApi.error(ctx, 401, "the control token is wrong");
        }
      });
    }
  }

  /**
   * A route handler for every request: one that carries a token in its URL ({@code ?token=},
   * {@code ?access_token=}...) is refused with 400, whatever the token, and is not carried out. A URL
   * ends up in proxies' logs, browser history and Referer headers: a token there must be changed,
   * and accepting it once would teach a script that it works. The audit line names the parameter,
   * never the URL's query.
   */
  public void refuseInUrl(RoutingContext ctx) {
    String parameter = tokenParameter(ctx.request().query());
    if (parameter == null) {
      ctx.next();
      return;
    }
    SocketAddress from = ctx.request().remoteAddress();
    refusals.refused(host(from), "refused " + ctx.request().method() + " " + ctx.request().path() + " from " + from
        + ": a token in the URL (parameter '" + parameter + "'; the query is not logged)");
    HttpApi.error(ctx, 400, "send the token in the Authorization header, never in the URL (parameter '" + parameter
        + "'): URLs are kept in logs and browser history. Nothing was done; if this token is real, change it");
  }

  /** The first query parameter that names a token, as written if plain; null when there is none. */
  static String tokenParameter(String query) {
    if (query == null || query.isEmpty()) {
      return null;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String decoded;
      try {
        decoded = java.net.URLDecoder.decode(name, StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        decoded = name;
      }
      String bare = decoded.toLowerCase(java.util.Locale.ROOT).replace("_", "").replace("-", "");
      if (TOKEN_PARAMETERS.contains(bare)) {
        return decoded.matches("[A-Za-z0-9_-]{1,40}") ? decoded : "?";
      }
    }
    return null;
  }

  /** The remote host without its port: the key of the throttle and the refusal log. */
  static String host(SocketAddress address) {
    return address == null ? null : address.hostAddress() != null ? address.hostAddress() : address.host();
  }
}
