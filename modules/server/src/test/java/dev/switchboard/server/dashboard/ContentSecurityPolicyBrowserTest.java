package dev.switchboard.server.dashboard;

import dev.switchboard.core.testing.Await;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard under the server's Content-Security-Policy, in headless Chromium: it connects (over
 * a WebSocket), shows the listeners, and controls them, and the browser reports no violation of the
 * policy, neither as a {@code securitypolicyviolation} event nor on its console. The same recorder
 * does see a violation when the page is made to commit one: the policy is there, and enforced.
 */
@ExtendWith(VertxExtension.class)
class ContentSecurityPolicyBrowserTest {
  /**
   * Runs before any script of every page (DevTools injects it; the policy does not apply to it), so
   * that a violation while the page loads is recorded too.
   */
  private static final String RECORDER = """
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', e => window.__violations.push(
          e.effectiveDirective + ' blocked ' + (e.blockedURI || '?') + ' at ' + (e.sourceFile || '?') + ':' + e.lineNumber), true);
      """;

  @TempDir
  Path dataDir;
  private LiveDemo demo;
  private ChromeDriver driver;

  @BeforeEach
  void setUp(Vertx vertx) {
    Chromium.assumeInstalled();
    demo = LiveDemo.start(vertx);
    demo.startServer(demo.config(dataDir, true));
    Await.until(LiveDemo.WAIT, "feed connected", () -> "CONNECTED".equals(demo.status("feed").getString("state")));
    driver = Chromium.start();
    driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", RECORDER));
  }

  @AfterEach
  void tearDown() {
    if (driver != null) {
      driver.quit();
    }
    if (demo != null) {
      demo.close();
    }
  }

  @SuppressWarnings("unchecked")
  private static List<String> violations(DashboardPage page) {
    return (List<String>) page.js("return window.__violations;");
  }

  private List<String> cspConsoleLines() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream().map(LogEntry::getMessage)
        .filter(m -> m.contains("Content Security Policy") || m.contains("Content-Security-Policy")).toList();
  }

  @Test
  @DisplayName("connected over a WebSocket, listeners shown, stop and start work, the editor loads the kinds: no CSP violation")
  void dashboardWorksUnderThePolicy() {
    DashboardPage page = DashboardPage.open(driver, demo.url());
    page.waitFor("every listener shown", () -> page.exists(DashboardPage.card("feed")) && page.exists(DashboardPage.card("home"))
        && page.exists(DashboardPage.card("market")));
    // The WebSocket transport, not a fallback: connect-src lets the page's own ws: through.
    Await.until(LiveDemo.WAIT, "the page on the fan-out path", () -> demo.metric("switchboard_bridge_websocket_clients"), v -> v == 1.0);
    page.waitFor("its style sheet applied", () -> !"rgba(0, 0, 0, 0)".equals(page.js(
        "return getComputedStyle(document.querySelector('" + DashboardPage.card("feed") + "')).backgroundColor;")));

    page.setToken(LiveDemo.TOKEN);
    page.click("feed", "stop");
    page.waitFor("stopped", () -> "stop: stopped".equals(page.result("feed")) && "STOPPED".equals(page.state("feed")));
    page.click("feed", "start");
    page.waitFor("connected again", () -> "CONNECTED".equals(page.state("feed")));
    // The REST API through fetch: the editor reads the kinds.
    page.clickCss("#add-listener");
    page.waitFor("the kinds in the form", () -> Boolean.TRUE.equals(page.js(
        "return [...document.querySelectorAll('[data-path=\"type\"] option')].some(o => o.value === 'upstream')")));

    assertEquals(List.of(), violations(page));
    assertEquals(List.of(), cspConsoleLines());

    // The recorder sees what the policy refuses: an inline script (not run) and an inline style.
    page.js("const s = document.createElement('script'); s.textContent = 'window.__inlineRan = true;'; document.body.append(s);"
        + "document.body.setAttribute('style', 'outline: 1px solid red');");
    page.waitFor("both refusals recorded", () -> violations(page).size() == 2);
    assertTrue(violations(page).get(0).startsWith("script-src-elem blocked inline"), violations(page).toString());
    assertTrue(violations(page).get(1).startsWith("style-src-attr blocked inline"), violations(page).toString());
    assertEquals(null, page.js("return window.__inlineRan === undefined ? null : window.__inlineRan;"), "the inline script did not run");
    assertEquals(2, cspConsoleLines().size(), "the console says so too, so the check above could see one");
  }
}
