package dev.switchboard.simulators.feed;

import dev.switchboard.simulators.Recent;
import dev.switchboard.simulators.SimulatorTls;
import dev.switchboard.simulators.SimulatorVerticle;
import dev.switchboard.simulators.TcpGate;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A generic JSON-over-WebSocket feed (a Node-RED {@code websocket out} node, an IoT gateway), for the
 * demo and the tests. It emits messages at a rate, counts connections, records what clients send, and
 * misbehaves on command: from Java (tests) or over HTTP under {@code /admin/} (demos).
 * <p>
 * Commands may be called from any thread; they run on the simulator's event loop.
 */
public class FeedSimulator extends SimulatorVerticle {
  private static final Logger LOG = LoggerFactory.getLogger(FeedSimulator.class);
  /** How many received messages and close codes are kept: a client in a reconnect loop must not grow the simulator. */
  private static final int KEPT = 10_000;

  private final FeedSimulatorOptions options;
  private final Map<ServerWebSocket, Boolean> sockets = new ConcurrentHashMap<>();
  private final AtomicLong sent = new AtomicLong();
  private final Recent<String> received = new Recent<>(KEPT);
  private final Recent<Short> closeCodes = new Recent<>(KEPT);
  private HttpServer server;
  private long emitter = -1;
  private volatile boolean refusing;
  private volatile int rejectingWith;
  private volatile Handshake lastHandshake;

  /** What the latest client sent in its upgrade request: headers, and the sub-protocol agreed on (or null). */
  public record Handshake(io.vertx.core.MultiMap headers, String subprotocol) {
  }

  public FeedSimulator(FeedSimulatorOptions options) {
    this.options = options;
  }

  @Override
  public Future<?> start() {
    return listen(options.port());
  }

  @Override
  public Future<?> stop() {
    return shutDown();
  }

  private Future<Void> listen(int port) {
    server = vertx.createHttpServer(SimulatorTls.applyTo(options.tls(), new HttpServerOptions().setMaxWebSocketFrameSize(16 * 1024 * 1024)
            .setMaxWebSocketMessageSize(16 * 1024 * 1024).setWebSocketSubProtocols(options.subprotocols())))
        .webSocketHandshakeHandler(handshake -> {
          if (refusing) {
            // Cut below HTTP, as a refused connection would be; admin requests are plain HTTP and still pass.
            gate.cut(handshake.remoteAddress().port());
            handshake.reject(503);
          } else if (rejectingWith != 0) {
            handshake.reject(rejectingWith);
          } else if (handshake.path().equals(options.path())) {
            handshake.accept();
          } else {
            handshake.reject(404);
          }
        })
        .webSocketHandler(this::accept)
        .requestHandler(this::admin);
    return server.listen(0, "127.0.0.1")
        .compose(s -> TcpGate.open(vertx, options.host(), port, s.actualPort()))
        .map(g -> {
          gate = g;
          startEmitting();
          LOG.info("feed simulator on {} at {} msg/s", url(), options.ratePerSecond());
          return null;
        });
  }

  private Future<Void> shutDown() {
    if (emitter >= 0) {
      vertx.cancelTimer(emitter);
      emitter = -1;
    }
    // A connection that stopped reading would not read the client's close frame: its close would wait out
    // Vert.x's closing timeout (10 s).
    sockets.keySet().forEach(ServerWebSocket::resume);
    Future<Void> gateClosed = gate == null ? Future.succeededFuture() : gate.close();
    Future<Void> serverClosed = server == null ? Future.succeededFuture() : server.close();
    return Future.join(gateClosed, serverClosed).mapEmpty();
  }

  private void accept(ServerWebSocket ws) {
    lastHandshake = new Handshake(io.vertx.core.MultiMap.caseInsensitiveMultiMap().addAll(ws.headers()), ws.subProtocol());
    sockets.put(ws, Boolean.FALSE);
    connectionOpened();
    ws.textMessageHandler(received::add);
    ws.closeHandler(v -> {
      if (sockets.remove(ws) != null) {
        connectionClosed();
      }
      Short code = ws.closeStatusCode();
      closeCodes.add(code == null ? -1 : code);
    });
  }

  private void startEmitting() {
    if (options.ratePerSecond() <= 0) {
      return;
    }
    // At high rates, send several messages per tick rather than tick faster than the timer allows.
    long period = Math.max(1, Math.round(1000 / options.ratePerSecond()));
    double perTick = options.ratePerSecond() * period / 1000.0;
    double[] owed = {0};
    emitter = vertx.setPeriodic(period, id -> {
      owed[0] += perTick;
      while (owed[0] >= 1) {
        owed[0] -= 1;
        emitOne();
      }
    });
  }

  private void emitOne() {
    long n = sent.incrementAndGet();
    String text = options.message().copy().put("n", n).put("sent_at", Instant.now().toString()).encode();
    writeToAll(text);
  }

  private void writeToAll(String text) {
    sockets.forEach((ws, stalled) -> {
      if (!stalled && !ws.isClosed()) {
        ws.writeTextMessage(text);
      }
    });
  }

  // ---- commands -----------------------------------------------------------------------------

  /** The port clients connect to. */
  public int port() {
    return gate.port();
  }

  public String url() {
    return SimulatorTls.scheme(options.tls()) + "://" + options.host() + ":" + port() + options.path();
  }

  /** Sends one message to every connection now. */
  public Future<Void> emit(JsonObject message) {
    return onLoop(() -> {
      writeToAll(message.encode());
      return Future.succeededFuture();
    });
  }

  /** Sends this exact text to every connection now. */
  public Future<Void> emitRaw(String text) {
    return onLoop(() -> {
      writeToAll(text);
      return Future.succeededFuture();
    });
  }

  /** Sends one binary message to every connection now. */
  public Future<Void> emitBinary(io.vertx.core.buffer.Buffer data) {
    return onLoop(() -> {
      sockets.forEach((ws, stalled) -> {
        if (!stalled && !ws.isClosed()) {
          ws.writeBinaryMessage(data);
        }
      });
      return Future.succeededFuture();
    });
  }

  /** Closes every connection with a close frame (1001, going away). */
  public Future<Void> dropAll() {
    return onLoop(() -> {
      List<Future<Void>> closing = new ArrayList<>();
      sockets.keySet().forEach(ws -> closing.add(ws.close((short) 1001, "simulator: drop")));
      return Future.join(closing).mapEmpty();
    });
  }

  /**
   * Freezes the live connections' data, as {@link #stall()} does, while something in front of the feed
   * (a proxy) still sends each of them a pong every 50 ms: alive to WebSocket, dead to the application.
   */
  public Future<Void> stallBehindAProxy() {
    return onLoop(() -> {
      sockets.replaceAll((ws, stalled) -> Boolean.TRUE);
      sockets.keySet().forEach(ws -> pongLikeAProxy(vertx, ws, 50));
      return Future.succeededFuture();
    });
  }

  /** Cuts every connection at the TCP level: no close frame, like a crash or a network fault. */
  public Future<Void> cutAll() {
    return onLoop(() -> {
      gate.cutAll();
      return Future.succeededFuture();
    });
  }

  /**
   * The live connections stop reading what the client sends (its frames, its pings) while their messages still
   * go out: the client's writes back up in its socket.
   */
  public Future<Void> stopReading() {
    return onLoop(() -> {
      sockets.keySet().forEach(ServerWebSocket::pause);
      return Future.succeededFuture();
    });
  }

  /** Freezes the live connections: no more data and no pongs, but the TCP connection stays open. */
  public Future<Void> stall() {
    return onLoop(() -> {
      sockets.replaceAll((ws, stalled) -> Boolean.TRUE);
      gate.blackhole();
      return Future.succeededFuture();
    });
  }

  /**
   * While on, every new WebSocket connection is cut at the TCP level as soon as it asks for the upgrade,
   * with no HTTP answer: no WebSocket reaches the simulator. The admin API is not refused.
   */
  public Future<Void> refuse(boolean on) {
    return onLoopRun(() -> refusing = on);
  }

  /**
   * While {@code status} is not 0, every upgrade request is answered with that HTTP status, as a feed
   * behind a proxy or a login answers (401 for credentials it refuses, 503 while it is unavailable).
   */
  public Future<Void> rejectUpgrades(int status) {
    if (status != 0 && (status < 400 || status > 599)) {
      throw new IllegalArgumentException("an upgrade is rejected with a 4xx or 5xx status, not " + status);
    }
    return onLoopRun(() -> rejectingWith = status);
  }

  /** Sends text that starts like JSON but is not, to every connection. */
  public Future<Void> sendMalformed() {
    return onLoop(() -> {
      writeToAll("{\"topic\": \"projection_bpp\", \"payload\": ");
      return Future.succeededFuture();
    });
  }

  /** Sends one message of {@code bytes} bytes to every connection. */
  public Future<Void> sendOversized(int bytes) {
    return onLoop(() -> {
      writeToAll("{\"blob\":\"" + "x".repeat(Math.max(0, bytes - 11)) + "\"}");
      return Future.succeededFuture();
    });
  }

  /**
   * Sends one text message of {@code bytes} bytes to every connection, as frames of at most
   * {@code frameSize} bytes: a message too big for a client even though each of its frames is small.
   */
  public Future<Void> sendFragmented(int bytes, int frameSize) {
    return onLoop(() -> {
      byte[] text = ("{\"blob\":\"" + "x".repeat(Math.max(0, bytes - 11)) + "\"}").getBytes(StandardCharsets.UTF_8);
      sockets.forEach((ws, stalled) -> {
        if (stalled || ws.isClosed()) {
          return;
        }
        for (int from = 0; from < text.length; from += frameSize) {
          int to = Math.min(text.length, from + frameSize);
          Buffer chunk = Buffer.buffer().appendBytes(text, from, to - from);
          boolean last = to == text.length;
          ws.writeFrame(from == 0 ? WebSocketFrame.textFrame(chunk.toString(StandardCharsets.UTF_8), last)
              : WebSocketFrame.continuationFrame(chunk, last));
        }
      });
      return Future.succeededFuture();
    });
  }

  /** Sends to every connection one text frame whose bytes are not UTF-8 (0xC3 0x28 inside a JSON string). */
  public Future<Void> sendInvalidUtf8() {
    byte[] text = Buffer.buffer("{\"text\":\"").appendBytes(new byte[] {(byte) 0xC3, 0x28}).appendString("\"}").getBytes();
    return onLoop(() -> {
      sockets.forEach((ws, stalled) -> {
        if (!stalled && !ws.isClosed()) {
          // The public frame factories take a String and always encode valid UTF-8: the raw bytes need the impl class.
          ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, text, true));
        }
      });
      return Future.succeededFuture();
    });
  }

  /** Goes down (every connection cut, port closed) and comes back on the same port. */
  public Future<Void> restart() {
    return onLoop(() -> {
      int port = gate.port();
      return shutDown().compose(v -> listen(port));
    });
  }

  public long messagesSent() {
    return sent.get();
  }

  public Handshake lastHandshake() {
    return lastHandshake;
  }

  /** The text messages received from clients, in order (the last {@value #KEPT}). */
  public List<String> received() {
    return received.list();
  }

  /** The close code of each connection that ended (-1 when it ended without a close frame; the last {@value #KEPT}). */
  public List<Short> closeCodes() {
    return closeCodes.list();
  }

  @Override
  public JsonObject stats() {
    return new JsonObject()
        .put("url", url())
        .put("connections", concurrentConnections())
        .put("max_concurrent", maxConcurrentConnections())
        .put("total_connections", totalConnections())
        .put("messages_sent", messagesSent())
        .put("messages_received", received.total())
        .put("refusing", refusing);
  }

  // ---- HTTP admin, for demos ------------------------------------------------------------------

  private void admin(HttpServerRequest req) {
    spareAdminConnection(req, gate);
    runAdmin(req, () -> adminCommand(req));
  }

  /** Runs the command; null when it answered itself. */
  private Future<Void> adminCommand(HttpServerRequest req) {
    return switch (req.method().name() + " " + req.path()) {
      case "GET /admin/stats" -> Future.succeededFuture();
      case "POST /admin/drop" -> dropAll();
      case "POST /admin/cut" -> cutAll();
      case "POST /admin/stall" -> stall();
      case "POST /admin/refuse" -> refuse(!"false".equals(req.getParam("on")));
      case "POST /admin/malformed" -> sendMalformed();
      case "POST /admin/oversized" -> sendOversized(intParam(req, "bytes", 1_048_576, 0, MAX_ADMIN_BYTES));
      case "POST /admin/restart" -> {
        answerAdminThen(req, gate, this::restart); // the port it answers on closes
        yield null;
      }
      default -> {
        req.response().setStatusCode(404).end("unknown admin command; try GET /admin/stats or POST /admin/"
            + "{drop,cut,stall,refuse?on=true|false,malformed,oversized?bytes=N,restart}\n");
        yield null;
      }
    };
  }
}
