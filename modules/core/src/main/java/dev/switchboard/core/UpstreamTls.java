package dev.switchboard.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.PemTrustOptions;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Which certificates a wss:// listener trusts, and whether the certificate must name the host. The
 * default is the JVM's trust store and a checked host name, as any HTTPS client; a Home Assistant behind
 * its own self-signed certificate, reached by its IP address, needs both changed.
 *
 * @param trustCertificates a PEM file of the certificates to trust instead of the JVM's (a CA's, or the
 *                          upstream's own self-signed one); null for the JVM's trust store
 * @param verifyHostname    false accepts a trusted certificate issued for another name
 */
public record UpstreamTls(Path trustCertificates, boolean verifyHostname) {
  public static final UpstreamTls JVM_DEFAULT = new UpstreamTls(null, true);

  public static final ConfigField FIELD = ConfigField.object("tls", "for a wss:// URL: which certificates to trust", List.of(
      ConfigField.of("trustCertificates", ConfigField.Type.STRING,
          "a PEM file of the certificates to trust instead of the JVM's (the upstream's CA, or its own self-signed "
              + "certificate); relative to the working directory"),
      ConfigField.of("verifyHostname", ConfigField.Type.BOOLEAN,
          "false accepts a trusted certificate issued for another name than the URL's host (an upstream reached by "
              + "its IP address)").withDefault(true)));

  private static final String PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----";

  /** Reads the {@code tls} field of a definition whose URL is {@code url}. */
  public static UpstreamTls from(ConfigSection definition, URI url) {
    if (!definition.has("tls")) {
      definition.accept("tls");
      return JVM_DEFAULT;
    }
    ConfigSection s = definition.section("tls");
    String trust = s.string("trustCertificates");
    boolean verifyHostname = s.bool("verifyHostname", true);
    s.finish();
    if (!"wss".equals(url.getScheme())) {
      throw new ConfigException(definition.field("tls"), "applies to a wss:// URL only; the url is " + url.getScheme() + "://");
    }
    return new UpstreamTls(trust == null ? null : path(s, trust), verifyHostname);
  }

  private static Path path(ConfigSection tls, String file) {
    try {
      return Path.of(file).toAbsolutePath().normalize();
    } catch (java.nio.file.InvalidPathException e) {
      throw new ConfigException(tls.field("trustCertificates"), "is not a file path (" + e.getReason() + ")");
    }
  }

  /**
   * The client options with this trust applied. The certificates are read at every connect, without
   * blocking the event loop: a renewed CA file is taken by the next connection. A file that cannot be
   * read, or holds no certificate, fails with {@code tls_config}: retrying cannot help until it is fixed.
   */
  public Future<WebSocketClientOptions> applyTo(Vertx vertx, WebSocketClientOptions options) {
    options.setVerifyHost(verifyHostname);
    if (trustCertificates == null) {
      return Future.succeededFuture(options);
    }
    return vertx.fileSystem().readFile(trustCertificates.toString())
        .recover(err -> Future.failedFuture(unusable("cannot be read: " + rootMessage(err))))
        .compose(pem -> {
          if (!pem.toString(StandardCharsets.US_ASCII).contains(PEM_CERTIFICATE)) {
            return Future.failedFuture(unusable("holds no PEM certificate (" + PEM_CERTIFICATE + ")"));
          }
          return Future.succeededFuture(options.setTrustOptions(new PemTrustOptions().addCertValue(pem)));
        });
  }

  private ListenerFailure unusable(String why) {
    return ListenerFailure.fatal("tls_config", "tls.trustCertificates " + trustCertificates + " " + why);
  }

  private static String rootMessage(Throwable err) {
    Throwable t = ListenerFailure.rootCause(err);
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : " " + t.getMessage());
  }
}
