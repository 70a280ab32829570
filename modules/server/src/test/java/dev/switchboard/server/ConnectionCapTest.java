package dev.switchboard.server;

import ch.qos.logback.classic.Level;
import dev.switchboard.core.testing.Await;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code http.maxConnections}: the server never holds more connections than it allows, plain or taken over
 * by the bridge, so that a flood of them cannot fill the heap and take every listener down. Real sockets
 * on loopback: plain HTTP keep-alive connections and the bridge's WebSockets.
 */
@ExtendWith(VertxExtension.class)
class ConnectionCapTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final int MAX = 10;
  /** All but a tenth of MAX: the rest is kept for HTTP. */
  private static final int BRIDGE_SHARE = 9;

  @TempDir
  Path dataDir;
  private Switchboard app;
  private final List<AutoCloseable> opened = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : opened) {
      c.close();
    }
    if (app != null) {
      app.stop().await();
    }
  }

  private Switchboard start(Integer maxConnections) {
    JsonObject config = ServerFixture.config(dataDir);
    if (maxConnections != null) {
      config.getJsonObject("http").put("maxConnections", maxConnections);
    }
    return ServerFixture.start(config);
  }

  /** A keep-alive connection that asked for /health/live: its answer, or null when the server closed it unanswered. */
  private static final class Plain implements AutoCloseable {
    final Socket socket;
    final String answer;

    Plain(int port) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout((int) WAIT.toMillis());
      socket.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      answer = readHead(socket.getInputStream());
      if (answer != null) {
        // The body too, so that what is read next on this connection can only be its close.
        Matcher length = Pattern.compile("(?im)^content-length: *(\\d+)").matcher(answer);
        assertTrue(length.find(), "an answer with its length: " + answer);
        socket.getInputStream().readNBytes(Integer.parseInt(length.group(1)));
      }
    }

    /** The answer's head (the body is left unread), or null at end of stream before any byte. */
    private static String readHead(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int b;
      try {
        while ((b = in.read()) != -1) {
          head.write(b);
          if (head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            return head.toString(StandardCharsets.ISO_8859_1);
          }
        }
      } catch (java.net.SocketException reset) {
        // closed by the server: as an end of stream
      }
      assertEquals(0, head.size(), "the server closed the connection in the middle of an answer: " + head);
      return null;
    }

    boolean admitted() {
      return answer != null;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private Plain plain() throws IOException {
    Plain p = new Plain(app.httpPort());
    opened.add(p);
    return p;
  }

  /** A plain connection that was let in, once the server has room: each refusal on the way is added to {@code refusals}. */
  private Plain admittedOnceThereIsRoom(int[] refusals) {
    Plain[] in = new Plain[1];
    Await.until(WAIT, "a connection let in", () -> {
      try {
        Plain p = plain();
        if (p.admitted()) {
          in[0] = p;
          return true;
        }
        refusals[0]++;
        return false;
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    return in[0];
  }

  private BridgeClient bridge(Vertx vertx, String uri) {
    BridgeClient client = BridgeClient.connect(vertx, app.httpPort(), uri);
    opened.add(() -> client.client.close().await());
    return client;
  }

  /** A bridge WebSocket, once the server has room for it (a closed one may not have been counted out yet). */
  private BridgeClient bridgeOnceThereIsRoom(Vertx vertx, String uri) {
    BridgeClient[] in = new BridgeClient[1];
    Await.until(WAIT, "a bridge WebSocket let in on " + uri, () -> {
      try {
        in[0] = bridge(vertx, uri);
        return true;
      } catch (RuntimeException refused) {
        return false;
      }
    });
    return in[0];
  }

  private static double metric(String scrape, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? ([0-9.eE+]+)$").matcher(scrape);
    assertTrue(m.find(), name + " is not in /metrics");
    return Double.parseDouble(m.group(2));
  }

  @Test
  @DisplayName("past http.maxConnections a new connection is closed at once, unanswered; a closed one makes room; /metrics counts both")
  void fullServerClosesNewConnections() throws Exception {
    app = start(MAX);
    List<Plain> in = new ArrayList<>();
    for (int i = 0; i < MAX; i++) {
      Plain p = plain();
      assertTrue(p.admitted(), "within the bound");
      assertTrue(p.answer.startsWith("HTTP/1.1 200"), p.answer);
      in.add(p);
    }
    Plain refused = plain();
    assertFalse(refused.admitted(), "one more connection is closed without an answer");

    int[] refusals = {1};
    in.get(0).close();
    admittedOnceThereIsRoom(refusals);
    in.get(1).close();
    String[] scraped = new String[1];
    Await.until(WAIT, "/metrics answered once the closed connection has made room", () -> {
      try {
        scraped[0] = RawHttp.exchange(app.httpPort(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      } catch (IOException resetUnanswered) {
        scraped[0] = "";
      }
      if (scraped[0].isEmpty()) {
        refusals[0]++;
        return false;
      }
      return true;
    });
    String scrape = scraped[0];
    assertEquals(200, RawHttp.status(scrape), scrape);
    // Open during the scrape: eight of the first ten, the one let in after the first closed, and the scrape's own.
    assertEquals(MAX, (int) metric(scrape, "switchboard_http_connections"));
    assertEquals(refusals[0], (int) metric(scrape, "switchboard_http_connections_refused_total"));
  }

  /** A connection that sends nothing. */
  private Socket silent() throws IOException {
    Socket socket = new Socket("127.0.0.1", app.httpPort());
    opened.add(socket);
    return socket;
  }

  /** Whether the server closed {@code socket}: end of stream or a reset, read within 200 ms; open if neither. */
  private static boolean closedByServer(Socket socket) throws IOException {
    socket.setSoTimeout(200);
    try {
      return socket.getInputStream().read() == -1;
    } catch (java.net.SocketTimeoutException stillOpen) {
      return false;
    } catch (java.net.SocketException reset) {
      return true;
    }
  }

  @Test
  @DisplayName("a full server closes the connection that has sent nothing for longest, after a second, to let a new one in; never one that asked")
  void silentConnectionsMakeRoom() throws Exception {
    app = start(MAX);
    Plain asked = plain();
    assertTrue(asked.admitted());
    List<Socket> silent = new ArrayList<>();
    for (int i = 1; i < MAX; i++) {
      silent.add(silent());
    }
    int[] refusals = {0};
    // Refused while the silent ones are younger than a second; then the oldest gives way.
    Plain in = admittedOnceThereIsRoom(refusals);
    assertTrue(in.answer.startsWith("HTTP/1.1 200"), in.answer);
    assertTrue(closedByServer(silent.get(0)), "the oldest silent connection was closed to make room");
    for (Socket other : silent.subList(1, silent.size())) {
      assertFalse(closedByServer(other), "only the oldest");
    }
    assertFalse(closedByServer(asked.socket), "a connection that asked is never closed for room");

    String scrape = RawHttp.exchange(app.httpPort(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    assertEquals(2, (int) metric(scrape, "switchboard_http_connections_evicted_total"), "one for the request, one for the scrape");
    assertEquals(refusals[0], (int) metric(scrape, "switchboard_http_connections_refused_total"));
    assertTrue(closedByServer(silent.get(1)), "the scrape took the next oldest's place");
  }

  @Test
  @DisplayName("bridge WebSockets count from their upgrade to their close, once, and take all but a tenth: past that an upgrade gets 503 and HTTP still answers")
  void bridgeWebSocketsCountUntilTheyClose(Vertx vertx) throws Exception {
    app = start(MAX);
    for (int i = 0; i < 100; i++) {
      String uri = i % 2 == 0 ? "/eventbus/websocket" : "/eventbus/123/session" + i + "/websocket";
      BridgeClient client = bridgeOnceThereIsRoom(vertx, uri);
      client.client.close().await();
    }
    // Had a closed WebSocket stayed counted, these could not all be in.
    List<BridgeClient> clients = new ArrayList<>();
    for (int i = 0; i < BRIDGE_SHARE; i++) {
      // The bridge's three WebSocket endpoints: raw, SockJS's websocket transport, and plain subscriptions.
      clients.add(bridgeOnceThereIsRoom(vertx, switch (i % 3) {
        case 0 -> "/eventbus/websocket";
        case 1 -> "/eventbus/123/s" + i + "/websocket";
        default -> "/subscribe?address=switchboard.status";
      }));
    }
    String full = RawHttp.exchange(app.httpPort(), "GET /eventbus/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    assertEquals(503, RawHttp.status(full), full);
    assertTrue(RawHttp.body(full).contains("as many bridge clients as it may hold"), full);
    int[] refusals = {0};
    Plain api = admittedOnceThereIsRoom(refusals);
    assertTrue(api.answer.startsWith("HTTP/1.1 200"), "the tenth kept for HTTP answers: " + api.answer);
    // Had a WebSocket been counted out twice, one more would be let in now.
    assertFalse(plain().admitted(), "the bound holds after the churn: nine WebSockets and one plain connection are open");
    clients.get(0).client.close().await();
    admittedOnceThereIsRoom(refusals); // a WebSocket's close makes room
    assertFalse(plain().admitted(), "and only that much");
  }

  private String xhrPoll(String session) throws IOException {
    return RawHttp.exchange(app.httpPort(), "POST /eventbus/000/" + session + "/xhr HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Content-Length: 0\r\nConnection: close\r\n\r\n");
  }

  @Test
  @DisplayName("SockJS's HTTP transports share the bridge's part: a session counts as a client, and a new one past it is closed")
  void sockJsSessionsShareTheBridgesPart(Vertx vertx) throws Exception {
    app = start(MAX);
    for (int i = 0; i < BRIDGE_SHARE - 1; i++) {
      bridge(vertx, "/eventbus/websocket");
    }
    assertTrue(RawHttp.body(xhrPoll("first")).contains("o\n"), "a session within the part opens");
    String full = RawHttp.exchange(app.httpPort(), "GET /eventbus/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    assertEquals(503, RawHttp.status(full), "eight WebSockets and the session fill the part: " + full);
    // SockJS answers the first poll with its open frame before the bridge's refusal closes the session: the
    // next poll says it is closed.
    xhrPoll("second");
    String closed = RawHttp.body(xhrPoll("second"));
    assertTrue(closed.contains("c[3000,\"Go away!\"]"), "a session past the part is closed: " + closed);
    String scrape = RawHttp.exchange(app.httpPort(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    assertEquals(2, (int) metric(scrape, "switchboard_bridge_full_refusals_total"), "the upgrade and the session");
    // Polled no more, the first session times out after SockJS's 5 s, and gives its place back.
    bridgeOnceThereIsRoom(vertx, "/eventbus/websocket");
  }

  @Test
  @DisplayName("the start warns when the bound would let connections take most of the heap")
  void boundBeyondTheHeapWarns() {
    try (LogCapture log = LogCapture.of(dev.switchboard.server.http.HttpApi.class.getName())) {
      app = start(10_000_000);
      assertTrue(log.list().stream().anyMatch(e -> e.getLevel() == Level.WARN
              && e.getFormattedMessage().startsWith("http.maxConnections is 10000000: that many connections may hold")
              && e.getFormattedMessage().contains("JAVA_OPTS=-Xmx")),
          "10,000,000 connections fit no heap of this JVM: " + log.list());
    }
  }
}
