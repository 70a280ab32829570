package dev.switchboard.server.http;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The names this server answers to ({@code http.allowedHosts}), checked against every request's
 * {@code Host} header. A page on another name that its owner points at this address (DNS rebinding)
 * is, to the browser, its own origin: without this check it would reach the API from wherever the
 * browser sits. The port is not checked (a proxy in front may change it); the name is.
 *
 * <p>By default: {@code localhost}, {@code 127.0.0.1}, {@code [::1]} and {@code http.host}. A list
 * replaces the default; {@code "*"} answers to any name, turning the check off.
 */
public final class AllowedHosts {
  private static final List<String> LOOPBACK_NAMES = List.of("localhost", "127.0.0.1", "[::1]");
  private static final Pattern NAME = Pattern.compile("[a-z0-9._-]+");
  /** An IPv6 address in brackets: hex digits, dots (an embedded IPv4) and at least two colons. */
  private static final Pattern IPV6 = Pattern.compile("\\[[0-9a-f.]*:[0-9a-f.]*:[0-9a-f:.]*]");
  private static final Pattern LOGGABLE = Pattern.compile("[A-Za-z0-9._:\\[\\]-]{1,100}");

  private final Set<String> names;
  private final boolean any;

  private AllowedHosts(Set<String> names, boolean any) {
    this.names = Set.copyOf(names);
    this.any = any;
  }

  /** The loopback names and {@code bindHost}: what a server on this address is reached by, unproxied. */
  public static AllowedHosts defaults(String bindHost) {
    Set<String> names = new LinkedHashSet<>(LOOPBACK_NAMES);
    String bound = normalize(bindHost);
    if (bound != null) {
      names.add(bound);
    }
    return new AllowedHosts(names, false);
  }

  /** Reads {@code allowedHosts} of the {@code http} section (the caller finishes it). */
  public static AllowedHosts from(ConfigSection http, String bindHost) {
    if (!http.has("allowedHosts")) {
      http.accept("allowedHosts");
      return defaults(bindHost);
    }
    List<String> listed = http.strings("allowedHosts");
    if (listed.isEmpty()) {
      throw new ConfigException(http.field("allowedHosts"), "must name at least one host (\"*\" for any)");
    }
    Set<String> names = new LinkedHashSet<>();
    boolean any = false;
    for (int i = 0; i < listed.size(); i++) {
      String entry = listed.get(i).trim();
      if (entry.equals("*")) {
        any = true;
        continue;
      }
      String name = normalize(entry);
      if (name == null) {
        throw new ConfigException(http.field("allowedHosts") + "[" + i + "]",
            "must be a host name or an address, without scheme, port or path (any port is accepted), not '" + entry + "'");
      }
      names.add(name);
    }
    return new AllowedHosts(names, any);
  }

  /** True for a loopback address or {@code localhost}: a server bound there is reachable from this machine only. */
  public static boolean isLoopback(String host) {
    String name = normalize(host);
    if (name == null) {
      return false;
    }
    if (name.equals("localhost") || name.equals("[::1]") || name.equals("[0:0:0:0:0:0:0:1]")) {
      return true;
    }
    String[] parts = name.split("\\.", -1);
    return parts.length == 4 && parts[0].equals("127") && Arrays.stream(parts).allMatch(p -> p.matches("[0-9]{1,3}"));
  }

  /**
   * Whether a request with this {@code Host} header is for this server. No header at all (HTTP/1.0)
   * is allowed: a browser always sends one, so a request without one is no rebinding attack.
   */
  public boolean allows(String hostHeader) {
    if (any || hostHeader == null) {
      return true;
    }
    String name = normalize(withoutPort(hostHeader.trim()));
    return name != null && names.contains(name);
  }

  /** The names answered to, normalized (for the docs and tests). */
  public Set<String> names() {
    return any ? Set.of("*") : names;
  }

  /** A route handler: lets an allowed Host through, answers any other with 421 and an audit line. */
  public Handler<RoutingContext> handler(RefusalLog refusals) {
    return ctx -> {
      String host = ctx.request().getHeader("Host");
      if (allows(host)) {
        ctx.next();
        return;
      }
      String shown = LOGGABLE.matcher(host).matches() ? host : "?";
      refusals.refused(ControlToken.host(ctx.request().remoteAddress()), "refused " + ctx.request().method() + " " + ctx.request().path()
          + " from " + ctx.request().remoteAddress() + ": Host '" + shown + "' is not in http.allowedHosts");
      HttpApi.error(ctx, 421, "this server does not answer to the name '" + shown + "'; add it to http.allowedHosts to allow it");
    };
  }

  /** {@code name}, {@code name:port}, {@code [v6]} or {@code [v6]:port} without the port. */
  private static String withoutPort(String host) {
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end < 0 || !(host.length() == end + 1 || host.substring(end + 1).matches(":[0-9]{1,5}")) ? null : host.substring(0, end + 1);
    }
    int colon = host.indexOf(':');
    if (colon < 0) {
      return host;
    }
    return host.indexOf(':', colon + 1) < 0 && host.substring(colon + 1).matches("[0-9]{1,5}") ? host.substring(0, colon) : null;
  }

  /** Lower case, an IPv6 address in brackets; null when it is not a host name or address. */
  private static String normalize(String host) {
    if (host == null || host.isEmpty()) {
      return null;
    }
    String h = host.toLowerCase(Locale.ROOT);
    if (h.indexOf(':') >= 0 && !h.startsWith("[")) {
      h = "[" + h + "]"; // an IPv6 address as written in http.host
    }
    if (IPV6.matcher(h).matches() || NAME.matcher(h).matches()) {
      return h;
    }
    return null;
  }
}
