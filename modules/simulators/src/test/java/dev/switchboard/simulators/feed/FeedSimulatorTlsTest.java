package dev.switchboard.simulators.feed;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.testing.TestCertificate;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.switchboard.core.testing.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code simulators.feed.tls}: the simulator serves wss:// with the certificate the config names. */
@ExtendWith(VertxExtension.class)
class FeedSimulatorTlsTest {
  private static final java.time.Duration WAIT = java.time.Duration.ofSeconds(10);

  @Test
  @DisplayName("with tls in its config it serves wss:// with that certificate; a tls without its key is refused")
  void servesWss(Vertx vertx, @TempDir Path dir) {
    TestCertificate certificate = TestCertificate.writeTo(dir);
    JsonObject tls = new JsonObject().put("certificate", certificate.certificate().toString()).put("key", certificate.key().toString());
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.from(new ConfigSection("simulators.feed",
        new JsonObject().put("ratePerSecond", 50).put("tls", tls))));
    vertx.deployVerticle(sim).await();
    assertTrue(sim.url().startsWith("wss://127.0.0.1:"), sim.url());

    List<String> received = new CopyOnWriteArrayList<>();
    var client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setTrustOptions(new PemTrustOptions().addCertPath(certificate.certificate().toString())));
    client.connect(new WebSocketConnectOptions().setAbsoluteURI(sim.url().replace("127.0.0.1", "localhost")))
        .await().textMessageHandler(received::add);
    until(WAIT, "a message over wss://", () -> !received.isEmpty());

    ConfigException refused = assertThrows(ConfigException.class, () -> FeedSimulatorOptions.from(new ConfigSection("simulators.feed",
        new JsonObject().put("tls", new JsonObject().put("certificate", "cert.pem")))));
    assertEquals("simulators.feed.tls.key: is required", refused.getMessage());
  }
}
