package dev.switchboard.core;

import dev.switchboard.core.envelope.BufferBytes;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Timer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.internal.http.WebSocketInternal;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A listener over one WebSocket: connection, heartbeat, frame and message size limit, malformed-frame
 * counting and a clean close. A subclass adds its protocol: the handshake and what a message means.
 * <p>
 * What the upstream sends that breaks the WebSocket protocol itself (a frame or message over
 * {@link #maxFrameSize()}, text that is not UTF-8, a corrupt frame) ends the connection: Switchboard
 * sends the close code that says why (1009, 1007, 1002) and exits with it, never blaming the upstream.
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
  private long heardAt;
  /** nanoTime when the write queue was first seen full, 0 while it is not (see {@link #backedUpMillis()}). */
  private long backedUpSince;
  private Future<WebSocket> connecting = Future.succeededFuture();
  private long heartbeatTimer = -1;
  private long answerDeadline = -1;
  /** The message being assembled from its frames, or null between messages. */
  private Buffer partial;
  private boolean partialIsText;
  /** Set when Switchboard closes the connection itself: the exit the close handler reports. */
  private ListenerFailure closedByUs;
  /** The upstream has sent its close frame: nothing more may be written. */
  private boolean upstreamClosed;
  private Future<Void> closing;
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

  /**
   * One text message as the UTF-8 bytes it arrived in (checked to be valid UTF-8), for a listener
   * that can pass them on as they are instead of decoding them. By default they are decoded and given
   * to {@link #onText(String)}. Throwing counts it as malformed.
   */
  protected void onTextUtf8(Buffer utf8) {
    onText(utf8.toString(StandardCharsets.UTF_8));
  }

  /** One binary message from the upstream. By default binary is not expected and counts as malformed. */
  protected void onBinary(Buffer data) {
    malformed("unexpected binary message of " + data.length() + " bytes");
  }

  /** The largest frame, and message, accepted; a larger one is counted as malformed and ends the connection (1009). */
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

  /**
   * Whether a WebSocket pong answers the heartbeat: yes by default (RFC 6455 makes a pong sent unasked a
   * heartbeat of its own). A protocol whose own ping command is the heartbeat ({@link #sendHeartbeat()}
   * overridden) may say no: a proxy in front of the upstream may send pongs while the upstream is frozen.
   */
  protected boolean pongAnswersHeartbeat() {
    return true;
  }

  /**
   * When the upstream was last heard on this connection (any frame, a pong; the open itself), epoch millis; 0
   * before it opened. A connection found dead by its heartbeat died about then, not when that was noticed.
   */
  protected final long lastHeardAt() {
    return heardAt;
  }

  /** The upstream is alive: the outstanding heartbeat is answered. */
  protected final void heartbeatAnswered() {
    if (answerDeadline >= 0) {
      vertx.cancelTimer(answerDeadline);
      answerDeadline = -1;
    }
  }

  /** Which certificates a wss:// connection trusts: the JVM's by default. */
  protected UpstreamTls tls() {
    return UpstreamTls.JVM_DEFAULT;
  }

  @Override
  protected final Future<Void> connect() {
    int timeout = (int) spec.policy().connectTimeout().toMillis();
    // Netty refuses a single frame over maxFrameSize; messages are assembled here (not by Vert.x, which
    // only reports an oversized message and keeps reading, and turns bad UTF-8 into U+FFFD).
    WebSocketClientOptions options = new WebSocketClientOptions()
        .setConnectTimeout(timeout)
        .setMaxFrameSize(maxFrameSize())
        .setClosingTimeout(CLOSING_TIMEOUT_SECONDS);
    // The socket opens once the certificates to trust are read; a stop meanwhile waits for this whole step.
    connecting = tls().applyTo(vertx, options)
        .compose(trusted -> ended() ? Future.failedFuture("stopped while connecting") : openSocket(trusted, timeout));
    return connecting
        .recover(this::explainConnectFailure)
        .compose(ws -> {
          if (ended()) {
            return Future.failedFuture("stopped while connecting");
          }
          open = true;
          heardAt = System.currentTimeMillis();
          takeFrameRefusals(ws);
          log.info("socket open to {}", spec.url());
          return handshake();
        })
        .onSuccess(v -> startHeartbeat());
  }

  private Future<WebSocket> openSocket(WebSocketClientOptions options, int timeout) {
    client = vertx.createWebSocketClient(options);
    socket = client.webSocket()
        .frameHandler(this::receiveFrame)
        // The answer to our ping, or one sent unasked (RFC 6455 makes it a heartbeat), unless the protocol's own ping is the heartbeat.
        .pongHandler(pong -> {
          heardAt = System.currentTimeMillis();
          if (pongAnswersHeartbeat()) {
            heartbeatAnswered();
          }
        })
        .exceptionHandler(this::onSocketError)
        .closeHandler(v -> onClosed());
    return socket.connect(connectOptions().setTimeout(timeout));
  }

  /**
   * When Netty refuses a frame (over maxFrameSize, or corrupt), Vert.x closes the TCP connection at
   * once, with the rest of that frame unread: that makes the close a reset, which can destroy our close
   * frame before the upstream reads it. Taking the refusal here instead leaves the connection open for
   * a close handshake; the refusing decoder drops whatever else arrives.
   */
  private void takeFrameRefusals(WebSocket ws) {
    if (!(ws instanceof WebSocketInternal internal)) {
      return; // another Vert.x: refusals still end the connection, only more abruptly
    }
    ChannelHandlerContext vertxHandler = internal.channelHandlerContext();
    vertxHandler.pipeline().addBefore(vertxHandler.name(), "switchboard-frame-refusals", new ChannelInboundHandlerAdapter() {
      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException) {
          context.runOnContext(v -> onSocketError(cause));
        } else {
          ctx.fireExceptionCaught(cause);
        }
      }
    });
  }

  private Future<WebSocket> explainConnectFailure(Throwable err) {
    if (err instanceof ListenerFailure said) {
      return Future.failedFuture(said);
    }
    if (err instanceof UpgradeRejectedException rejected) {
      int status = rejected.getStatus();
      String refused = "upstream refused the WebSocket upgrade with HTTP " + status;
      // Refused credentials are refused again on every retry, and repeated failed logins can get an
      // address banned: FAILED until someone starts the listener again (after fixing its headers).
      return Future.failedFuture(status == 401 || status == 403
          ? ListenerFailure.fatal("http_" + status, refused + " (credentials refused: not retried)")
          : ListenerFailure.retry("http_" + status, refused));
    }
    String code = connectFailureCode(err);
    String message = "connect failed: " + err.getMessage();
    if (code.equals("tls")) {
      // Vert.x's own message is only "Failed to create SSL connection": the reason is the root cause's.
      Throwable root = ListenerFailure.rootCause(err);
      message += (root == err ? "" : ": " + root.getMessage()) + " (the listener's tls field says which certificates to trust)";
    }
    return Future.failedFuture(ListenerFailure.retry(code, message));
  }

  /** Why a connection could not be made, as one of the documented last_error codes. */
  static String connectFailureCode(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException) {
        return "refused";
      }
      if (t instanceof java.net.UnknownHostException) {
        return "dns";
      }
      if (t instanceof javax.net.ssl.SSLException) {
        return "tls";
      }
      if (t instanceof io.netty.channel.ConnectTimeoutException || t instanceof java.util.concurrent.TimeoutException
          || t.getClass().getSimpleName().contains("Timeout")) {
        return "timeout";
      }
    }
    return "connect_failed";
  }

  private void receiveFrame(WebSocketFrame frame) {
    if (closedByUs != null || ended()) {
      // What still arrives after our close frame, or after this instance reported its end, is not read:
      // the status already says it is not connected, and the next connection's gap starts at the end.
      return;
    }
    heardAt = System.currentTimeMillis();
    Buffer data = frame.binaryData();
    switch (frame.type()) {
      case TEXT, BINARY -> {
        partialIsText = frame.isText();
        partial = frame.isFinal() ? null : Buffer.buffer();
      }
      case CONTINUATION -> {
        // Netty has checked the order of fragments: a continuation always follows a started message.
      }
      case CLOSE -> {
        upstreamClosing(frame.closeStatusCode(), frame.closeReason());
        return; // Vert.x answers it
      }
      default -> {
        return; // ping and pong: Vert.x answers them
      }
    }
    long size = (partial == null ? 0 : partial.length()) + data.length();
    if (size > maxFrameSize()) {
      violation(WebSocketCloseStatus.MESSAGE_TOO_BIG, (partialIsText ? "text" : "binary")
          + " message of more than " + maxFrameSize() + " bytes (maxFrameSize), sent in several frames");
      return;
    }
    if (!frame.isFinal()) {
      partial.appendBuffer(data);
      return;
    }
    Buffer message = partial == null ? data : partial.appendBuffer(data);
    partial = null;
    if (partialIsText) {
      receiveText(message);
    } else {
      receiveBinary(message);
    }
  }

  private void receiveText(Buffer data) {
    if (!BufferBytes.isUtf8(data)) {
      violation(WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "text message of " + data.length() + " bytes that is not valid UTF-8");
      return;
    }
    stats.messageIn(data.length());
    try {
      onTextUtf8(data);
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
    problems.warn("malformed frame dropped (" + total + " so far): " + Secrets.global().redact(why));
  }

  /**
   * The upstream broke the WebSocket protocol: counts it, closes the connection with the code that says
   * why, and has the close handler report it as Switchboard's close, to be retried.
   */
  private void violation(WebSocketCloseStatus status, String why) {
    malformed(why);
    if (closedByUs != null) {
      return;
    }
    partial = null;
    closedByUs = ListenerFailure.retry(String.valueOf(status.code()),
        "switchboard closed the connection (code " + status.code() + ", " + status.reasonText().toLowerCase(Locale.ROOT) + "): " + why);
    closing = withinClosingTimeout(socket.close((short) status.code(), status.reasonText()));
    // A close frame stuck behind writes the upstream does not read never brings the close handler.
    closing.onComplete(ar -> exit(closedByUs)); // a no-op once ended (the close handler came first)
  }

  private void onSocketError(Throwable err) {
    if (err instanceof HttpClosedException) {
      return; // the close handler follows and reports the exit
    }
    if (err instanceof CorruptedWebSocketFrameException corrupt) {
      // Netty refused a frame: over maxFrameSize (1009), or broken (1002).
      boolean tooBig = corrupt.closeStatus().equals(WebSocketCloseStatus.MESSAGE_TOO_BIG);
      violation(corrupt.closeStatus(), tooBig ? "a frame of more than " + maxFrameSize() + " bytes (maxFrameSize)" : corrupt.getMessage());
      return;
    }
    problems.warn("socket error: " + err);
  }

  private void onClosed() {
    exit(closedByUs != null ? closedByUs : closedByUpstream(socket.closeStatusCode(), socket.closeReason()));
  }

  private static ListenerFailure closedByUpstream(Short code, String reason) {
    return ListenerFailure.retry(String.valueOf(code),
        "connection closed by upstream (code " + code + (reason == null || reason.isEmpty() ? "" : ", " + reason) + ")");
  }

  /**
   * The upstream sent its close frame: Vert.x answers it, and the upstream then closes the TCP connection.
   * One that never does would leave this connection looking open until the heartbeat gave up: it is
   * taken as ended once the close handshake has had its time.
   */
  private void upstreamClosing(short code, String reason) {
    if (upstreamClosed) {
      return;
    }
    upstreamClosed = true;
    ListenerFailure why = closedByUpstream(code, reason);
    vertx.setTimer(TimeUnit.SECONDS.toMillis(CLOSING_TIMEOUT_SECONDS), id -> exit(why)); // a no-op once ended (the close handler came first)
  }

  private void startHeartbeat() {
    long interval = spec.policy().heartbeatInterval().toMillis();
    long timeout = spec.policy().heartbeatTimeout().toMillis();
    heartbeatTimer = vertx.setPeriodic(interval, id -> {
      if (answerDeadline >= 0 || !isOpen()) {
        return; // one heartbeat outstanding at a time, and none once closing
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

  /**
   * Whether a message written now reaches the upstream: not once Switchboard has sent its own close
   * frame (a protocol violation), after which the upstream discards any data frame.
   */
  protected final boolean isOpen() {
    return open && !ended() && closedByUs == null && !upstreamClosed && !socket.isClosed();
  }

  /**
   * For how long (milliseconds) more has been queued for the upstream than the socket's high-water mark, with no
   * drain since: 0 while it is not. A moment of it is a burst; a long one, an upstream that does not read.
   */
  protected final long backedUpMillis() {
    if (!socket.writeQueueFull()) {
      backedUpSince = 0;
      return 0;
    }
    long now = System.nanoTime();
    if (backedUpSince == 0) {
      backedUpSince = now;
      socket.drainHandler(v -> backedUpSince = 0);
    }
    return (now - backedUpSince) / 1_000_000;
  }

  @Override
  protected final Future<Void> disconnect() {
    if (heartbeatTimer >= 0) {
      vertx.cancelTimer(heartbeatTimer);
    }
    heartbeatAnswered();
    if (closing != null) {
      return closing.transform(ar -> closeClient()); // already closing, with the code that says why
    }
    // An upgrade in flight may already be accepted upstream: let it finish (briefly), so that the
    // connection ends with a close handshake that the upstream sees before our next one opens.
    Timer patience = vertx.timer(CLOSING_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    // A connect that already failed needs no patience: otherwise a failed attempt sat a second in STOPPING.
    Future<?> settled = Future.any(connecting.otherwiseEmpty(), patience);
    // Cancelled at once, or it would hold this instance (its context, client, connection) for a second.
    settled.onComplete(ar -> patience.cancel());
    return settled.transform(ar -> {
      if (!connecting.succeeded() || socket.isClosed()) {
        return Future.succeededFuture();
      }
      return withinClosingTimeout(socket.close((short) 1000, "switchboard: listener stopped"));
    }).transform(ar -> closeClient());
  }

  /**
   * A close that has had its time, then the TCP connection ended without it. Vert.x's closing timeout
   * only starts once our close frame is written, and a close frame queued behind writes an upstream does
   * not read is never written: nothing else would end that connection (a stop waited 30 s).
   */
  private Future<Void> withinClosingTimeout(Future<Void> close) {
    Future<Void> closed = close.recover(err -> Future.succeededFuture());
    Timer patience = vertx.timer(CLOSING_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    Future<?> first = Future.any(closed, patience);
    first.onComplete(ar -> patience.cancel());
    return first.transform(ar -> closed.isComplete() ? closed : abort());
  }

  /**
   * Closes the socket below every handler of the channel: Vert.x's WebSocket handler would wait for its
   * close frame to be written first, and a TLS handler would queue its own close behind the same unread
   * writes (and wait 3 s). Vert.x's public API has no such close; its internal one gives the channel.
   */
  private Future<Void> abort() {
    ChannelHandlerContext below = ((WebSocketInternal) socket).channelHandlerContext().pipeline().firstContext();
    Promise<Void> aborted = Promise.promise();
    below.close().addListener(done -> context.runOnContext(v -> aborted.complete()));
    return aborted.future();
  }

  /**
   * Closes the client (and whatever connection it still holds, e.g. an upgrade that timed out) now,
   * while the event loops run: left to the end of the process, its close would run on a loop that
   * is gone.
   */
  private Future<Void> closeClient() {
    if (client == null) {
      return Future.succeededFuture();
    }
    return client.shutdown(CLOSING_TIMEOUT_SECONDS, TimeUnit.SECONDS).recover(err -> Future.succeededFuture());
  }
}
