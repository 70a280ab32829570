package dev.switchboard.upstream;

import dev.switchboard.core.ListenerFailure;
import dev.switchboard.core.Secrets;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.WebSocketListener;
import dev.switchboard.core.envelope.JsonEnvelope;
import dev.switchboard.core.envelope.JsonEnvelopeCodec;
import dev.switchboard.core.envelope.StrictJson;
import dev.switchboard.core.UpstreamTls;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Base64;

/**
 * One connection to a generic JSON-over-WebSocket feed. Every message goes out on
 * {@code upstream.<name>.message} as an envelope; {@code upstream.<name>.send} writes to the feed.
 */
public class FeedListener extends WebSocketListener {
  /** How long the upstream may leave its socket backed up before a send is refused. */
  private static final long BACKED_UP_LIMIT_MS = 1_000;
  private final FeedSettings settings;
  private final String messages;
  /** Checks each message with one parser for this instance's life. */
  private final StrictJson strictJson = new StrictJson();
  /** Epoch millis when this connection opened (its gap is published then, before its first frame is read); 0 until then. */
  private long connectedAt;
  /** When the last message came (epoch millis), had this connection ended as stale; 0 otherwise. */
  private long mutedSince;

  public FeedListener(ListenerSpec spec, ListenerStats stats, FeedSettings settings) {
    super(spec, stats);
    this.settings = settings;
    this.messages = FeedAddresses.messages(spec.name());
  }

  @Override
  protected io.vertx.core.http.WebSocketConnectOptions connectOptions() {
    var options = new io.vertx.core.http.WebSocketConnectOptions().setAbsoluteURI(settings.url().toString());
    settings.headers().forEach(options::addHeader);
    settings.subprotocols().forEach(options::addSubProtocol);
    return options;
  }

  @Override
  protected int maxFrameSize() {
    return settings.maxFrameSize();
  }

  @Override
  protected UpstreamTls tls() {
    return settings.tls();
  }

  @Override
  protected Future<Void> handshake() {
    JsonEnvelopeCodec.register(vertx);
    // The gap first, in this same turn: the new connection's frames are read from the next turn on, and large
    // onConnect messages can take several turns to write.
    connectedAt = System.currentTimeMillis();
    announceGap();
    Future<Void> sent = Future.succeededFuture();
    for (String message : settings.onConnect()) {
      sent = sent.compose(v -> sendText(message));
    }
    return sent.onSuccess(v -> {
      // Only now, after the onConnect messages (a login, a subscribe): a send never goes out between them.
      // Registered on this instance's context: undeploy unregisters it. Until then, and when no instance
      // is deployed at all, a sender gets a failure (503), never silence.
      vertx.eventBus().localConsumer(FeedAddresses.connectionSend(spec.name()), this::onSend);
      watchForSilence();
    });
  }

  /**
   * A new connection after an earlier one: what the upstream sent in between is lost, and the envelope
   * seq does not show it (it counts what arrived). So the stream says it, in a {@code gap} envelope.
   */
  private void announceGap() {
    ListenerStats.ConnectionEnd ended = stats.lastConnectionEnd();
    String to = java.time.Instant.ofEpochMilli(connectedAt).toString();
    if (epoch() > 1 && (ended == null || ended.epoch() != epoch())) {
      // In a cluster, the first connection under this owner: another node had the stream until it stopped,
      // at a time this node does not know.
      JsonObject window = new JsonObject().putNull("from").put("to", to);
      stats.put("last_gap", window);
      publish("gap", window.copy().put("reason", "this node took the listener over (epoch " + epoch()
          + "): messages the upstream sent between the two owners were not received"), connectedAt);
      return;
    }
    if (ended == null) {
      return; // the first connection of this process: there was no stream to miss
    }
    JsonObject window = new JsonObject()
        .put("from", java.time.Instant.ofEpochMilli(ended.at()).toString())
        .put("to", to);
    stats.put("last_gap", window);
    publish("gap", window.copy().put("reason", "reconnected: messages the upstream sent in between were not received"), connectedAt);
  }

  /** With staleAfter, a connection that stays up but says nothing is stale: reported, or renewed. */
  private void watchForSilence() {
    long staleAfter = settings.staleAfter().toMillis();
    if (staleAfter == 0) {
      return;
    }
    stats.put("stale", false);
    vertx.setPeriodic(Math.max(20, staleAfter / 4), id -> {
      if (ended()) {
        return; // the timer outlives the end by the close handshake; "stale" speaks of a live connection only
      }
      java.time.Instant last = stats.lastMessageAt();
      long since = Math.max(connectedAt, last == null ? 0 : last.toEpochMilli());
      long silent = System.currentTimeMillis() - since;
      boolean stale = silent > staleAfter;
      if (!Boolean.valueOf(stale).equals(stats.get("stale"))) {
        stats.put("stale", stale);
      }
      if (stale && settings.reconnectWhenStale()) {
        mutedSince = since; // pongs may have come since, but no message: the gap starts at the last one
        exit(ListenerFailure.retry("stale", "no message for " + silent + " ms (staleAfter " + staleAfter + " ms): connection renewed"));
      }
    });
  }

  @Override
  protected void onEnded() {
    if (connectedAt > 0) {
      stats.connectionEnded(mutedSince > 0 ? mutedSince : lastHeardAt(), epoch());
    }
    if (settings.staleAfter().toMillis() > 0) {
      stats.put("stale", false); // not connected: "stale" speaks of a live connection only
    }
  }

  @Override
  protected void sendHeartbeat() {
    if (settings.heartbeatPayload() == null) {
      super.sendHeartbeat();
    } else {
      sendText(settings.heartbeatPayload());
    }
  }

  /** In message mode only the feed's own messages answer: a proxy in front of a frozen feed still sends pongs. */
  @Override
  protected boolean pongAnswersHeartbeat() {
    return settings.heartbeatPayload() == null;
  }

  @Override
  protected void onTextUtf8(Buffer utf8) {
    if (settings.heartbeatPayload() != null) {
      heartbeatAnswered(); // in message mode, anything the feed says proves it is alive
    }
    if (strictJson.isPlainContainer(utf8)) {
      // Plain JSON, checked without building it or decoding its text: published as the upstream's own
      // bytes, parsed only by a consumer that reads the data. Anything else takes onText, which decides.
      vertx.eventBus().publish(messages, new JsonEnvelope(stats.nextSeq(), lastHeardAt(), spec.name(), "json", epoch(), utf8));
      return;
    }
    super.onTextUtf8(utf8);
  }

  @Override
  protected void onText(String text) { // every text comes through onTextUtf8, which has taken it as a heartbeat answer
    Object data;
    String type;
    String trimmed = text.stripLeading();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      if (StrictJson.nestingDepth(text) > StrictJson.MAX_DEPTH) {
        malformed("JSON nested deeper than " + StrictJson.MAX_DEPTH + " levels");
        return;
      }
      try {
        data = trimmed.startsWith("{") ? new JsonObject(text) : new JsonArray(text);
        type = "json";
      } catch (DecodeException e) {
        malformed("text that starts like JSON but is not: " + Secrets.excerpt(text));
        return;
      }
    } else {
      data = new JsonObject().put("text", text);
      type = "text";
    }
    publish(type, data, lastHeardAt());
  }

  @Override
  protected void onBinary(Buffer data) {
    if (settings.heartbeatPayload() != null) {
      heartbeatAnswered();
    }
    publish("binary", new JsonObject().put("base64", Base64.getEncoder().encodeToString(data.getBytes())), lastHeardAt());
  }

  /** @param ts when it was received: the time its last frame arrived, the one the next gap would start from */
  private void publish(String type, Object data, long ts) {
    JsonObject envelope = new JsonObject()
        .put("seq", stats.nextSeq())
        .put("ts", ts)
        .put("source", spec.name())
        .put("type", type)
        .put("data", data);
    vertx.eventBus().publish(messages, envelope);
  }

  private void onSend(Message<Object> msg) {
    Object body = msg.body();
    if (isOpen() && backedUpMillis() > BACKED_UP_LIMIT_MS) {
      // Connected, and in message mode its messages prove it alive, but it has read nothing for a while: refused,
      // not queued without end (and answered 'sent' much later, or never). A short burst is only queued.
      msg.fail(503, "listener '" + spec.name() + "': the upstream has not read what is sent to it for over "
          + BACKED_UP_LIMIT_MS + " ms; nothing was sent");
      return;
    }
    String text;
    if (body instanceof String s) {
      text = s;
    } else if (body instanceof JsonObject || body instanceof JsonArray) {
      text = body.toString();
    } else if (body instanceof Buffer b) {
      sendBinary(b).onComplete(ar -> answer(msg, ar.failed() ? ar.cause() : null));
      return;
    } else {
      msg.fail(400, "a message to send must be a string, a JSON object or array, or a buffer");
      return;
    }
    int unpaired = unpairedSurrogate(text);
    if (unpaired >= 0) {
      // A WebSocket text is UTF-8, which cannot carry half a character: it would go out as '?', told 'sent'.
      msg.fail(400, "a message to send must be valid Unicode: it holds half of a character (an unpaired surrogate, \\u"
          + Integer.toHexString(text.charAt(unpaired)) + ") at index " + unpaired + "; nothing was sent");
      return;
    }
    if (!isOpen()) {
      msg.fail(503, "listener '" + spec.name() + "' is not connected yet; nothing was sent");
      return;
    }
    sendText(text).onComplete(ar -> answer(msg, ar.failed() ? ar.cause() : null));
  }

  /** The index of the first surrogate that is not half of a pair, or -1. */
  private static int unpairedSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  private static void answer(Message<Object> msg, Throwable failure) {
    if (failure == null) {
      msg.reply(new JsonObject().put("sent", true));
    } else {
      msg.fail(503, failure.getMessage());
    }
  }
}
