package dev.switchboard.examples.echo;

import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.WebSocketListener;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

/** One connection of an echo listener: each text frame in is an envelope out; each send is a text frame. */
class EchoListener extends WebSocketListener {
  private final EchoSettings settings;

  EchoListener(ListenerSpec spec, ListenerStats stats, EchoSettings settings) {
    super(spec, stats);
    this.settings = settings;
  }

  @Override
  protected WebSocketConnectOptions connectOptions() {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setAbsoluteURI(settings.url().toString());
    if (settings.apiKey() != null) {
      options.addHeader("X-Api-Key", settings.apiKey());
    }
    return options;
  }

  @Override
  protected Future<Void> handshake() {
    // On this instance's context: undeploy unregisters it.
    vertx.eventBus().<String>consumer("echo." + spec.name() + ".send", this::onSend);
    return settings.greeting() == null ? Future.succeededFuture() : sendText(settings.greeting());
  }

  @Override
  protected void onText(String text) {
    Object echoes = stats.get("echoes");
    stats.put("echoes", (echoes instanceof Number n ? n.longValue() : 0L) + 1);
    vertx.eventBus().publish("echo." + spec.name() + ".message", new JsonObject()
        .put("seq", stats.nextSeq()).put("ts", System.currentTimeMillis()).put("source", spec.name())
        .put("type", "text").put("data", new JsonObject().put("text", text)));
  }

  private void onSend(Message<String> msg) {
    if (!(msg.body() instanceof String)) {
      msg.fail(400, "send a string");
      return;
    }
    sendText(msg.body()).onSuccess(v -> msg.reply(new JsonObject().put("sent", true))).onFailure(err -> msg.fail(503, err.getMessage()));
  }
}
