package dev.switchboard.server.fanout;

import dev.switchboard.core.BridgeActivity;
import dev.switchboard.core.LocalCodec;
import dev.switchboard.core.testing.Await;
import dev.switchboard.server.BridgeClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 6455 as a client may break it, byte by byte over a real socket: what the fan-out path answers
 * (the close code, or the HTTP status of a refused upgrade).
 */
@ExtendWith(VertxExtension.class)
class ClientProtocolTest {
  private static final String BRIDGE = "/eventbus/websocket";
  private static final byte[] PING = "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8);

  private int port;

  @BeforeEach
  void setUp(Vertx vertx) {
    LocalCodec.register(vertx, BridgeActivity.class);
    FanoutEndpointTest.FanoutServer server = new FanoutEndpointTest.FanoutServer(FanoutOptions.defaults());
    vertx.deployVerticle(server).await();
    port = server.port();
  }

  @Test
  @DisplayName("a text message that is not UTF-8 closes the client with 1007; one whose fragments split a character is read")
  void textMustBeUtf8() throws IOException {
    try (RawClient client = RawClient.open(port, BRIDGE)) {
      // "é" is C3 A9: the first fragment ends inside it, the whole message is valid.
      byte[] whole = "{\"type\":\"ping\",\"x\":\"é\"}".getBytes(StandardCharsets.UTF_8);
      int cut = indexOf(whole, (byte) 0xA9);
      client.frame(false, WebSocketFrames.TEXT, Arrays.copyOfRange(whole, 0, cut));
      client.frame(true, WebSocketFrames.CONTINUATION, Arrays.copyOfRange(whole, cut, whole.length));
      assertEquals("{\"type\":\"pong\"}", client.nextText());

      byte[] overlong = {'"', (byte) 0xC0, (byte) 0xAF, '"'}; // "/" in two bytes: not UTF-8
      client.frame(true, WebSocketFrames.TEXT, overlong);
      assertEquals(1007, client.closeCode());
    }
    try (RawClient client = RawClient.open(port, BRIDGE)) {
      byte[] surrogate = {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}; // U+D800, which UTF-8 may not carry
      client.frame(false, WebSocketFrames.TEXT, Arrays.copyOfRange(surrogate, 0, 2));
      client.frame(true, WebSocketFrames.CONTINUATION, Arrays.copyOfRange(surrogate, 2, surrogate.length));
      assertEquals(1007, client.closeCode());
    }
  }

  @Test
  @DisplayName("a close frame is answered with its own code, or 1000 when it has none; one that breaks the rules with 1002 (1007 for a reason that is not UTF-8)")
  void closeFrames() throws IOException {
    assertEquals(1000, closeAnsweredWith(new byte[0]));
    assertEquals(1000, closeAnsweredWith(close(1000, "bye")));
    assertEquals(1001, closeAnsweredWith(close(1001, "")));
    assertEquals(3000, closeAnsweredWith(close(3000, "")));
    assertEquals(4999, closeAnsweredWith(close(4999, "")));
    assertEquals(1002, closeAnsweredWith(new byte[] {0x03}), "a close payload of one byte");
    for (int reserved : new int[] {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
      assertEquals(1002, closeAnsweredWith(close(reserved, "")), "close code " + reserved);
    }
    byte[] badReason = close(1000, "xx");
    badReason[2] = (byte) 0xFF;
    assertEquals(1007, closeAnsweredWith(badReason));
  }

  @Test
  @DisplayName("a 64-bit payload length with its most significant bit set is a protocol error (1002), not an oversized message")
  void negativeLength() throws IOException {
    try (RawClient client = RawClient.open(port, BRIDGE)) {
      ByteBuffer header = ByteBuffer.allocate(14).put((byte) (0x80 | WebSocketFrames.TEXT)).put((byte) (0x80 | 127))
          .putLong(0x8000_0000_0000_0010L).putInt(0);
      client.raw(header.array());
      assertEquals(1002, client.closeCode());
    }
  }

  @Test
  @DisplayName("frames that break RFC 6455 close the client with 1002; fragments that together pass the size limit with 1009")
  void protocolViolations() throws IOException {
    try (RawClient client = RawClient.open(port, BRIDGE)) {
      client.raw(new byte[] {(byte) 0x81, 0x02, 'h', 'i'}); // not masked
      assertEquals(1002, client.closeCode(), "an unmasked client frame");
    }
    try (RawClient client = RawClient.open(port, BRIDGE)) {
      client.frame(true, WebSocketFrames.PING, new byte[126]);
      assertEquals(1002, client.closeCode(), "a control frame over 125 bytes");
    }
    try (RawClient client = RawClient.open(port, BRIDGE)) {
      client.frame(true, WebSocketFrames.CONTINUATION, PING);
      assertEquals(1002, client.closeCode(), "a continuation with nothing to continue");
    }
    try (RawClient client = RawClient.open(port, BRIDGE)) {
      client.frame(false, WebSocketFrames.TEXT, PING);
      client.frame(true, WebSocketFrames.TEXT, PING);
      assertEquals(1002, client.closeCode(), "a new message before the last one ended");
    }
    try (RawClient client = RawClient.open(port, BRIDGE)) {
      byte[] part = new byte[40_000]; // each under the 64 KiB limit, together over it
      Arrays.fill(part, (byte) ' ');
      client.frame(false, WebSocketFrames.TEXT, part);
      client.frame(true, WebSocketFrames.CONTINUATION, part);
      assertEquals(1009, client.closeCode(), "a message over the limit in fragments");
    }
  }

  @Test
  @DisplayName("an upgrade without Connection: Upgrade is answered 400 with the reason, at once")
  void upgradeNeedsConnectionUpgrade() throws IOException {
    for (String connection : new String[] {"", "Connection: keep-alive\r\n"}) {
      try (Socket socket = new Socket("127.0.0.1", port)) {
        socket.setSoTimeout(5_000); // far below the server's idle timeout: an answer, not a hang
        socket.getOutputStream().write(RawUpgrade.request(BRIDGE, connection));
        DataInputStream in = new DataInputStream(socket.getInputStream());
        String head = RawUpgrade.readHead(in);
        assertTrue(head.startsWith("HTTP/1.1 400"), head);
        int length = Integer.parseInt(head.replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
        String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        assertEquals("a WebSocket upgrade needs Connection: Upgrade", new JsonObject(body).getString("error"));
      } catch (java.net.SocketTimeoutException e) {
        throw new AssertionError("no answer to an upgrade with '" + connection.trim() + "'", e);
      }
    }
    // Connection is a list of tokens; upgrade may be any of them.
    try (RawClient client = RawClient.open(port, BRIDGE, "Connection: keep-alive, Upgrade\r\n")) {
      client.frame(true, WebSocketFrames.TEXT, PING);
      assertEquals("{\"type\":\"pong\"}", client.nextText());
    }
  }

  @Test
  @DisplayName("a client with nothing queued gets a message larger than maxQueuedBytes: it is not slow")
  void oneLargeMessageIsNotASlowClient(Vertx vertx) {
    FanoutEndpointTest.FanoutServer small = new FanoutEndpointTest.FanoutServer(FanoutOptions.defaults().withMaxQueuedBytes(1024));
    vertx.deployVerticle(small).await();
    BridgeClient client = BridgeClient.connect(vertx, small.port(), BRIDGE);
    client.register("upstream.feed.message");
    Await.until(Duration.ofSeconds(15), "registered", () -> small.onLoop(small.endpoint::consumerCount) == 1);
    String large = "x".repeat(4_000);
    for (int n = 0; n < 3; n++) {
      vertx.eventBus().publish("upstream.feed.message", new JsonObject().put("n", n).put("pad", large));
      int count = n + 1;
      Await.until(Duration.ofSeconds(15), "message " + n + " delivered", () -> client.numbers().size() == count);
    }
    assertEquals(java.util.List.of(0, 1, 2), client.numbers());
    assertEquals(-1, client.closeCode.get());
    assertEquals(0L, small.onLoop(small.endpoint::slowClientCloses));
    assertFalse(client.socket.isClosed());
  }

  @Test
  @DisplayName("a message never finished closes its client with 1008 within the ping timeout, though the client keeps sending pongs;"
      + " a client that sends only pongs stays")
  void aMessageNeverFinishedClosesItsClient(Vertx vertx) throws IOException {
    // A second: a loaded machine's pauses must not pass for silence with pongs every 50 ms.
    FanoutEndpointTest.FanoutServer server = new FanoutEndpointTest.FanoutServer(FanoutOptions.defaults().withPingTimeoutMs(1_000));
    vertx.deployVerticle(server).await();
    ScheduledExecutorService pongs = Executors.newSingleThreadScheduledExecutor();
    try (RawClient trickling = RawClient.open(server.port(), BRIDGE); RawClient answering = RawClient.open(server.port(), BRIDGE)) {
      long began = System.nanoTime();
      trickling.frame(false, WebSocketFrames.TEXT, "{\"type\":\"ping\",\"pad\":\"".getBytes(StandardCharsets.UTF_8));
      // Unasked pongs, as RFC 6455 allows: each one is a frame from the client, which the ping timeout counts.
      pongs.scheduleAtFixedRate(() -> {
        for (RawClient client : List.of(trickling, answering)) {
          try {
            client.frame(true, WebSocketFrames.PONG, new byte[0]);
          } catch (IOException closed) {
            // the server closed it
          }
        }
      }, 0, 50, TimeUnit.MILLISECONDS);

      // The server's pings keep the socket's reads from timing out: bounded here.
      assertEquals(FanoutEndpoint.CLOSE_POLICY_VIOLATION, assertTimeoutPreemptively(Duration.ofSeconds(15), trickling::closeCode));
      assertTrue(System.nanoTime() - began >= TimeUnit.MILLISECONDS.toNanos(1_000), "not before the ping timeout");
      assertEquals(1L, server.onLoop(server.endpoint::unfinishedCloses));
      assertEquals(0L, server.onLoop(server.endpoint::unfinishedBytes), "what it held was given back");
      long closedAt = System.nanoTime();
      Await.until(Duration.ofSeconds(15), "more than a timeout period", () -> System.nanoTime() - closedAt > TimeUnit.MILLISECONDS.toNanos(1_500));
      assertEquals(1, server.onLoop(server.endpoint::clientCount), "the client that sends only pongs is still there");
    } finally {
      pongs.shutdownNow();
    }
  }

  @Test
  @DisplayName("all clients together hold at most a quarter of the fan-out's budget of messages they have not finished: past it"
      + " the one holding the most is closed with 1008, and the others finish theirs")
  void unfinishedMessagesHaveABoundOfAll(Vertx vertx) throws IOException {
    long budget = 400 * 1024; // the clients' unfinished messages: at most 102,400 bytes in all
    FanoutEndpointTest.FanoutServer server = new FanoutEndpointTest.FanoutServer(FanoutOptions.defaults(), FanoutEndpoint.MAX_REGISTERED_BYTES, budget);
    vertx.deployVerticle(server).await();
    try (RawClient small = RawClient.open(server.port(), BRIDGE); RawClient large = RawClient.open(server.port(), BRIDGE);
         RawClient last = RawClient.open(server.port(), BRIDGE)) {
      small.frame(false, WebSocketFrames.TEXT, pingStart(30_000));
      large.frame(false, WebSocketFrames.TEXT, pingStart(60_000));
      Await.until(Duration.ofSeconds(15), "90,000 bytes held", () -> server.onLoop(server.endpoint::unfinishedBytes) == 90_000L);
      assertEquals(0L, server.onLoop(server.endpoint::unfinishedCloses), "within the bound");

      last.frame(false, WebSocketFrames.TEXT, pingStart(20_000));
      assertEquals(FanoutEndpoint.CLOSE_POLICY_VIOLATION, large.closeCode(), "the one holding the most");
      Await.until(Duration.ofSeconds(15), "50,000 bytes held", () -> server.onLoop(server.endpoint::unfinishedBytes) == 50_000L);
      for (RawClient client : List.of(small, last)) {
        client.frame(true, WebSocketFrames.CONTINUATION, "\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"type\":\"pong\"}", client.nextText(), "its message read whole");
      }
      assertEquals(0L, server.onLoop(server.endpoint::unfinishedBytes));
      assertEquals(1L, server.onLoop(server.endpoint::unfinishedCloses));
    }
  }

  /** The first {@code length} bytes of a bridge ping with a long pad: the pad's closing {@code "}} still to come. */
  private static byte[] pingStart(int length) {
    byte[] start = "{\"type\":\"ping\",\"pad\":\"".getBytes(StandardCharsets.UTF_8);
    byte[] out = Arrays.copyOf(start, length);
    Arrays.fill(out, start.length, length, (byte) 'x');
    return out;
  }

  private int closeAnsweredWith(byte[] payload) throws IOException {
    try (RawClient client = RawClient.open(port, BRIDGE)) {
      client.frame(true, WebSocketFrames.CLOSE, payload);
      return client.closeCode();
    }
  }

  private static byte[] close(int code, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(2 + text.length).putShort((short) code).put(text).array();
  }

  private static int indexOf(byte[] bytes, byte b) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    throw new IllegalArgumentException("not found");
  }

  /** A WebSocket client on a plain socket, which writes whatever frames it is given, masked. */
  private static final class RawClient implements AutoCloseable {
    private static final byte[] MASK = {0x37, (byte) 0xFA, 0x21, 0x3D};
    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;

    private RawClient(Socket socket) throws IOException {
      this.socket = socket;
      this.out = socket.getOutputStream();
      this.in = new DataInputStream(socket.getInputStream());
    }

    static RawClient open(int port, String path) throws IOException {
      return open(port, path, "Connection: Upgrade\r\n");
    }

    static RawClient open(int port, String path, String connection) throws IOException {
      RawClient client = new RawClient(new Socket("127.0.0.1", port));
      client.socket.setSoTimeout(10_000);
      client.raw(RawUpgrade.request(path, connection));
      String head = RawUpgrade.readHead(client.in);
      assertTrue(head.startsWith("HTTP/1.1 101"), head);
      return client;
    }

    void raw(byte[] bytes) throws IOException {
      out.write(bytes);
      out.flush();
    }

    void frame(boolean fin, int opcode, byte[] payload) throws IOException {
      ByteArrayOutputStream frame = new ByteArrayOutputStream();
      frame.write((fin ? 0x80 : 0) | opcode);
      if (payload.length < 126) {
        frame.write(0x80 | payload.length);
      } else {
        frame.write(0x80 | 126);
        frame.write(payload.length >> 8);
        frame.write(payload.length & 0xFF);
      }
      frame.write(MASK);
      for (int i = 0; i < payload.length; i++) {
        frame.write(payload[i] ^ MASK[i & 3]);
      }
      raw(frame.toByteArray());
    }

    /** The next text frame's payload; fails on any other frame. */
    String nextText() throws IOException {
      int opcode = in.readUnsignedByte() & 0x0F;
      byte[] payload = readPayload();
      assertEquals(WebSocketFrames.TEXT, opcode, "a text frame, not: " + new String(payload, StandardCharsets.UTF_8));
      return new String(payload, StandardCharsets.UTF_8);
    }

    /** Reads until the server's close frame; its code, and the connection must end after it. */
    int closeCode() throws IOException {
      while (true) {
        int opcode = in.readUnsignedByte() & 0x0F;
        byte[] payload = readPayload();
        if (opcode == WebSocketFrames.CLOSE) {
          assertTrue(payload.length >= 2, "a close frame with a code");
          assertEquals(-1, in.read(), "the connection ends after the close frame");
          return ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }
      }
    }

    private byte[] readPayload() throws IOException {
      long length = in.readUnsignedByte() & 0x7F;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      byte[] payload = new byte[(int) length];
      in.readFully(payload);
      return payload;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
