package dev.switchboard.server.http;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The web origins whose pages may use the bridge ({@code http.allowedOrigins}), checked on every
 * bridge transport: the WebSockets (raw and SockJS's) and SockJS's HTTP transports, {@code info}
 * included. A WebSocket is not bound by the browser's same-origin policy, and SockJS's HTTP
 * transports answer other origins through CORS: without this check, any page the user opens could
 * read the data addresses of a Switchboard the user's browser reaches (on loopback, on the LAN).
 *
 * <p>Allowed: a request without an {@code Origin} header (a script or a service: no page is behind
 * it, and a browser always sends one on these requests); the server's own pages, whose Origin names
 * the host and port of the request's {@code Host}; and every listed origin. {@code "*"} allows any,
 * turning the check off.
 */
public final class AllowedOrigins {
  private static final Pattern LOGGABLE = Pattern.compile("[A-Za-z0-9._:/\\[\\]-]{1,100}");

  /** An origin as the browser sends it, normalized: lower-case scheme and host, the port always given. */
  record Origin(String scheme, String host, int port) {
    /** Parses {@code scheme://host[:port]}; null for anything else ({@code null}, a path, credentials, another scheme). */
    static Origin parse(String text) {
      if (text == null || text.isEmpty() || text.length() > 300) {
        return null;
      }
      URI uri;
      try {
        uri = new URI(text.trim());
      } catch (URISyntaxException e) {
        return null;
      }
      String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
      boolean bare = (uri.getRawPath() == null || uri.getRawPath().isEmpty()) && uri.getRawQuery() == null
          && uri.getRawFragment() == null && uri.getRawUserInfo() == null;
      if (!("http".equals(scheme) || "https".equals(scheme)) || uri.getHost() == null || !bare) {
        return null;
      }
      int port = uri.getPort() >= 0 ? uri.getPort() : defaultPort(scheme);
      return new Origin(scheme, uri.getHost().toLowerCase(Locale.ROOT), port);
    }

    static int defaultPort(String scheme) {
      return "https".equals(scheme) ? 443 : 80;
    }

    /**
     * Whether this origin is the server the request was sent to, by its {@code Host} header: the same
     * name, and the same port (a Host without one means the scheme's default, as browsers write it).
     */
    boolean isHost(String hostHeader) {
      if (hostHeader == null) {
        return false;
      }
      String h = hostHeader.trim().toLowerCase(Locale.ROOT);
      int portAt = h.startsWith("[") ? h.indexOf("]:") + 1 : h.indexOf(':');
      String name = portAt > 0 ? h.substring(0, portAt) : h;
      int hostPort;
      try {
        hostPort = portAt > 0 ? Integer.parseInt(h.substring(portAt + 1)) : defaultPort(scheme);
      } catch (NumberFormatException e) {
        return false;
      }
      return name.equals(host) && hostPort == port;
    }

    @Override
    public String toString() {
      return scheme + "://" + host + (port == defaultPort(scheme) ? "" : ":" + port);
    }
  }

  private final Set<Origin> listed;
  private final boolean any;

  private AllowedOrigins(Set<Origin> listed, boolean any) {
    this.listed = Set.copyOf(listed);
    this.any = any;
  }

  /** The server's own pages only. */
  public static AllowedOrigins sameOriginOnly() {
    return new AllowedOrigins(Set.of(), false);
  }

  /** Reads {@code allowedOrigins} of the {@code http} section (the caller finishes it). */
  public static AllowedOrigins from(ConfigSection http) {
    if (!http.has("allowedOrigins")) {
      http.accept("allowedOrigins");
      return sameOriginOnly();
    }
    List<String> entries = http.strings("allowedOrigins");
    Set<Origin> listed = new LinkedHashSet<>();
    boolean any = false;
    for (int i = 0; i < entries.size(); i++) {
      String entry = entries.get(i).trim();
      if (entry.equals("*")) {
        any = true;
        continue;
      }
      Origin origin = Origin.parse(entry);
      if (origin == null) {
        throw new ConfigException(http.field("allowedOrigins") + "[" + i + "]",
            "must be an origin as a browser sends it, scheme://host[:port] (http or https, no path), not '" + entry + "'");
      }
      listed.add(origin);
    }
    return new AllowedOrigins(listed, any);
  }

  /**
   * Whether a bridge request with this {@code Origin} header, sent to this {@code Host}, may go on.
   * No Origin: yes. An Origin that cannot be parsed ({@code null}, sent by sandboxed frames and
   * files): no, unless any origin is allowed.
   */
  public boolean allows(String originHeader, String hostHeader) {
    if (any || originHeader == null) {
      return true;
    }
    Origin origin = Origin.parse(originHeader);
    return origin != null && (origin.isHost(hostHeader) || listed.contains(origin));
  }

  /** The listed origins, normalized (for the docs and tests); {@code *} when any is allowed. */
  public Set<String> listed() {
    return any ? Set.of("*") : listed.stream().map(Origin::toString).collect(java.util.stream.Collectors.toSet());
  }

  /** A route handler: lets an allowed origin through, answers any other with 403 and an audit line naming it. */
  public Handler<RoutingContext> handler(RefusalLog refusals) {
    return ctx -> {
      String origin = ctx.request().getHeader("Origin");
      if (allows(origin, ctx.request().getHeader("Host"))) {
        ctx.next();
        return;
      }
      String shown = LOGGABLE.matcher(origin).matches() ? origin : "?";
      refusals.refused(ControlToken.host(ctx.request().remoteAddress()), "refused " + ctx.request().method() + " " + ctx.request().path()
          + " from " + ctx.request().remoteAddress() + ": Origin '" + shown + "' is not this server's own, nor in http.allowedOrigins");
      HttpApi.error(ctx, 403, "pages of the origin '" + shown + "' may not use the bridge; add it to http.allowedOrigins to allow it");
    };
  }
}
