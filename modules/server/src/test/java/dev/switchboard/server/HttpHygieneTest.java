package dev.switchboard.server;

import ch.qos.logback.classic.Level;
import dev.switchboard.core.Addresses;
import dev.switchboard.core.testing.Await;
import dev.switchboard.server.http.HttpApi;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
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
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the HTTP server does to clients that abuse it: connections that idle or never finish their
 * request are closed (the bridge's live connections are not), requests for a name the server is not
 * (DNS rebinding) are refused, the SockJS transports never hand another origin's page credentials,
 * and every answer tells the browser to run only the server's own scripts, unframed and unsniffed.
 */
@ExtendWith(VertxExtension.class)
class HttpHygieneTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String LISTED_ORIGIN = "http://app.example.com";

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private Switchboard app;
  private LogCapture audit;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    audit = LogCapture.of("switchboard.audit");
    JsonObject config = ServerFixture.config(dataDir);
    config.getJsonObject("http").put("idleTimeout", "1s").put("requestTimeout", "1s")
        .put("allowedOrigins", new io.vertx.core.json.JsonArray().add(LISTED_ORIGIN));
    app = ServerFixture.start(config);
  }

  @AfterEach
  void tearDown() {
    audit.close();
    app.stop().await();
  }

  private NetSocket rawConnection() {
    NetClient client = vertx.createNetClient();
    return client.connect(app.httpPort(), "127.0.0.1").await();
  }

  /** Opens a connection that sends nothing, and waits for the server to close it. */
  private long idleConnectionLifetimeMs() {
    NetSocket socket = rawConnection();
    long opened = System.nanoTime();
    AtomicLong closed = new AtomicLong();
    socket.closeHandler(v -> closed.set(System.nanoTime()));
    Await.until(WAIT, "the idle connection closed by the server", () -> closed.get() != 0);
    return (closed.get() - opened) / 1_000_000;
  }

  @Test
  @DisplayName("half a request, its body trickled a byte at a time (never idle), is cut at the request timeout")
  void halfSentRequestIsClosed() {
    NetSocket socket = rawConnection();
    long started = System.nanoTime();
    AtomicLong closed = new AtomicLong();
    AtomicInteger trickled = new AtomicInteger();
    Buffer answer = Buffer.buffer();
    socket.handler(answer::appendBuffer);
    socket.closeHandler(v -> closed.set(System.nanoTime()));
    socket.write("POST /api/kinds/upstream/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"url\": \"");
    // Faster than the idle timeout, and 1000 bytes would take 150 s: only the request timeout can end this.
    long trickle = vertx.setPeriodic(150, id -> {
      if (closed.get() == 0) {
        socket.write("a");
        trickled.incrementAndGet();
      }
    });
    try {
      Await.until(WAIT, "the connection closed by the server", () -> closed.get() != 0);
    } finally {
      vertx.cancelTimer(trickle);
    }
    long lifetimeMs = (closed.get() - started) / 1_000_000;
    assertTrue(lifetimeMs >= 900 && lifetimeMs < 3_000, "closed after " + lifetimeMs + " ms; the request timeout is 1 s");
    assertTrue(trickled.get() >= 5, "it was never idle: " + trickled.get() + " bytes trickled");
    assertEquals(0, answer.length(), "an unfinished request gets no answer: " + answer);
  }

  @Test
  @DisplayName("requests with made-up methods add no series to /metrics: any method Vert.x does not know is counted as OTHER")
  void madeUpMethodsDoNotGrowTheMetrics() throws Exception {
    for (int i = 0; i < 30; i++) {
      RawHttp.exchange(app.httpPort(), "MADEUP" + i + " /api/listeners HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    }
    String metrics = WebClient.create(vertx).get(app.httpPort(), "127.0.0.1", "/metrics").send().await().bodyAsString();
    java.util.Set<String> methods = new java.util.TreeSet<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("method=\"([^\"]*)\"").matcher(metrics);
    while (m.find()) {
      methods.add(m.group(1));
    }
    assertTrue(methods.contains("OTHER") && methods.stream().noneMatch(method -> method.startsWith("MADEUP")), methods.toString());
  }

  @Test
  @DisplayName("a connection that sends nothing is closed after the idle timeout")
  void idleConnectionIsClosed() {
    long lifetimeMs = idleConnectionLifetimeMs();
    assertTrue(lifetimeMs >= 900 && lifetimeMs < 3_000, "closed after " + lifetimeMs + " ms");
  }

  @Test
  @DisplayName("a bridge WebSocket silent for longer than both timeouts stays open: the bridge's ping timeout governs it")
  void bridgeWebSocketOutlivesTheTimeouts() {
    BridgeClient browser = BridgeClient.connect(vertx, app.httpPort(), "/eventbus/websocket");
    long opened = System.nanoTime();
    // Two idle connections closed one after the other: the WebSocket, silent all along, has by then
    // been silent for twice the idle timeout.
    idleConnectionLifetimeMs();
    idleConnectionLifetimeMs();
    assertTrue((System.nanoTime() - opened) / 1_000_000 >= 2_000);
    assertFalse(browser.socket.isClosed());
    browser.send(BridgeClient.sendFrame(Addresses.STATUS_SNAPSHOT, null, "r-alive", null));
    assertEquals("rec", browser.reply("r-alive").getString("type"));
  }

  @Test
  @DisplayName("SockJS's HTTP transports within their cycle are not cut: a stream gets heartbeats past both timeouts, a poll its answer")
  void sockJsTransportsWithinTheirCycle() {
    HttpClient client = vertx.createHttpClient();
    StringBuilder stream = new StringBuilder();
    AtomicBoolean ended = new AtomicBoolean();
    // The handlers are set as the answer's head arrives, on the event loop: no chunk comes before them.
    HttpClientResponse response = client.request(new RequestOptions().setMethod(HttpMethod.POST).setPort(app.httpPort())
            .setHost("127.0.0.1").setURI("/eventbus/000/stream-session/xhr_streaming"))
        .compose(request -> request.send().onSuccess(r -> r
            .handler(chunk -> {
              synchronized (stream) {
                stream.append(chunk.toString());
              }
            })
            .endHandler(v -> ended.set(true))
            .exceptionHandler(err -> ended.set(true))))
        .await();
    assertEquals(200, response.statusCode());
    long opened = System.nanoTime();
    // The heartbeat comes every half idle timeout: four of them span two of each timeout.
    Await.until(WAIT, "four heartbeats on the stream", () -> heartbeats(stream) >= 4);
    assertTrue((System.nanoTime() - opened) / 1_000_000 >= 1_500);
    assertFalse(ended.get(), "the stream is still open");

    WebClient http = sockJsClient();
    assertEquals("o\n", http.post("/eventbus/000/poll-session/xhr").send().await().bodyAsString());
    HttpResponse<Buffer> poll = http.post("/eventbus/000/poll-session/xhr").send().await();
    assertEquals(200, poll.statusCode());
    assertEquals("h\n", poll.bodyAsString(), "a poll with nothing to deliver is answered with a heartbeat");
  }

  /** vertx-web closes the connection after each XHR poll's answer: a fresh connection per request, no race to reuse one. */
  private WebClient sockJsClient() {
    return WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(app.httpPort()).setKeepAlive(false));
  }

  private static long heartbeats(StringBuilder stream) {
    synchronized (stream) {
      String text = stream.toString();
      int open = text.indexOf("\no\n");
      return open < 0 ? 0 : Arrays.stream(text.substring(open + 3).split("\n")).filter("h"::equals).count();
    }
  }

  @Test
  @DisplayName("a request for a name the server is not (DNS rebinding) gets 421 and an audit line; its own names and HTTP/1.0 pass")
  void foreignHostIsRefused() throws Exception {
    int port = app.httpPort();
    String refused = RawHttp.exchange(port, "GET /api/listeners HTTP/1.1\r\nHost: evil.example.com\r\nConnection: close\r\n\r\n");
    assertEquals(421, RawHttp.status(refused), refused);
    assertTrue(new JsonObject(RawHttp.body(refused)).getString("error").contains("http.allowedHosts"), refused);
    assertTrue(audit.list().stream().anyMatch(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains("evil.example.com")
        && e.getFormattedMessage().contains("/api/listeners")), audit.list().toString());

    String upgrade = RawHttp.exchange(port, "GET /eventbus/websocket HTTP/1.1\r\nHost: evil.example.com:" + port + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade, close\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    assertEquals(421, RawHttp.status(upgrade), "no bridge for a foreign name either: " + upgrade);

    for (String host : new String[] {"127.0.0.1:" + port, "localhost:" + port, "localhost", "[::1]:" + port}) {
      String answer = RawHttp.exchange(port, "GET /api/listeners HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
      assertEquals(200, RawHttp.status(answer), host + ": " + answer);
    }
    assertEquals(200, RawHttp.status(RawHttp.exchange(port, "GET /api/listeners HTTP/1.0\r\n\r\n")), "HTTP/1.0 without Host");
  }

  @Test
  @DisplayName("SockJS's XHR transports do not echo another origin with credentials allowed, even a listed one")
  void noCredentialedCorsForForeignOrigins() {
    WebClient http = sockJsClient();
    for (HttpResponse<Buffer> answer : List.of(
        http.post("/eventbus/000/cors-session/xhr").putHeader("Origin", LISTED_ORIGIN).send().await(),
        http.get("/eventbus/info").putHeader("Origin", LISTED_ORIGIN).send().await())) {
      assertEquals(200, answer.statusCode());
      assertNotEquals("true", answer.getHeader("Access-Control-Allow-Credentials"), answer.headers().toString());
      assertNotEquals(LISTED_ORIGIN, answer.getHeader("Access-Control-Allow-Origin"), answer.headers().toString());
    }
  }

  @Test
  @DisplayName("every answer, the page, the API, a refusal and a 404, says: own scripts only, no framing, no sniffing, no referrer")
  void securityHeaders() throws Exception {
    int port = app.httpPort();
    WebClient http = sockJsClient();
    List<HttpResponse<Buffer>> answers = List.of(http.get("/").send().await(), http.get("/api/listeners").send().await(),
        http.post("/api/reload").send().await(), http.get("/no-such-file").send().await(), http.get("/eventbus/info").send().await());
    for (HttpResponse<Buffer> answer : answers) {
      String policy = answer.getHeader("Content-Security-Policy");
      assertEquals("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' ws://127.0.0.1:" + port
          + " wss://127.0.0.1:" + port + "; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'", policy,
          answer.statusCode() + " " + answer.headers());
      assertEquals("nosniff", answer.getHeader("X-Content-Type-Options"));
      assertEquals("no-referrer", answer.getHeader("Referrer-Policy"));
      assertEquals("DENY", answer.getHeader("X-Frame-Options"));
    }
    String refused = RawHttp.exchange(port, "GET / HTTP/1.1\r\nHost: evil.example.com\r\nConnection: close\r\n\r\n");
    assertEquals(421, RawHttp.status(refused));
    assertTrue(refused.contains("\r\nX-Content-Type-Options: nosniff\r\n") && refused.contains("\r\nContent-Security-Policy: default-src 'self';"),
        refused);
    // A Host that could smuggle something into the policy is left out of it: 'self' still holds.
    String odd = RawHttp.exchange(port, "GET /api/listeners HTTP/1.1\r\nHost: a_b.example;script-src:" + port + "\r\nConnection: close\r\n\r\n");
    assertTrue(odd.contains("connect-src 'self'; object-src"), odd);
  }

  @Test
  @DisplayName("the public demo token is accepted on loopback, with a warning at start naming SWITCHBOARD_TOKEN")
  void publicDemoTokenWarns() {
    try (LogCapture log = LogCapture.of(HttpApi.class.getName())) {
      JsonObject config = ServerFixture.config(dataDir.resolve("demo"));
      config.getJsonObject("http").put("controlToken", "${SWITCHBOARD_TOKEN_NOT_SET:-demo-control-token}");
      Switchboard demo = ServerFixture.start(config);
      try {
        assertTrue(log.list().stream().anyMatch(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains("public demo token")
            && e.getFormattedMessage().contains("SWITCHBOARD_TOKEN")), log.list().toString());
      } finally {
        demo.stop().await();
      }
    }
  }

  @Test
  @DisplayName("a short control token (8 to 19 characters) starts, with a warning to use a long random one; a long one starts silently")
  void shortTokenWarns() {
    for (String token : java.util.List.of("short-tok-1", "a-long-random-control-token-0123456789")) {
      try (LogCapture log = LogCapture.of(HttpApi.class.getName())) {
        JsonObject config = ServerFixture.config(dataDir.resolve("token-" + token.length()));
        config.getJsonObject("http").put("controlToken", token);
        Switchboard app = ServerFixture.start(config);
        try {
          boolean warned = log.list().stream().anyMatch(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains("shorter than 20"));
          assertEquals(token.length() < 20, warned, token + ": " + log.list());
        } finally {
          app.stop().await();
        }
      }
    }
  }
}
