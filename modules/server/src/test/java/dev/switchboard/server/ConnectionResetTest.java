package dev.switchboard.server;

import ch.qos.logback.classic.Level;
import dev.switchboard.core.testing.Await;
import dev.switchboard.server.fanout.RawUpgrade;
import dev.switchboard.simulators.alpaca.AlpacaSimulator;
import dev.switchboard.simulators.alpaca.AlpacaSimulatorOptions;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulator;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulatorOptions;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.IntSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection reset by its client is an ordinary event, not an error: no ERROR line in the log the server's logback
 * writes. For the simulators (the cluster demo runs them in a process of their own, and each kill -9 of a node resets
 * its connections), and for Switchboard's own endpoints (a browser tab or a consumer's process killed).
 */
class ConnectionResetTest {
  @TempDir
  Path dir;
  private Vertx vertx;
  private LogCapture log;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    log = LogCapture.of(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  @AfterEach
  void tearDown() {
    log.close();
    vertx.close().await();
  }

  @Test
  @DisplayName("a connection reset by the client logs no ERROR in the feed, Home Assistant and Alpaca simulators")
  void aResetIsNoError() throws Exception {
    FeedSimulator feed = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(50));
    HomeAssistantSimulator home = new HomeAssistantSimulator(HomeAssistantSimulatorOptions.defaults());
    AlpacaSimulator alpaca = new AlpacaSimulator(AlpacaSimulatorOptions.defaults());
    vertx.deployVerticle(feed).await();
    vertx.deployVerticle(home).await();
    vertx.deployVerticle(alpaca).await();
    resetAfterUpgrade(URI.create(feed.url()), feed::concurrentConnections);
    resetAfterUpgrade(URI.create(home.url()), null);
    resetAfterUpgrade(URI.create(alpaca.url("iex")), null);
    assertEquals(List.of(), errors());
  }

  @Test
  @DisplayName("a client reset while the server writes to it logs no ERROR: /subscribe, the raw bridge, SockJS over WebSocket")
  void aResetClientOfSwitchboardIsNoError() throws Exception {
    FeedSimulator feed = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(200));
    vertx.deployVerticle(feed).await();
    Switchboard app = ServerFixture.start(ServerFixture.config(dir, ServerFixture.feedListener("feed", feed.url(), true)));
    try {
      Await.until(Duration.ofSeconds(10), "feed connected", () -> app.control().status("feed").await().listener().state()
          == dev.switchboard.core.ListenerState.CONNECTED);
      String base = "ws://127.0.0.1:" + app.httpPort();
      IntSupplier clients = () -> ServerFixture.connectedClients(app, "feed");
      // /subscribe streams from the upgrade on; the bridges once a register frame came.
      resetAfterUpgrade(URI.create(base + "/subscribe?address=upstream.feed.message"), clients, null);
      String register = "{\"type\":\"register\",\"address\":\"upstream.feed.message\"}";
      resetAfterUpgrade(URI.create(base + "/eventbus/websocket"), clients, register);
      resetAfterUpgrade(URI.create(base + "/eventbus/123/abcdefgh/websocket"), clients,
          new io.vertx.core.json.JsonArray().add(register).encode());
    } finally {
      app.stop().await();
    }
    assertEquals(List.of(), errors());
  }

  private List<String> errors() {
    return log.list().stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR))
        .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
  }

  private void resetAfterUpgrade(URI url, IntSupplier open) throws IOException {
    resetAfterUpgrade(url, open, null);
  }

  /** A client's text frame: masked, as a client must send it (a zero mask, so the payload is as written). */
  private static byte[] maskedText(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
    frame.write(0x81);
    frame.write(0x80 | payload.length); // under 126 bytes
    frame.writeBytes(new byte[4]);
    frame.writeBytes(payload);
    return frame.toByteArray();
  }

  /**
   * Upgrades a plain socket to a WebSocket, sends {@code firstText} if any, lets the server's first frame arrive (it
   * is sending), then resets the connection (SO_LINGER 0: an RST, as the kernel sends for a killed process with unread
   * data). {@code open}, when the server counts its connections, is waited on to drop; and the reset has been read
   * once the server's answer to a new connection comes, the event loop having moved on.
   */
  private void resetAfterUpgrade(URI url, IntSupplier open, String firstText) throws IOException {
    try (Socket socket = new Socket(url.getHost(), url.getPort())) {
      socket.setSoTimeout(10_000);
      String target = url.getRawQuery() == null ? url.getPath() : url.getPath() + "?" + url.getRawQuery();
      socket.getOutputStream().write(RawUpgrade.request(target, "Connection: Upgrade\r\n"));
      DataInputStream in = new DataInputStream(socket.getInputStream());
      String head = RawUpgrade.readHead(in);
      assertTrue(head.startsWith("HTTP/1.1 101"), head);
      if (firstText != null) {
        socket.getOutputStream().write(maskedText(firstText));
        Await.until(Duration.ofSeconds(10), "the client registered", () -> open.getAsInt() == 1);
      }
      in.readUnsignedByte(); // the first frame has begun: the server is writing to this connection
      socket.setSoLinger(true, 0);
    }
    if (open != null) {
      Await.until(Duration.ofSeconds(10), "the simulator saw the connection go", () -> open.getAsInt() == 0);
    }
    // One more exchange on the same server: the reset's handling, on its event loop, is over by its answer. Read to the
    // end, so that this socket closes without a reset of its own.
    try (Socket probe = new Socket(url.getHost(), url.getPort())) {
      probe.setSoTimeout(10_000);
      probe.getOutputStream().write("GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      assertTrue(probe.getInputStream().readAllBytes().length > 0, "answered");
    }
  }
}
