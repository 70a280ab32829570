package dev.switchboard.core.testing;

import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerKind;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.core.RestartPolicy;
import dev.switchboard.core.Supervisor;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Listener definitions and supervisors for the tests of one kind, read exactly as the config file's. */
public final class Definitions {
  private Definitions() {
  }

  /** A definition of {@code kind}: its own {@code fields}, the given policy and autoStart. */
  public static ListenerDefinition of(ListenerKind kind, String name, boolean autoStart, RestartPolicy policy, JsonObject fields, Path dataDir) {
    JsonObject json = fields.copy().put("name", name).put("type", kind.type()).put("autoStart", autoStart).put("restart", policy.toJson());
    return ListenerKinds.of(kind).read("listeners[0]", json, Map.of(), dataDir, 1);
  }

  /** A supervisor of these definitions (the config file's, on a first start) that knows {@code kind}. */
  public static Supervisor supervisor(ListenerKind kind, Path dataDir, Duration statusInterval, List<ListenerDefinition> definitions) {
    return new Supervisor(ListenerKinds.of(kind), definitions, new Supervisor.Options(dataDir, statusInterval, Map.of()));
  }
}
