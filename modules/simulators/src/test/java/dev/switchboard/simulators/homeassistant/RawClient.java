package dev.switchboard.simulators.homeassistant;

import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A bare WebSocket client that speaks whatever a test writes, and keeps every message it gets. */
final class RawClient {
  final List<String> frames = new CopyOnWriteArrayList<>();
  private final BlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
  private final WebSocketClient client;
  final ClientWebSocket ws;
  volatile boolean closed;
  volatile Short closeCode;

  private RawClient(Vertx vertx) {
    client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(16 << 20).setMaxMessageSize(16 << 20));
    ws = client.webSocket();
    ws.textMessageHandler(text -> {
      frames.add(text);
      Object value = Json.decodeValue(text);
      if (value instanceof JsonArray a) {
        a.forEach(v -> messages.add((JsonObject) v));
      } else {
        messages.add((JsonObject) value);
      }
    });
    ws.closeHandler(v -> {
      closeCode = ws.closeStatusCode();
      closed = true;
    });
  }

  static RawClient connect(Vertx vertx, String url) {
    RawClient c = new RawClient(vertx);
    c.ws.connect(new WebSocketConnectOptions().setAbsoluteURI(url)).await();
    return c;
  }

  /** Connects, authenticates with {@code token} and checks auth_ok. */
  static RawClient authenticated(Vertx vertx, String url, String token) {
    RawClient c = connect(vertx, url);
    c.next(); // auth_required
    c.send(new JsonObject().put("type", "auth").put("access_token", token));
    JsonObject ok = c.next();
    if (!"auth_ok".equals(ok.getString("type"))) {
      throw new AssertionError("expected auth_ok, got " + ok);
    }
    return c;
  }

  void send(Object json) {
    ws.writeTextMessage(json instanceof String s ? s : Json.encode(json)).await();
  }

  JsonObject next() {
    try {
      JsonObject m = messages.poll(5, TimeUnit.SECONDS);
      if (m == null) {
        throw new AssertionError("no message within 5 s; frames so far: " + frames);
      }
      return m;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** The next message with this id (results, pongs and events of a subscription). */
  JsonObject next(long id) {
    while (true) {
      JsonObject m = next();
      if (m.getValue("id") instanceof Number n && n.longValue() == id) {
        return m;
      }
    }
  }

  void close() {
    client.close().await();
  }
}
