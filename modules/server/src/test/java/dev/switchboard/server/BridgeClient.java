package dev.switchboard.server;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.testing.Await;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client of the bridge's raw WebSocket endpoint (or of {@code /subscribe}), as the tests drive it: it
 * keeps every text frame as it came, every frame that is JSON parsed (a bridge frame, an array of them for
 * a {@code ?batch=true} client, a subscription's envelope or data), and its close code.
 */
public final class BridgeClient {
  private static final Duration WAIT = Duration.ofSeconds(15);

  public final WebSocketClient client;
  public final WebSocket socket;
  public final List<Object> frames = new CopyOnWriteArrayList<>();
  /** Every text frame as it came, JSON or not (a subscription's data may be any text). */
  public final List<String> texts = new CopyOnWriteArrayList<>();
  public final AtomicInteger closeCode = new AtomicInteger(-1);

  private BridgeClient(WebSocketClient client, WebSocket socket) {
    this.client = client;
    this.socket = socket;
  }

  public static BridgeClient connect(Vertx vertx, int port, String uri) {
    WebSocketClient client = vertx.createWebSocketClient();
    // Handlers before connecting: a subscription's first frames may follow the upgrade at once.
    ClientWebSocket socket = client.webSocket();
    BridgeClient c = new BridgeClient(client, socket);
    socket.binaryMessageHandler(data -> c.frames.add(decode(data.toString())));
    socket.textMessageHandler(text -> {
      c.texts.add(text);
      if (text.startsWith("[") || text.startsWith("{")) {
        c.frames.add(decode(text));
      }
    });
    socket.closeHandler(v -> c.closeCode.set(socket.closeStatusCode() == null ? 1006 : socket.closeStatusCode()));
    socket.connect(port, "127.0.0.1", uri).await();
    return c;
  }

  /** A {@code send} bridge frame; the token, when given, in the {@code token} header. */
  public static JsonObject sendFrame(String address, Object body, String replyAddress, String token) {
    JsonObject frame = new JsonObject().put("type", "send").put("address", address).put("body", body).put("replyAddress", replyAddress);
    return token == null ? frame : frame.put("headers", new JsonObject().put("token", token));
  }

  private static Object decode(String text) {
    return text.startsWith("[") ? new JsonArray(text) : new JsonObject(text);
  }

  public void send(JsonObject frame) {
    socket.writeTextMessage(frame.encode()).await();
  }

  public void register(String address) {
    send(new JsonObject().put("type", "register").put("address", address));
  }

  /** The bridge frames received, batches flattened, in order. */
  public List<JsonObject> messages() {
    List<JsonObject> out = new ArrayList<>();
    for (Object f : frames) {
      if (f instanceof JsonArray array) {
        array.forEach(o -> out.add((JsonObject) o));
      } else {
        out.add((JsonObject) f);
      }
    }
    return out;
  }

  /** Waits for the answer to a send with this reply address. */
  public JsonObject reply(String replyAddress) {
    return Await.until(WAIT, "the reply to " + replyAddress,
        () -> messages().stream().filter(f -> replyAddress.equals(f.getString("address"))).findFirst(), Optional::isPresent).get();
  }

  /** How many {@code err} frames with this body arrived. */
  public long errors(String body) {
    return messages().stream().filter(f -> "err".equals(f.getString("type")) && body.equals(f.getString("body"))).count();
  }

  /** The {@code n} of every message received, in order (not the server's notices of what it dropped). */
  public List<Integer> numbers() {
    return messages().stream().filter(m -> "rec".equals(m.getString("type")) && !Addresses.BRIDGE_DROPPED.equals(m.getString("address")))
        .map(m -> m.getJsonObject("body").getInteger("n")).toList();
  }
}
