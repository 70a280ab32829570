package dev.switchboard.server;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.BridgeActivity;
import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bridge's raw WebSocket endpoint (served by the fan-out path), as a browser or a service would use it. */
@ExtendWith(VertxExtension.class)
class BridgeTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private Switchboard app;
  private final List<BridgeActivity> activity = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(100));
    vertx.deployVerticle(sim).await();
    app = ServerFixture.start(ServerFixture.config(dataDir, ServerFixture.feedListener("feed", sim.url(), true)));
    app.vertx().eventBus().<BridgeActivity>consumer(Addresses.BRIDGE_EVENTS, m -> activity.add(m.body()))
        .completion().await();
  }

  @AfterEach
  void tearDown() {
    app.stop().await();
  }

  private BridgeClient connect() {
    return BridgeClient.connect(vertx, app.httpPort(), "/eventbus/websocket");
  }

  private int connectedClients() {
    return ServerFixture.connectedClients(app, "feed");
  }

  @Test
  @DisplayName("a client registered on upstream.<name>.message receives the envelopes, and on switchboard.status the pushes")
  void registerAndReceive() {
    BridgeClient browser = connect();
    browser.send(new JsonObject().put("type", "register").put("address", "upstream.feed.message"));
    browser.send(new JsonObject().put("type", "register").put("address", "switchboard.status"));
    Await.until(WAIT, "feed messages and a status push", () ->
        browser.messages().stream().anyMatch(f -> "upstream.feed.message".equals(f.getString("address")))
            && browser.messages().stream().anyMatch(f -> "switchboard.status".equals(f.getString("address"))));
    JsonObject message = browser.messages().stream().filter(f -> "upstream.feed.message".equals(f.getString("address"))).findFirst().orElseThrow();
    assertEquals("rec", message.getString("type"));
    assertEquals("feed", message.getJsonObject("body").getString("source"));
    assertTrue(message.getJsonObject("body").getLong("seq") > 0);
  }

  @Test
  @DisplayName("SockJS's HTTP transports: a session that keeps asking and never polls is closed once its answers wait unread; one that polls stays")
  void sockJsSessionThatNeverReadsIsClosed() {
    io.vertx.ext.web.client.WebClient http = io.vertx.ext.web.client.WebClient.create(vertx,
        new io.vertx.ext.web.client.WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(app.httpPort())
            .setKeepAlive(false)); // SockJS closes a poll's connection once it has answered
    java.util.function.BiFunction<String, Integer, Integer> ask = (session, n) -> http.post("/eventbus/000/" + session + "/xhr_send")
        .sendBuffer(io.vertx.core.buffer.Buffer.buffer(new io.vertx.core.json.JsonArray().add(new JsonObject().put("type", "send")
            .put("address", Addresses.STATUS_SNAPSHOT).put("replyAddress", "r-" + n).put("body", new JsonObject()).encode()).encode()))
        .await().statusCode();
    java.util.function.Function<String, String> poll = session -> http.post("/eventbus/000/" + session + "/xhr").send().await().bodyAsString();

    assertEquals("o\n", poll.apply("reader"));
    for (int i = 0; i < 300; i++) {
      assertEquals(204, ask.apply("reader", i), "a session that reads its answers may ask on");
      String answers = poll.apply("reader");
      assertTrue(answers.contains("r-" + i), answers);
    }

    assertEquals("o\n", poll.apply("asker"));
    // Each answer is a status snapshot of some 700 characters: SockJS's 64 Ki characters are full after about 90,
    // and the asks after that are refused (429, some 170 characters) instead of answered.
    for (int i = 0; i < 150; i++) {
      assertEquals(204, ask.apply("asker", i));
    }
    String answers = poll.apply("asker");
    assertTrue(answers.contains("failureCode\\\":429") && answers.contains("poll, then ask again"), answers.length() + " characters");
    assertTrue(answers.length() < 64 * 1024 + 20_000, "what waited is bounded: " + answers.length() + " characters");
    // One that keeps asking and never polls is closed once maxHandlersPerSocket asks in a row were refused.
    int asked = 0;
    while (asked < 3_000 && ask.apply("asker", 100 + asked) == 204) {
      asked++;
    }
    assertTrue(asked < 3_000, "still open after " + asked + " unread answers");
    assertTrue(poll.apply("asker").contains("c[3000,"), "the session is closed");
  }

  @Test
  @DisplayName("SockJS's HTTP transports: a send whose headers are not an object of strings is refused with 400 and the reason,"
      + " and logs no error")
  void sockJsSendWithBadHeadersIsRefused() {
    io.vertx.ext.web.client.WebClient http = io.vertx.ext.web.client.WebClient.create(vertx,
        new io.vertx.ext.web.client.WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(app.httpPort()).setKeepAlive(false));
    java.util.function.Function<String, String> poll = session -> http.post("/eventbus/000/" + session + "/xhr").send().await().bodyAsString();
    assertEquals("o\n", poll.apply("s"));
    io.vertx.core.json.JsonArray sends = new io.vertx.core.json.JsonArray();
    List<Object> badHeaders = List.of(1, "token", new io.vertx.core.json.JsonArray(), new JsonObject().putNull("a"), new JsonObject().put("a", 1));
    for (int i = 0; i < badHeaders.size(); i++) {
      sends.add(new JsonObject().put("type", "send").put("address", Addresses.STATUS_SNAPSHOT).put("replyAddress", "r-" + i)
          .put("headers", badHeaders.get(i)).put("body", new JsonObject()).encode());
    }
    try (LogCapture vertxLog = LogCapture.of("io.vertx")) {
      assertEquals(204, http.post("/eventbus/000/s/xhr_send").sendBuffer(io.vertx.core.buffer.Buffer.buffer(sends.encode())).await().statusCode());
      String answers = poll.apply("s");
      for (int i = 0; i < badHeaders.size(); i++) {
        assertTrue(answers.contains("\\\"address\\\":\\\"r-" + i + "\\\",\\\"failureCode\\\":400"), "r-" + i + " refused: " + answers);
      }
      assertTrue(answers.contains("headers must be an object of strings"), answers);
      assertEquals(List.of(), vertxLog.list().stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR)
          .map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).toList());
    }
  }

  @Test
  @DisplayName("addresses outside the permitted ones are refused, and control without the token (see BridgePermissionsTest)")
  void permissions() {
    BridgeClient browser = connect();
    browser.send(new JsonObject().put("type", "register").put("address", "switchboard.internal.listener"));
    browser.send(new JsonObject().put("type", "send").put("address", "switchboard.internal.listener")
        .put("body", new JsonObject().put("action", "stop").put("name", "feed")).put("replyAddress", "r1"));
    browser.send(new JsonObject().put("type", "send").put("address", Addresses.CONTROL)
        .put("body", new JsonObject().put("action", "stop").put("name", "feed")).put("replyAddress", "r2"));
    Await.until(WAIT, "two denials", () -> browser.messages().stream()
        .filter(f -> "err".equals(f.getString("type")) && "access_denied".equals(f.getString("body"))).count() == 2);
    Await.until(WAIT, "control refused", () -> browser.messages().stream()
        .anyMatch(f -> "r2".equals(f.getString("address")) && Integer.valueOf(401).equals(f.getInteger("failureCode"))));
    assertEquals(true, app.vertx().eventBus().<JsonObject>request(Addresses.CONTROL,
        new JsonObject().put("action", "status").put("name", "feed")).await().body().getJsonObject("listener").getBoolean("is_active"));
  }

  @Test
  @DisplayName("bridge activity is republished, and a socket closed abruptly releases what it held: connected_clients follows")
  void activityAndConnectedClients() {
    BridgeClient a = connect();
    BridgeClient b = connect();
    a.send(new JsonObject().put("type", "register").put("address", "upstream.feed.message"));
    b.send(new JsonObject().put("type", "register").put("address", "upstream.feed.message"));
    Await.until(WAIT, "two clients counted", () -> connectedClients() == 2);
    List<BridgeActivity> registers = activity.stream().filter(x -> x.kind() == BridgeActivity.Kind.REGISTER).toList();
    assertEquals(2, registers.size());
    assertEquals("upstream.feed.message", registers.get(0).address());

    b.send(new JsonObject().put("type", "unregister").put("address", "upstream.feed.message"));
    Await.until(WAIT, "one client left", () -> connectedClients() == 1);

    // The socket goes away without unregistering first: the bridge must release what it held.
    a.client.close().await();
    Await.until(WAIT, "no client left", () -> connectedClients() == 0);
    String socketA = registers.stream().filter(r -> !r.socket().equals(activity.stream()
        .filter(x -> x.kind() == BridgeActivity.Kind.UNREGISTER).findFirst().orElseThrow().socket())).findFirst().orElseThrow().socket();
    Await.until(WAIT, "socket A closed", () -> activity.contains(new BridgeActivity(BridgeActivity.Kind.SOCKET_CLOSED, socketA, null)));
    assertTrue(activity.contains(new BridgeActivity(BridgeActivity.Kind.UNREGISTER, socketA, "upstream.feed.message")));
  }

  @Test
  @DisplayName("a listener defined while a browser is registered on its address counts that browser at once")
  void clientsRegisteredBeforeTheListenerIsDefined() {
    BridgeClient browser = connect();
    browser.send(new JsonObject().put("type", "register").put("address", "upstream.later.message"));
    Await.until(WAIT, "the registration seen", () -> activity.stream().anyMatch(x -> x.kind() == BridgeActivity.Kind.REGISTER));
    String url = app.vertx().eventBus().<JsonObject>request(Addresses.CONTROL, new JsonObject().put("action", "status").put("name", "feed"))
        .await().body().getJsonObject("listener").getString("websocket_url");
    JsonObject defined = app.vertx().eventBus().<JsonObject>request(Addresses.CONTROL, new JsonObject().put("action", "define")
        .put("name", "later").put("definition", new JsonObject().put("type", "upstream").put("url", url))).await().body();
    assertEquals("created", defined.getString("status"));
    Await.until(WAIT, "the browser counted", () -> ServerFixture.connectedClients(app, "later") == 1);
  }
}
