package dev.switchboard.upstream;

import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.WebSocketListener;
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
  private final FeedSettings settings;
  private final String messages;

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
  protected Future<Void> handshake() {
    // Registered on this instance's context: undeploy unregisters it. Until the socket is open, and
    // when no instance is deployed at all, a sender gets a failure, never silence.
    vertx.eventBus().localConsumer(FeedAddresses.connectionSend(spec.name()), this::onSend);
    Future<Void> sent = Future.succeededFuture();
    for (String message : settings.onConnect()) {
      sent = sent.compose(v -> sendText(message));
    }
    return sent;
  }

  @Override
  protected void sendHeartbeat() {
    if (settings.heartbeatPayload() == null) {
      super.sendHeartbeat();
    } else {
      sendText(settings.heartbeatPayload());
    }
  }

  @Override
  protected void onText(String text) {
    if (settings.heartbeatPayload() != null) {
      heartbeatAnswered(); // in message mode, anything the feed says proves it is alive
    }
    Object data;
    String type;
    String trimmed = text.stripLeading();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        data = trimmed.startsWith("{") ? new JsonObject(text) : new JsonArray(text);
        type = "json";
      } catch (DecodeException e) {
        malformed("text that starts like JSON but is not: " + abbreviate(text));
        return;
      }
    } else {
      data = new JsonObject().put("text", text);
      type = "text";
    }
    publish(type, data);
  }

  @Override
  protected void onBinary(Buffer data) {
    if (settings.heartbeatPayload() != null) {
      heartbeatAnswered();
    }
    publish("binary", new JsonObject().put("base64", Base64.getEncoder().encodeToString(data.getBytes())));
  }

  private void publish(String type, Object data) {
    JsonObject envelope = new JsonObject()
        .put("seq", stats.nextSeq())
        .put("ts", System.currentTimeMillis())
        .put("source", spec.name())
        .put("type", type)
        .put("data", data);
    vertx.eventBus().publish(messages, envelope);
  }

  private void onSend(Message<Object> msg) {
    Object body = msg.body();
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
    if (!isOpen()) {
      msg.fail(503, "listener '" + spec.name() + "' is not connected yet; nothing was sent");
      return;
    }
    sendText(text).onComplete(ar -> answer(msg, ar.failed() ? ar.cause() : null));
  }

  private static void answer(Message<Object> msg, Throwable failure) {
    if (failure == null) {
      msg.reply(new JsonObject().put("sent", true));
    } else {
      msg.fail(503, failure.getMessage());
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 80 ? text : text.substring(0, 80) + "... (" + text.length() + " chars)";
  }
}
