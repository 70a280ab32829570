package dev.switchboard.server.http;

import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The configured control token. Every control action (start, stop, restart, sends to an upstream)
 * must carry it, over HTTP as {@code Authorization: Bearer <token>}. Refusals are audited.
 */
public final class ControlToken {
  private static final Logger AUDIT = LoggerFactory.getLogger("switchboard.audit");
  private final byte[] expected;

  public ControlToken(String token) {
    this.expected = token.getBytes(StandardCharsets.UTF_8);
  }

  /** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
  public boolean matches(String candidate) {
    return candidate != null && MessageDigest.isEqual(expected, candidate.getBytes(StandardCharsets.UTF_8));
  }

  /** A route handler: lets the request through with the right token, answers 401 otherwise. */
  public void check(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
    if (matches(presented)) {
      ctx.next();
      return;
    }
    AUDIT.warn("refused {} {} from {}: {}", ctx.request().method(), ctx.request().path(), ctx.request().remoteAddress(),
        presented == null ? "no token" : "wrong token");
    ctx.response().putHeader("WWW-Authenticate", "Bearer");
    HttpApi.error(ctx, 401, presented == null
        ? "control actions need the control token: send 'Authorization: Bearer <token>'"
        : "the control token is wrong");
  }
}
