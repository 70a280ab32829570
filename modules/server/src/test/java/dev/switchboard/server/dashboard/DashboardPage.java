package dev.switchboard.server.dashboard;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchWindowException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The dashboard as a user sees it, in one browser tab. Reads go through the DOM's data attributes
 * (what is shown), never through the page's own variables.
 */
final class DashboardPage {
  private final ChromeDriver driver;
  private final String handle;

  private DashboardPage(ChromeDriver driver, String handle) {
    this.driver = driver;
    this.handle = handle;
  }

  /** Opens the dashboard in the driver's current tab. */
  static DashboardPage open(ChromeDriver driver, String url) {
    driver.get(url);
    DashboardPage page = new DashboardPage(driver, driver.getWindowHandle());
    page.waitFor("the page connected and synced", () -> "connected".equals(page.connectionPhase()) && page.synced());
    return page;
  }

  /** Opens the dashboard in a new tab of the same browser. */
  static DashboardPage openInNewTab(ChromeDriver driver, String url) {
    driver.switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
    return open(driver, url);
  }

  DashboardPage focus() {
    String current;
    try {
      current = driver.getWindowHandle();
    } catch (NoSuchWindowException e) {
      current = null; // the tab in focus was closed
    }
    if (!handle.equals(current)) {
      driver.switchTo().window(handle);
    }
    return this;
  }

  void close() {
    focus();
    driver.close();
  }

  Object js(String script, Object... args) {
    focus();
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  String text(String css) {
    Object value = js("const el = document.querySelector(arguments[0]); return el ? el.textContent : null;", css);
    return value == null ? null : value.toString();
  }

  String attribute(String css, String name) {
    Object value = js("const el = document.querySelector(arguments[0]); return el ? el.getAttribute(arguments[1]) : null;", css, name);
    return value == null ? null : value.toString();
  }

  boolean exists(String css) {
    return Boolean.TRUE.equals(js("return document.querySelector(arguments[0]) !== null;", css));
  }

  String connectionPhase() {
    return attribute("#connection", "data-phase");
  }

  String connectionText() {
    return text("#connection-text");
  }

  boolean synced() {
    return "true".equals(attribute("#listeners", "data-synced"));
  }

  String state(String listener) {
    return attribute(card(listener), "data-state");
  }

  static String card(String listener) {
    return "[data-listener=\"" + listener + "\"]";
  }

  boolean enabled(String listener, String action) {
    return Boolean.FALSE.equals(js("const b = document.querySelector(arguments[0]); return b ? b.disabled : null;",
        card(listener) + " button[data-action=\"" + action + "\"]"));
  }

  String result(String listener) {
    return text(card(listener) + " [data-field=\"result\"]");
  }

  void setToken(String token) {
    focus();
    if (exists("#token-forget")) {
      driver.findElement(By.id("token-forget")).click();
    }
    driver.findElement(By.id("token-input")).sendKeys(token);
    driver.findElement(By.id("token-save")).click();
    waitFor("the token saved", () -> "true".equals(attribute("#token-state", "data-present")));
  }

  /** Clicks a listener's button; returns the page's clock at the click, for timing what follows. */
  long click(String listener, String action) {
    String css = card(listener) + " button[data-action=\"" + action + "\"]";
    waitFor(action + " enabled on " + listener, () -> enabled(listener, action));
    Object at = js("const b = document.querySelector(arguments[0]); const at = Date.now(); b.click(); return at;", css);
    return ((Number) at).longValue();
  }

  /**
   * From now on, records the page's clock when {@code listener}'s card first shows {@code state}, so
   * that "how soon" is measured in the page, not by how often the test looks.
   */
  void watchFor(String listener, String state) {
    js("""
        const [listener, state] = arguments;
        window.__seen = window.__seen || {};
        const key = listener + ':' + state;
        delete window.__seen[key];
        const card = document.querySelector('[data-listener="' + listener + '"]');
        const check = () => { if (!window.__seen[key] && card.dataset.state === state) window.__seen[key] = Date.now(); };
        new MutationObserver(check).observe(card, {attributes: true, attributeFilter: ['data-state']});
        check();
        """, listener, state);
  }

  Long seenAt(String listener, String state) {
    Object at = js("return (window.__seen || {})[arguments[0] + ':' + arguments[1]] || null;", listener, state);
    return at == null ? null : ((Number) at).longValue();
  }

  /** Clicks "Reconnect now", unless the page got there by itself first (the button is then hidden). */
  void reconnectNow() {
    js("const b = document.querySelector('#reconnect'); if (!b.hidden) b.click();");
  }

  void type(String css, String text) {
    focus();
    WebElement input = driver.findElement(By.cssSelector(css));
    input.clear();
    input.sendKeys(text);
  }

  void clickCss(String css) {
    focus();
    driver.findElement(By.cssSelector(css)).click();
  }

  @SuppressWarnings("unchecked")
  List<String> texts(String css) {
    return (List<String>) js("return [...document.querySelectorAll(arguments[0])].map(e => e.textContent);", css);
  }

  @SuppressWarnings("unchecked")
  List<String> attributes(String css, String name) {
    return (List<String>) js("return [...document.querySelectorAll(arguments[0])].map(e => e.getAttribute(arguments[1]));", css, name);
  }

  void waitFor(String what, Supplier<Boolean> condition) {
    waitFor(what, LiveDemo.WAIT, condition);
  }

  void waitFor(String what, Duration timeout, Supplier<Boolean> condition) {
    focus();
    new WebDriverWait(driver, timeout, Duration.ofMillis(50))
        .withMessage(() -> "waiting for: " + what)
        .until((WebDriver d) -> {
          focus();
          return condition.get();
        });
  }

  void screenshot(Path file) {
    focus();
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
