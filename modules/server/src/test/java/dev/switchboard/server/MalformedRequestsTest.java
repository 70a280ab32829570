package dev.switchboard.server;

import ch.qos.logback.classic.Level;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests that are not well-formed, and bodies sent the way curl sends them: answered with the documented JSON,
 * never a stack trace or an ERROR line an anonymous client can write at will.
 */
class MalformedRequestsTest {
  @TempDir
  Path dataDir;
  private Switchboard app;
  private LogCapture log;

  @BeforeEach
  void setUp() {
    app = ServerFixture.start(ServerFixture.config(dataDir));
    log = LogCapture.of(org.slf4j.Logger.ROOT_LOGGER_NAME); // what the requests write, not the start's warnings
  }

  @AfterEach
  void tearDown() {
    log.close();
    app.stop().await();
  }

  private String request(String method, String uri, String headers, String body) throws Exception {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return RawHttp.exchange(app.httpPort(), method + " " + uri + " HTTP/1.1\r\nHost: 127.0.0.1:" + app.httpPort()
        + "\r\nConnection: close\r\n" + headers + (bytes.length > 0 ? "Content-Length: " + bytes.length + "\r\n" : "") + "\r\n" + body);
  }

  private void assertNoErrorLogged() {
    // Micrometer warns once per JVM when a second server in it registers its gauges: the test's, not the requests'.
    assertEquals(java.util.List.of(), log.list().stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        .filter(e -> !e.getLoggerName().startsWith("io.micrometer"))
        .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage()).toList());
  }

  @Test
  @DisplayName("a definition sent as curl -d sends it (a form's content type), larger than a form field may be, with a '%': taken as JSON")
  void curlDataBody() throws Exception {
    JsonObject definition = new JsonObject().put("type", "upstream").put("url", "ws://127.0.0.1:9/feed")
        .put("headers", new JsonObject().put("X-Note", "100% sure, " + "x".repeat(3_000)));
    String answer = request("PUT", "/api/listeners/curl-fed", "Authorization: Bearer " + ServerFixture.TOKEN
        + "\r\nContent-Type: application/x-www-form-urlencoded\r\n", definition.encode());
    assertEquals(201, RawHttp.status(answer), answer);
    assertEquals("created", new JsonObject(RawHttp.body(answer)).getString("status"), answer);
    assertNoErrorLogged();
  }

  @Test
  @DisplayName("HEAD where GET is taken answers GET's status and headers without the body (monitors probe so); Allow says HEAD")
  void headIsGetWithoutTheBody() throws Exception {
    for (String path : new String[] {"/health", "/health/live", "/api/listeners", "/metrics", "/api/listeners/nobody"}) {
      String get = request("GET", path, "", "");
      String head = request("HEAD", path, "", "");
      assertEquals(RawHttp.status(get), RawHttp.status(head), path + ": " + head);
      assertEquals("", RawHttp.body(head), path + ": " + head);
      java.util.SortedSet<String> expected = headers(get);
      if (path.equals("/health/live") || path.equals("/metrics")) {
        // Answered by vertx-health-check's and Micrometer's handlers, which leave the length to the server: HEAD has none.
        expected.removeIf(h -> h.startsWith("content-length:"));
      }
      assertEquals(expected, headers(head), path + ": the same headers, Content-Length included");
      assertTrue(!RawHttp.body(get).isEmpty(), path + ": " + get);
    }
    String refused = request("DELETE", "/health", "", "");
    assertEquals(405, RawHttp.status(refused), refused);
    assertTrue(refused.contains("Allow: GET, HEAD"), refused);
    assertNoErrorLogged();
  }

  /** An answer's header lines, lower-cased, but its date. */
  private static java.util.SortedSet<String> headers(String answer) {
    String head = answer.substring(answer.indexOf("\r\n") + 2, answer.indexOf("\r\n\r\n"));
    return java.util.Arrays.stream(head.split("\r\n")).map(h -> h.toLowerCase(java.util.Locale.ROOT))
        .filter(h -> !h.startsWith("date:")).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
  }

  @Test
  @DisplayName("an HTTP/1.1 request without a Host header, which vertx-web refuses itself: 400 in JSON, with the security headers")
  void noHostHeader() throws Exception {
    String answer = RawHttp.exchange(app.httpPort(), "GET /api/listeners HTTP/1.1\r\nConnection: close\r\n\r\n");
    assertEquals(400, RawHttp.status(answer), answer);
    assertTrue(new JsonObject(RawHttp.body(answer)).getString("error").contains("'Host' header is required"), answer);
    assertTrue(answer.contains("X-Content-Type-Options: nosniff") && answer.contains("X-Frame-Options: DENY"), answer);
    assertNoErrorLogged();
  }

  @Test
  @DisplayName("a path or query with a broken %-escape: 400 in JSON, with the reason, and nothing in the log")
  void brokenEscapes() throws Exception {
    for (String uri : new String[] {"/api/listeners/%zz", "/api/listeners?x=%zz", "/subscribe?address=%zz", "/eventbus/websocket?x=%zz"}) {
      String answer = request("GET", uri, "", "");
      assertEquals(400, RawHttp.status(answer), uri + ": " + answer);
      assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("content-type: application/json"), uri + ": " + answer);
      assertTrue(new JsonObject(RawHttp.body(answer)).getString("error").contains("%-escape"), uri + ": " + answer);
    }
    assertNoErrorLogged();
  }
}
