package dev.switchboard.server.dashboard;

import dev.switchboard.core.testing.Await;
import dev.switchboard.server.Switchboard;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.simulators.TcpGate;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Adding, editing and removing a listener from the dashboard's form, in headless Chromium, with the
 * {@code echo} kind that only the test source set defines: the form is made from its schema, its
 * listener gets the generic panel, and the server's validation errors show next to their fields.
 */
@ExtendWith(VertxExtension.class)
class ListenerEditorBrowserTest {
  private static final String TOKEN = "editor-test-token";
  private static final String CARD = "#listeners [data-listener=\"e2e\"]";
  private static final String PANEL = "section[data-panel=\"generic\"][data-listener-panel=\"e2e\"]";

  @TempDir
  Path dataDir;
  private FeedSimulator first;
  private FeedSimulator second;
  private Switchboard app;
  private ChromeDriver driver;

  @BeforeEach
  void setUp(Vertx vertx) {
    Chromium.assumeInstalled();
    first = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(10));
    second = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(10));
    vertx.deployVerticle(first).await();
    vertx.deployVerticle(second).await();
    JsonObject config = new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("controlToken", TOKEN))
        .put("dataDir", dataDir.toString())
        .put("statusInterval", "250ms")
        .put("listeners", new JsonArray());
    app = Switchboard.start(new ConfigLoader(Map.of()).parse(config)).await();
    driver = Chromium.start();
  }

  @AfterEach
  void tearDown() {
    if (driver != null) {
      driver.quit();
    }
    if (app != null) {
      app.stop().await();
    }
  }

  @Test
  @DisplayName("add with a mistake (shown at its field), fix, see the generic panel's data; edit the URL; remove")
  void addEditRemove(Vertx vertx) {
    DashboardPage page = DashboardPage.open(driver, "http://127.0.0.1:" + app.httpPort() + "/");
    page.waitFor("no listener yet", () -> !"true".equals(page.attribute("#no-listeners", "hidden")) && page.synced());
    assertEquals("true", String.valueOf(page.js("return document.querySelector('#add-listener').disabled")),
        "adding needs the token");
    page.setToken(TOKEN);
    page.waitFor("Add enabled", () -> Boolean.FALSE.equals(page.js("return document.querySelector('#add-listener').disabled")));
    page.clickCss("#add-listener");
    page.waitFor("the form", () -> page.exists("form#listener-form [data-path=\"type\"]"));
    page.waitFor("the kinds listed", () -> Boolean.TRUE.equals(page.js(
        "return [...document.querySelectorAll('[data-path=\"type\"] option')].some(o => o.value === 'echo')")));
    new Select(driver.findElement(By.cssSelector("[data-path=\"type\"]"))).selectByValue("echo");
    page.waitFor("the echo kind's fields", () -> page.exists("[data-path=\"url\"]") && page.exists("[data-path=\"restart.initialDelay\"]"));
    page.type("[data-path=\"name\"]", "e2e");
    page.type("[data-path=\"url\"]", first.url());
    page.type("[data-path=\"restart.initialDelay\"]", "soon");
    page.clickCss("button[data-action=\"save\"]");
    page.waitFor("the error at its field", () -> {
      String error = page.text("[data-error-for=\"restart.initialDelay\"]");
      return error != null && error.contains("duration");
    });
    assertEquals("true", page.attribute("[data-path=\"restart.initialDelay\"]", "aria-invalid"));
    assertEquals(404, WebClient.create(vertx).get(app.httpPort(), "127.0.0.1", "/api/listeners/e2e").send().await().statusCode(),
        "nothing was created");

    page.type("[data-path=\"restart.initialDelay\"]", "50ms");
    page.clickCss("button[data-action=\"save\"]");
    page.waitFor("the card appears", () -> page.exists(CARD));
    page.waitFor("the form closed with the server's answer", () -> String.valueOf(page.text("#listener-result")).contains("e2e: created")
        && Boolean.TRUE.equals(page.js("return document.querySelector('#listener-editor').hidden")));
    // Created without autoStart: start it from its card.
    page.click("e2e", "start");
    page.waitFor("connected", () -> "CONNECTED".equals(page.attribute(CARD, "data-state")));
    page.waitFor("messages in the generic panel", () -> page.texts(PANEL + " li[data-seq]").size() >= 3);
    assertEquals(1, first.concurrentConnections());

    page.clickCss(CARD + " button[data-action=\"edit\"]");
    page.waitFor("the form filled from the stored definition", () -> first.url().equals(
        page.js("const i = document.querySelector('form#listener-form [data-path=\"url\"]'); return i ? i.value : null;")));
    page.type("form#listener-form [data-path=\"url\"]", second.url());
    page.clickCss("button[data-action=\"save\"]");
    page.waitFor("saved as an update", () -> String.valueOf(page.text("#listener-result")).contains("e2e: updated"));
    Await.until(LiveDemo.WAIT, "moved to the second upstream", () -> second.concurrentConnections() == 1 && first.concurrentConnections() == 0);
    page.waitFor("connected again", () -> "CONNECTED".equals(page.attribute(CARD, "data-state")));
    assertTrue(first.maxConcurrentConnections() <= 1 && second.maxConcurrentConnections() <= 1);

    page.js("window.confirm = () => true;");
    page.clickCss(CARD + " button[data-action=\"remove\"]");
    page.waitFor("the card and the panel go", () -> !page.exists(CARD) && !page.exists(PANEL));
    Await.until(LiveDemo.WAIT, "the connection closed", () -> second.concurrentConnections() == 0);
    assertEquals(404, WebClient.create(vertx).get(app.httpPort(), "127.0.0.1", "/api/listeners/e2e").send().await().statusCode());
  }

  @Test
  @DisplayName("a change saved elsewhere while the page was disconnected shows in the open edit form once the page is back")
  void changeMissedWhileDisconnected(Vertx vertx) {
    assertEquals(201, putEcho(vertx, first.url()).statusCode());
    // The page reaches the server through a gate that can cut its socket while the server, and this test, go on.
    TcpGate gate = TcpGate.open(vertx, "127.0.0.1", 0, app.httpPort()).await();
    try {
      DashboardPage page = DashboardPage.open(driver, "http://127.0.0.1:" + gate.port() + "/");
      page.setToken(TOKEN);
      page.click("e2e", "edit");
      page.waitFor("the form filled from version 1", () -> first.url().equals(
          page.js("const i = document.querySelector('form#listener-form [data-path=\"url\"]'); return i ? i.value : null;"))
          && String.valueOf(page.text("form#listener-form .version")).contains("version 1"));

      gate.refuse(true);
      gate.cutAll();
      page.waitFor("the page lost its socket", () -> !"connected".equals(page.connectionPhase()));
      // Another client saves version 2 while the page hears nothing: no switchboard.definitions push reaches it.
      HttpResponse<Buffer> saved = putEcho(vertx, second.url());
      assertEquals(200, saved.statusCode(), saved.bodyAsString());
      assertEquals(2L, saved.bodyAsJsonObject().getLong("version"));
      gate.refuse(false);

      page.waitFor("back and synced", () -> "connected".equals(page.connectionPhase()) && page.synced());
      page.waitFor("the form says the listener changed meanwhile", () -> "changed".equals(page.attribute("form#listener-form [data-field=\"form-note\"]", "data-note")));
      assertEquals("e2e was changed meanwhile (version 2): saving replaces that change.", page.text("form#listener-form [data-field=\"form-note\"]"));
    } finally {
      gate.close().await();
    }
  }

  /** Defines (or redefines) listener e2e of the echo kind, not started, straight on the server's port. */
  private HttpResponse<Buffer> putEcho(Vertx vertx, String url) {
    JsonObject definition = new JsonObject().put("type", "echo").put("autoStart", false).put("url", url);
    return WebClient.create(vertx).put(app.httpPort(), "127.0.0.1", "/api/listeners/e2e").bearerTokenAuthentication(TOKEN)
        .sendJsonObject(definition).await();
  }
}
