package dev.switchboard.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.switchboard.core.Addresses;
import dev.switchboard.core.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
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

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which pages may use the bridge: the server's own, those of http.allowedOrigins, and clients with no
 * Origin at all (scripts). A page of any other site is refused on every transport, WebSockets
 * included, which the browser's same-origin policy does not guard.
 */
@ExtendWith(VertxExtension.class)
class BridgeOriginTest {
  private static final String EVIL = "http://evil.example.com";
  private static final String LISTED = "https://app.example.com";
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private Switchboard app;
  private WebClient http;
  private LogCapture audit;
  /** Referenced to the end: Vert.x 5 shuts a client down once it is garbage collected, a handshake on its way too. */
  private final List<WebSocketClient> clients = new ArrayList<>();

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    audit = LogCapture.of("switchboard.audit");
    JsonObject config = ServerFixture.config(dataDir);
    config.getJsonObject("http").put("allowedOrigins", new JsonArray().add(LISTED));
    app = ServerFixture.start(config);
    // vertx-web closes the connection after each XHR poll's answer: a fresh connection per request.
    http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(app.httpPort()).setKeepAlive(false));
  }

  @AfterEach
  void tearDown() {
    clients.forEach(c -> c.close().await());
    audit.close();
    app.stop().await();
  }

  private String self() {
    return "http://127.0.0.1:" + app.httpPort();
  }

  /** A WebSocket as a browser page of {@code origin} opens it; null: no Origin header, as a script's. */
  private Future<WebSocket> webSocket(String uri, String origin) {
    WebSocketClient client = vertx.createWebSocketClient();
    clients.add(client);
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(app.httpPort()).setURI(uri)
        // Without an Origin of the test's, Vert.x sends one of its own (the server's) unless told not to.
        .setAllowOriginHeader(origin != null);
    if (origin != null) {
      options.addHeader("Origin", origin);
    }
    return client.connect(options);
  }

  /** The status a browser page of {@code origin} gets for its WebSocket upgrade: anything but 101 is a refusal. */
  private int refusedWith(String uri, String origin) {
    try {
      int status = RawHttp.upgradeStatus(app.httpPort(), uri, "Origin: " + origin + "\r\n");
      assertNotEquals(101, status, "the upgrade must be refused");
      return status;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Registers on the status snapshot's reply and asks it: the bridge answers only a socket that works. */
  private static void askSnapshot(WebSocket socket, boolean sockJs) {
    List<String> frames = new CopyOnWriteArrayList<>();
    socket.textMessageHandler(frames::add);
    String frame = new JsonObject().put("type", "send").put("address", Addresses.STATUS_SNAPSHOT).put("replyAddress", "r-1").encode();
    socket.writeTextMessage(sockJs ? new JsonArray().add(frame).encode() : frame).await();
    Await.until(WAIT, "the snapshot's reply", () -> frames.stream().anyMatch(f -> f.contains("r-1") && f.contains("listeners")));
    socket.close().await();
  }

  private HttpRequest<Buffer> withOrigin(HttpRequest<Buffer> request, String origin) {
    return origin == null ? request : request.putHeader("Origin", origin);
  }

  @Test
  @DisplayName("a page of another site is refused with 403 on both WebSocket paths, the XHR transports and info, and audited naming its origin")
  void foreignOriginRefused() {
    assertEquals(403, refusedWith("/eventbus/websocket", EVIL));
    assertEquals(403, refusedWith("/eventbus/000/evil-session/websocket", EVIL));
    assertEquals(403, refusedWith("/subscribe?address=upstream.feed.message", EVIL), "the plain WebSocket too");
    for (HttpResponse<Buffer> answer : List.of(
        http.post("/eventbus/000/evil-xhr/xhr").putHeader("Origin", EVIL).send().await(),
        http.post("/eventbus/000/evil-xhr/xhr_send").putHeader("Origin", EVIL).sendBuffer(Buffer.buffer("[\"{}\"]")).await(),
        http.post("/eventbus/000/evil-stream/xhr_streaming").putHeader("Origin", EVIL).send().await(),
        http.get("/eventbus/info").putHeader("Origin", EVIL).send().await())) {
      assertEquals(403, answer.statusCode(), answer.bodyAsString());
      assertTrue(answer.bodyAsJsonObject().getString("error").contains("http.allowedOrigins"), answer.bodyAsString());
      assertNotEquals(EVIL, answer.getHeader("Access-Control-Allow-Origin"));
    }
    // A sandboxed frame or a file sends "null": no site of ours.
    assertEquals(403, refusedWith("/eventbus/websocket", "null"));
    // A look-alike of the server's own origin: another port (another server), another name.
    assertEquals(403, refusedWith("/eventbus/websocket", "http://127.0.0.1:" + (app.httpPort() + 1)));
    assertEquals(403, refusedWith("/eventbus/websocket", "http://127.0.0.1.evil.example.com:" + app.httpPort()));

    List<String> lines = Await.until(WAIT, "the audit line", () -> audit.list().stream()
        .filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList(), l -> !l.isEmpty());
    assertTrue(lines.get(0).contains("Origin '" + EVIL + "'") && lines.get(0).contains("/eventbus/websocket")
        && lines.get(0).contains("http.allowedOrigins"), lines.toString());
  }

  @Test
  @DisplayName("the server's own pages, clients without an Origin, and a listed origin use every transport")
  void ownListedAndNoOriginAllowed() {
    for (String origin : new String[] {self(), null, LISTED}) {
      askSnapshot(webSocket("/eventbus/websocket", origin).await(), false);
      WebSocket sockJs = webSocket("/eventbus/000/ok-" + (origin == null ? "none" : origin.hashCode()) + "/websocket", origin).await();
      askSnapshot(sockJs, true);
      HttpResponse<Buffer> poll = withOrigin(http.post("/eventbus/000/xhr-" + (origin == null ? "none" : origin.hashCode()) + "/xhr"), origin)
          .send().await();
      assertEquals(200, poll.statusCode(), origin + ": " + poll.bodyAsString());
      assertEquals("o\n", poll.bodyAsString());
      HttpResponse<Buffer> info = withOrigin(http.get("/eventbus/info"), origin).send().await();
      assertEquals(200, info.statusCode(), origin + ": " + info.bodyAsString());
    }
    // A listed origin reads without credentials: the browser's cookies never go with it.
    HttpResponse<Buffer> listed = http.post("/eventbus/000/listed-xhr/xhr").putHeader("Origin", LISTED).send().await();
    assertNotEquals("true", listed.getHeader("Access-Control-Allow-Credentials"), listed.headers().toString());
    assertTrue(audit.list().stream().noneMatch(e -> e.getLevel() == Level.WARN), audit.list().toString());
  }

  @Test
  @DisplayName("\"*\" in http.allowedOrigins lets any page in, as before the check")
  void anyOrigin() {
    JsonObject config = ServerFixture.config(dataDir.resolve("any"));
    config.getJsonObject("http").put("allowedOrigins", new JsonArray().add("*"));
    Switchboard open = ServerFixture.start(config);
    try {
      WebSocketClient client = vertx.createWebSocketClient();
      clients.add(client);
      WebSocket socket = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(open.httpPort())
          .setURI("/eventbus/websocket").addHeader("Origin", EVIL)).await();
      askSnapshot(socket, false);
    } finally {
      open.stop().await();
    }
  }
}
