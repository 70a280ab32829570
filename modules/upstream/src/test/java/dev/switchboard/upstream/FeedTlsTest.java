package dev.switchboard.upstream;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Control;
import dev.switchboard.core.testing.TestCertificate;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.switchboard.upstream.FeedFixture.NAME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A feed over wss:// whose upstream presents a self-signed certificate for the name {@code localhost}: the
 * listener's {@code tls} field says which certificates to trust and whether the name must match.
 */
@ExtendWith(VertxExtension.class)
class FeedTlsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dataDir;
  @TempDir
  Path certificates;
  private Vertx vertx;
  private Control control;
  private TestCertificate certificate;
  private FeedSimulator sim;
  private final List<JsonObject> envelopes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.control = new Control(vertx);
    this.certificate = TestCertificate.writeTo(certificates);
    sim = new FeedSimulator(FeedSimulatorOptions.defaults().withTls(certificate.certificate(), certificate.key()));
    vertx.deployVerticle(sim).await();
    vertx.eventBus().<JsonObject>consumer("upstream.feed.message", m -> envelopes.add(m.body())).completion().await();
  }

  /** The simulator's URL with {@code host} in it. */
  private String url(String host) {
    return sim.url().replace("127.0.0.1", host);
  }

  private void define(String url, JsonObject tls) {
    JsonObject extra = tls == null ? new JsonObject() : new JsonObject().put("tls", tls);
    FeedFixture.deploySupervisor(vertx, dataDir, FeedFixture.feed(url, FeedFixture.fastPolicy(), false, extra));
    control.start(NAME);
  }

  private JsonObject trusting() {
    return new JsonObject().put("trustCertificates", certificate.certificate().toString());
  }

  private JsonObject awaitError(String code) {
    return Await.until(WAIT, "last_error " + code, () -> control.status(NAME),
        s -> s.getJsonObject("last_error") != null && code.equals(s.getJsonObject("last_error").getString("code")));
  }

  @Test
  @DisplayName("the certificates in tls.trustCertificates are trusted: the feed connects and its messages arrive")
  void trustedCertificate() {
    define(url("localhost"), trusting());
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    sim.emit(new JsonObject().put("over", "tls")).await();
    Await.until(WAIT, "the message", () -> envelopes.size() == 1);
    assertEquals("tls", envelopes.get(0).getJsonObject("data").getString("over"));
  }

  @Test
  @DisplayName("without tls, only the JVM's trust store counts: a self-signed certificate is refused (code tls, retried) with a hint")
  void untrustedCertificate() {
    define(url("localhost"), null);
    JsonObject status = awaitError("tls");
    String message = status.getJsonObject("last_error").getString("message");
    assertTrue(message.contains("tls field") && message.contains("certification path"), message);
    Await.until(WAIT, "a second attempt, the first retried", () -> control.status(NAME),
        s -> s.getInteger("attempt") >= 2 && !"FAILED".equals(s.getString("state")));
    assertEquals(0, envelopes.size());
  }

  @Test
  @DisplayName("a trusted certificate for another name is refused")
  void hostName() {
    define(url("127.0.0.1"), trusting());
    String message = awaitError("tls").getJsonObject("last_error").getString("message");
    assertTrue(message.contains("127.0.0.1"), message);
  }

  @Test
  @DisplayName("verifyHostname false accepts a trusted certificate for another name")
  void hostNameNotVerified() {
    define(url("127.0.0.1"), trusting().put("verifyHostname", false));
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
  }

  @Test
  @DisplayName("a trust file that cannot be read, or holds no certificate, fails the listener (tls_config), not retried")
  void unusableTrustFile() throws Exception {
    Path missing = certificates.resolve("missing.pem");
    define(url("localhost"), new JsonObject().put("trustCertificates", missing.toString()));
    JsonObject failed = control.awaitState(NAME, ListenerState.FAILED, WAIT);
    assertEquals("tls_config", failed.getJsonObject("last_error").getString("code"));
    assertTrue(failed.getJsonObject("last_error").getString("message").contains(missing.toString()), failed.encode());
    assertEquals(0, sim.totalConnections());

    Files.copy(certificate.key(), missing); // a key, not a certificate
    control.start(NAME);
    Await.until(WAIT, "a second failure", () -> control.status(NAME),
        s -> "FAILED".equals(s.getString("state")) && s.getJsonObject("last_error").getString("message").contains("no PEM certificate"));
    assertEquals(0, sim.totalConnections());
  }

  @Test
  @DisplayName("tls on a ws:// URL, and an unknown tls field, are refused when the definition is read")
  void refusedDefinitions() {
    ConfigException plain = assertThrows(ConfigException.class, () -> FeedFixture.feed("ws://localhost:1/x", FeedFixture.fastPolicy(),
        false, new JsonObject().put("tls", trusting())));
    assertTrue(plain.getMessage().contains("tls") && plain.getMessage().contains("wss://"), plain.getMessage());
    ConfigException unknown = assertThrows(ConfigException.class, () -> FeedFixture.feed(url("localhost"), FeedFixture.fastPolicy(),
        false, new JsonObject().put("tls", new JsonObject().put("trustAll", true))));
    assertTrue(unknown.getMessage().contains("tls.trustAll"), unknown.getMessage());
    ConfigException notAPath = assertThrows(ConfigException.class, () -> FeedFixture.feed(url("localhost"), FeedFixture.fastPolicy(),
        false, new JsonObject().put("tls", new JsonObject().put("trustCertificates", "ca\u0000.pem"))));
    assertTrue(notAPath.getMessage().endsWith("tls.trustCertificates: is not a file path (Nul character not allowed)"), notAPath.getMessage());
  }
}
