package dev.switchboard.server.dashboard;

import dev.switchboard.server.Switchboard;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.simulators.TcpGate;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.chrome.ChromeDriver;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dead path between the page and the server must show: with the TCP path black-holed (no FIN, no
 * RST), the page hears no pong, calls the connection lost within its staleAfter, and recovers by itself
 * within seconds, though the browser's pool holds idle sockets on the dead path.
 */
@ExtendWith(VertxExtension.class)
class ConnectionLivenessBrowserTest {
  private static final String TOKEN = "liveness-test-token";

  @TempDir
  Path dataDir;
  private Switchboard app;
  private TcpGate gate;
  private ChromeDriver driver;

  @BeforeEach
  void setUp(Vertx vertx) {
    Chromium.assumeInstalled();
    JsonObject config = new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("controlToken", TOKEN))
        .put("dataDir", dataDir.toString())
        .put("listeners", new JsonArray());
    app = Switchboard.start(new ConfigLoader(Map.of()).parse(config)).await();
    gate = TcpGate.open(vertx, "127.0.0.1", 0, app.httpPort()).await();
    driver = Chromium.start();
  }

  @AfterEach
  void tearDown() {
    if (driver != null) {
      driver.quit();
    }
    if (gate != null) {
      gate.close().await();
    }
    if (app != null) {
      app.stop().await();
    }
  }

  @Test
  @DisplayName("black-holed path: lost within staleAfter (shown with the reason and the countdown), then connected again")
  void blackHoledPath() {
    DashboardPage page = DashboardPage.open(driver, "http://127.0.0.1:" + gate.port() + "/?staleAfter=1500");
    // Quiet, but alive: the server answers every ping, so a silent server is not a dead one.
    long quietUntil = System.currentTimeMillis() + 3_000;
    page.waitFor("three quiet seconds", Duration.ofSeconds(10), () -> System.currentTimeMillis() > quietUntil);
    assertTrue("connected".equals(page.connectionPhase()), "a quiet, live server stays connected");

    long cut = System.currentTimeMillis();
    gate.blackhole();
    page.waitFor("the loss shown", Duration.ofSeconds(8), () -> !"connected".equals(page.connectionPhase())
        && String.valueOf(page.attribute("#connection", "data-lost")).contains("nothing heard"));
    long noticed = System.currentTimeMillis() - cut;
    assertTrue(noticed < 4_000, "noticed after " + noticed + " ms with staleAfter 1.5 s");
    assertTrue(page.connectionText().contains("lost: nothing heard from the server"), page.connectionText());

    // The idle keep-alive sockets the page's earlier requests left in the browser's pool are black-holed too:
    // a connect that went out on one would wait 8 s for SockJS's /info. The page clears the pool first (at
    // most 1.5 s here), so it is back well before that.
    page.waitFor("connected again through the gate", Duration.ofSeconds(6), () -> "connected".equals(page.connectionPhase()) && page.synced());
  }

  @Test
  @DisplayName("the browser going offline while the socket is open counts as a loss")
  void browserOffline() {
    DashboardPage page = DashboardPage.open(driver, "http://127.0.0.1:" + gate.port() + "/");
    page.js("window.dispatchEvent(new Event('offline'));");
    page.waitFor("the loss shown", Duration.ofSeconds(5), () -> !"connected".equals(page.connectionPhase())
        && String.valueOf(page.attribute("#connection", "data-lost")).contains("offline"));
    page.waitFor("connected again", Duration.ofSeconds(20), () -> "connected".equals(page.connectionPhase()));
  }
}
