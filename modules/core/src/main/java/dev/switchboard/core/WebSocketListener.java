package dev.switchboard.core;

import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.Future;
import io.vertx.core.Timer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

import java.util.concurrent.TimeUnit;

/**
 * A listener over one WebSocket: connection, heartbeat, frame size limit, malformed-frame counting
 * and a clean close. A subclass adds its protocol: the handshake and what a message means.
 */
public abstract class WebSocketListener extends ListenerVerticle {
  /**
   * How long to wait for the peer's answer to our close frame. Waiting for it is what guarantees the
   * upstream has seen this connection end before the next one opens (one connection at a time, as
   * the upstream counts them); a peer that never answers costs at most this long.
   */
  private static final int CLOSING_TIMEOUT_SECONDS = 1;
  private static final Buffer PING = Buffer.buffer("switchboard");

  // Kept in a field: Vert.x 5 shuts a WebSocket client down once it is garbage collected.
  private WebSocketClient client;
  private ClientWebSocket socket;
  private boolean open;
  private Future<WebSocket> connecting = Future.succeededFuture();
  private long heartbeatTimer = -1;
  private long answerDeadline = -1;
  protected final BurstLog problems;

  protected WebSocketListener(ListenerSpec spec, ListenerStats stats) {
    super(spec, stats);
    this.problems = new BurstLog(log, 10_000);
  }

  /** Where and how to connect: URL, headers, sub-protocols. */
  protected abstract WebSocketConnectOptions connectOptions();

  /** Called once the socket is open; completes when the upstream's own handshake (auth...) is done. */
  protected Future<Void> handshake() {
    return Future.succeededFuture();
  }

  /** One text message from the upstream. Throwing counts it as malformed. */
  protected abstract void onText(String text);

  /** One binary message from the upstream. By default binary is not expected and counts as malformed. */
  protected void onBinary(Buffer data) {
    malformed("unexpected binary message of " + data.length() + " bytes");
  }

  /** The largest frame (and message) accepted; larger ones are counted as malformed. */
  protected int maxFrameSize() {
    return 65_536;
  }

  /**
   * Sends one heartbeat. The default is a WebSocket ping whose pong answers it; a protocol with its
   * own ping overrides this and calls {@link #heartbeatAnswered()} when the answer comes.
   */
  protected void sendHeartbeat() {
    socket.writePing(PING);
  }

  /** The upstream is alive: the outstanding heartbeat is answered. */
  protected final void heartbeatAnswered() {
    if (answerDeadline >= 0) {
      vertx.cancelTimer(answerDeadline);
      answerDeadline = -1;
    }
  }

  @Override
  protected final Future<Void> connect() {
    int timeout = (int) spec.policy().connectTimeout().toMillis();
    client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setConnectTimeout(timeout)
        .setMaxFrameSize(maxFrameSize())
        .setMaxMessageSize(maxFrameSize())
        .setClosingTimeout(CLOSING_TIMEOUT_SECONDS));
    socket = client.webSocket()
        .textMessageHandler(this::receiveText)
        .binaryMessageHandler(this::receiveBinary)
        .pongHandler(pong -> heartbeatAnswered())
        .exceptionHandler(this::onSocketError)
        .closeHandler(v -> onClosed());
    connecting = socket.connect(connectOptions().setTimeout(timeout));
    return connecting
        .recover(this::explainConnectFailure)
        .compose(ws -> {
          if (ended()) {
            return Future.failedFuture("stopped while connecting");
          }
          open = true;
          log.info("[{}] socket open to {}", spec.name(), spec.url());
          return handshake();
        })
        .onSuccess(v -> startHeartbeat());
  }

  private Future<WebSocket> explainConnectFailure(Throwable err) {
    if (err instanceof UpgradeRejectedException rejected) {
      return Future.failedFuture(ListenerFailure.retry(String.valueOf(rejected.getStatus()),
          "upstream refused the WebSocket upgrade with HTTP " + rejected.getStatus()));
    }
    return Future.failedFuture(ListenerFailure.retry("connect failed: " + err.getMessage()));
  }

  private void receiveText(String text) {
    stats.messageIn(utf8Length(text));
    try {
      onText(text);
    } catch (RuntimeException e) {
      malformed("bad message: " + e.getMessage());
    }
  }

  private void receiveBinary(Buffer data) {
    stats.messageIn(data.length());
    try {
      onBinary(data);
    } catch (RuntimeException e) {
      malformed("bad binary message: " + e.getMessage());
    }
  }

  /** Counts a frame that could not be used, and logs it once per burst. */
  protected final void malformed(String why) {
    long total = stats.malformedFrame();
    problems.warn("[" + spec.name() + "] malformed frame dropped (" + total + " so far): " + Secrets.global().redact(why));
  }

  private void onSocketError(Throwable err) {
    if (err instanceof HttpClosedException) {
      return; // the close handler follows and reports the exit
    }
    if (err instanceof CorruptedWebSocketFrameException || err instanceof IllegalStateException) {
      // An oversized or broken frame: Netty closes the connection (1009/1002) and we reconnect.
      malformed(err.getMessage());
      return;
    }
    problems.warn("[" + spec.name() + "] socket error: " + err);
  }

  private void onClosed() {
    Short code = socket.closeStatusCode();
    String reason = socket.closeReason();
    String text = "connection closed by upstream (code " + code + (reason == null || reason.isEmpty() ? "" : ", " + reason) + ")";
    exit(ListenerFailure.retry(String.valueOf(code), text));
  }

  private void startHeartbeat() {
    long interval = spec.policy().heartbeatInterval().toMillis();
    long timeout = spec.policy().heartbeatTimeout().toMillis();
    heartbeatTimer = vertx.setPeriodic(interval, id -> {
      if (answerDeadline >= 0 || !open || ended()) {
        return; // one heartbeat outstanding at a time
      }
      answerDeadline = vertx.setTimer(timeout, t -> {
        answerDeadline = -1;
        exit(ListenerFailure.retry("heartbeat", "no answer to heartbeat within " + timeout + " ms: connection is dead"));
      });
      sendHeartbeat();
    });
  }

  /** Writes a text message to the upstream; fails when the socket is not open. */
  protected final Future<Void> sendText(String text) {
    return isOpen() ? socket.writeTextMessage(text).onSuccess(v -> stats.messageOut()) : notConnected();
  }

  /** Writes a binary message to the upstream; fails when the socket is not open. */
  protected final Future<Void> sendBinary(Buffer data) {
    return isOpen() ? socket.writeBinaryMessage(data).onSuccess(v -> stats.messageOut()) : notConnected();
  }

  private Future<Void> notConnected() {
    return Future.failedFuture(ListenerFailure.retry("not_connected", "listener '" + spec.name() + "' is not connected"));
  }

  protected final boolean isOpen() {
    return open && !ended() && !socket.isClosed();
  }

  @Override
  protected final Future<Void> disconnect() {
    if (heartbeatTimer >= 0) {
      vertx.cancelTimer(heartbeatTimer);
    }
    heartbeatAnswered();
    // An upgrade in flight may already be accepted upstream: let it finish (briefly), so that the
    // connection ends with a close handshake that the upstream sees before our next one opens.
    Timer patience = vertx.timer(CLOSING_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    Future<?> settled = Future.any(connecting, patience);
    // Cancelled at once, or it would hold this instance (its context, client, connection) for a second.
    settled.onComplete(ar -> patience.cancel());
    return settled.transform(ar -> {
      if (!connecting.succeeded() || socket.isClosed()) {
        return Future.succeededFuture(); // never opened: undeploy closes the client and what is left of it
      }
      return socket.close((short) 1000, "switchboard: listener stopped").recover(err -> Future.succeededFuture());
    });
  }

  private static long utf8Length(String s) {
    long bytes = 0;
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }
}
