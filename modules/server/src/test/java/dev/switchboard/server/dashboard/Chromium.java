package dev.switchboard.server.dashboard;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Debian's chromium, driven through Debian's chromedriver: both paths are given, so Selenium never
 * looks for (or downloads) a browser or a driver of its own.
 */
final class Chromium {
  static final Path BROWSER = Path.of(System.getProperty("chromium.binary", "/usr/bin/chromium"));
  static final Path DRIVER = Path.of(System.getProperty("chromium.driver", "/usr/bin/chromedriver"));

  private Chromium() {
  }

  /** Skips the test (not fails it) on a machine without the browser; CI installs it, so there they run. */
  static void assumeInstalled() {
    Assumptions.assumeTrue(Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER),
        "browser tests need Debian's chromium and chromium-driver (" + BROWSER + ", " + DRIVER
            + "): apt-get install -y chromium chromium-driver");
  }

  static ChromeDriver start() {
    // Selenium looks for DevTools bindings matching the browser's version and warns when it has none: nothing here uses them.
    java.util.logging.Logger.getLogger("org.openqa.selenium").setLevel(java.util.logging.Level.SEVERE);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BROWSER.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1440,1700", "--lang=en-US");
    // The page's console, for the tests that read it (Content-Security-Policy reports, say).
    options.setCapability("goog:loggingPrefs", java.util.Map.of("browser", "ALL"));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(DRIVER.toFile())
        .usingAnyFreePort()
        .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    return driver;
  }
}
