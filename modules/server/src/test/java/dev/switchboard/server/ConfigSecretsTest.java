package dev.switchboard.server;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigField;
import dev.switchboard.core.ListenerKind;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.server.config.ConfigLoader;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A value from the environment never shows in a config error, whichever field it is wrong for. */
class ConfigSecretsTest {
  private static final String SECRET = "zz-s3cret value-42zz";
  private static final Map<String, String> ENV = Map.of("TEST_TOKEN", ServerFixture.TOKEN, "CFG_SECRET", SECRET);

  @TempDir
  Path dataDir;

  private static final Map<String, JsonObject> VALID = Map.of(
      "upstream", new JsonObject().put("url", "ws://127.0.0.1:1/x"),
      "homeassistant", new JsonObject().put("url", "ws://127.0.0.1:8123/api/websocket").put("token", "t0ken-t0ken"),
      "alpaca", new JsonObject().put("url", "ws://127.0.0.1:8765/v2/iex").put("key", "k3y-k3y").put("secret", "s3c-s3c"));

  private String refusal(JsonObject config) {
    try {
      new ConfigLoader(ENV).parse(config);
      return null;
    } catch (ConfigException e) {
      return e.getMessage();
    }
  }

  @Test
  @DisplayName("every field of every kind, and the process's own fields: the error names the field, never the value")
  void everyFieldMasked() {
    List<String> refused = new ArrayList<>();
    ListenerKinds kinds = ListenerKinds.discover();
    for (Map.Entry<String, JsonObject> base : VALID.entrySet()) {
      ListenerKind kind = kinds.kind(base.getKey()).orElseThrow();
      for (String path : paths("", ListenerKinds.schema(kind))) {
        JsonObject listener = base.getValue().copy().put("name", "l").put("type", kind.type());
        put(listener, path, "${CFG_SECRET}");
        String message = refusal(ServerFixture.config(dataDir, listener));
        if (message != null) {
          assertFalse(message.contains(SECRET) || message.contains("s3cret"), kind.type() + " " + path + ": " + message);
          refused.add(kind.type() + " " + path);
        }
      }
    }
    for (String path : List.of("http.port", "http.bridge.pingTimeout", "http.bridge.maxHandlersPerSocket",
        "http.bridge.slowClients", "statusInterval", "defaultListener", "status.statusHistory", "simulators.feed.port")) {
      JsonObject config = ServerFixture.config(dataDir);
      put(config, path, "${CFG_SECRET}");
      String message = refusal(config);
      assertTrue(message != null, path + " accepted " + SECRET);
      assertFalse(message.contains(SECRET) || message.contains("s3cret"), path + ": " + message);
      refused.add(path);
    }
    // Most fields refuse such a value: the test saw their errors, not just accepted strings.
    assertTrue(refused.size() >= 40, "only " + refused.size() + " refusals: " + refused);
  }

  private static List<String> paths(String prefix, List<ConfigField> fields) {
    List<String> out = new ArrayList<>();
    for (ConfigField f : fields) {
      out.add(prefix + f.name());
      if (f.type() == ConfigField.Type.OBJECT) {
        out.addAll(paths(prefix + f.name() + ".", f.fields()));
      }
    }
    return out;
  }

  private static void put(JsonObject json, String path, Object value) {
    String[] parts = path.split("\\.");
    JsonObject at = json;
    for (int i = 0; i < parts.length - 1; i++) {
      if (!(at.getValue(parts[i]) instanceof JsonObject)) {
        at.put(parts[i], new JsonObject());
      }
      at = at.getJsonObject(parts[i]);
    }
    at.put(parts[parts.length - 1], value);
  }
}
