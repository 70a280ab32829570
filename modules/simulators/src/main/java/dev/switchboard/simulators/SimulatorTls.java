package dev.switchboard.simulators;

import dev.switchboard.core.ConfigSection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;

/**
 * A simulator that serves wss:// instead of ws://: the certificate and key it presents, as PEM files. For
 * trying a listener's {@code tls} field (a self-signed certificate, a host name it does not name).
 */
public record SimulatorTls(String certificate, String key) {

  /** The {@code tls} section of a simulator's config, or null when it has none (plain ws://). */
  public static SimulatorTls from(ConfigSection simulator) {
    if (!simulator.has("tls")) {
      simulator.accept("tls");
      return null;
    }
    ConfigSection s = simulator.section("tls");
    SimulatorTls tls = new SimulatorTls(s.requiredString("certificate"), s.requiredString("key"));
    s.finish();
    return tls;
  }

  /** The server's options, serving TLS with this certificate when {@code tls} is not null. */
  public static HttpServerOptions applyTo(SimulatorTls tls, HttpServerOptions options) {
    if (tls == null) {
      return options;
    }
    return options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.certificate).setKeyPath(tls.key));
  }

  /** The URL scheme clients connect with. */
  public static String scheme(SimulatorTls tls) {
    return tls == null ? "ws" : "wss";
  }
}
