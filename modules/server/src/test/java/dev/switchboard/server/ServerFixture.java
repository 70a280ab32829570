package dev.switchboard.server;

import dev.switchboard.core.Addresses;
import dev.switchboard.server.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.Map;

/** Config for an in-process Switchboard on a free port, with fast restart timings. */
final class ServerFixture {
  static final String TOKEN = "test-control-token";

  private ServerFixture() {
  }

  static JsonObject feedListener(String name, String url, boolean autoStart) {
    return new JsonObject().put("name", name).put("type", "upstream").put("autoStart", autoStart).put("url", url)
        .put("restart", new JsonObject().put("initialDelay", "20ms").put("maxDelay", "200ms")
            .put("heartbeatInterval", "200ms").put("heartbeatTimeout", "200ms").put("connectTimeout", "2s"));
  }

  static JsonObject config(Path dataDir, JsonObject... listeners) {
    return new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("controlToken", "${TEST_TOKEN}"))
        .put("dataDir", dataDir.toString())
        .put("statusInterval", "50ms")
        .put("listeners", new JsonArray(java.util.List.of((Object[]) listeners)));
  }

  static Switchboard start(JsonObject config) {
    return starting(config).await();
  }

  /** The start, not waited for. */
  static io.vertx.core.Future<Switchboard> starting(JsonObject config) {
    return starting(config, Map.of());
  }

  /** The start, not waited for, with these environment variables besides TEST_TOKEN. */
  static io.vertx.core.Future<Switchboard> starting(JsonObject config, Map<String, String> env) {
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("TEST_TOKEN", TOKEN);
    return Switchboard.start(new ConfigLoader(Map.copyOf(all)).parse(config));
  }

  /** The listener's {@code connected_clients}, as its status says now. */
  static int connectedClients(Switchboard app, String listener) {
    return app.vertx().eventBus().<JsonObject>request(Addresses.CONTROL, new JsonObject().put("action", "status").put("name", listener))
        .await().body().getJsonObject("listener").getInteger("connected_clients");
  }
}
