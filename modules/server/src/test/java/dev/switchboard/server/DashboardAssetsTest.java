package dev.switchboard.server;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard's files as the jar serves them: the page is revalidated on every load, and the
 * files it names are named after their content, so browsers keep them for a year and a new build
 * still shows at the next reload.
 */
@ExtendWith(VertxExtension.class)
class DashboardAssetsTest {
  private static final Pattern REFERENCE = Pattern.compile("<(?:script|link)\\b[^>]*\\b(?:src|href)=\"([^\"]+)\"");
  private static final Pattern HASHED = Pattern.compile("(app|style)-[A-Z0-9]{8}\\.(js|css)");

  @TempDir
  Path dataDir;
  private Switchboard app;
  private WebClient http;

  @BeforeEach
  void setUp(Vertx vertx) {
    app = ServerFixture.start(ServerFixture.config(dataDir));
    http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(app.httpPort()));
  }

  @AfterEach
  void tearDown() {
    app.stop().await();
  }

  private HttpResponse<Buffer> get(String path) {
    return http.get(path).send().await();
  }

  @Test
  @DisplayName("index.html is no-cache; the script and style it names have content hashes and are immutable for a year")
  void caching() {
    for (String page : new String[] {"/", "/index.html"}) {
      HttpResponse<Buffer> answer = get(page);
      assertEquals(200, answer.statusCode(), page);
      assertEquals("no-cache", answer.getHeader("Cache-Control"), page);
    }
    String html = get("/").bodyAsString();
    List<String> referenced = new ArrayList<>();
    Matcher m = REFERENCE.matcher(html);
    while (m.find()) {
      if (m.group(1).endsWith(".js") || m.group(1).endsWith(".css")) {
        referenced.add(m.group(1)); // the favicon is referenced too, unhashed and revalidated like the page
      }
    }
    assertEquals(2, referenced.size(), "one script and one style sheet: " + referenced);
    for (String file : referenced) {
      assertTrue(HASHED.matcher(file).matches(), "named after its content: " + file);
      HttpResponse<Buffer> answer = get("/" + file);
      assertEquals(200, answer.statusCode(), file);
      assertEquals("public, max-age=31536000, immutable", answer.getHeader("Cache-Control"), file);
      assertTrue(answer.getHeader("Content-Type").startsWith(file.endsWith(".js") ? "text/javascript" : "text/css"),
          file + ": " + answer.getHeader("Content-Type"));
      // Its source map is named after it, and kept as long.
      Matcher map = Pattern.compile("sourceMappingURL=(\\S+)").matcher(answer.bodyAsString());
      assertTrue(map.find(), file + " names its source map");
      assertEquals("public, max-age=31536000, immutable", get("/" + map.group(1)).getHeader("Cache-Control"), map.group(1));
    }
    // The page names the current files, and no old unhashed name is left for it to use.
    assertFalse(html.contains("\"app.js\"") || html.contains("\"style.css\""), html);
    // A hashed name that is not there is a 404 that no one keeps.
    HttpResponse<Buffer> missing = get("/app-ZZZZZZZZ.js");
    assertEquals(404, missing.statusCode());
    assertNotEquals("public, max-age=31536000, immutable", missing.getHeader("Cache-Control"));
  }

  @Test
  @DisplayName("the page has no inline script, style or event handler: the Content-Security-Policy would refuse them")
  void nothingInline() {
    String html = get("/").bodyAsString();
    assertFalse(Pattern.compile("<script(?![^>]*\\ssrc=)[^>]*>", Pattern.CASE_INSENSITIVE).matcher(html).find(), html);
    assertFalse(Pattern.compile("<style[\\s>]|\\sstyle=\"|\\son[a-z]+=\"", Pattern.CASE_INSENSITIVE).matcher(html).find(), html);
  }
}
