package dev.switchboard.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Whether each listener should run, kept in {@code <dataDir>/listeners.json} so that a stopped
 * listener stays stopped across a restart of the process (design invariant 5). A {@link JsonFile}: a
 * crash never leaves half a file.
 */
public final class DesiredStateStore {
  private final JsonFile file;
  private final Map<String, Boolean> active = new HashMap<>();

  public DesiredStateStore(Vertx vertx, Path dataDir) {
    this.file = new JsonFile(vertx, dataDir.resolve("listeners.json"));
  }

  public Path file() {
    return file.path();
  }

  /** Reads the file if there is one. A file that cannot be read is an error, not an empty state. */
  public Future<Map<String, Boolean>> load() {
    return file.read()
        .map(buffer -> {
          if (buffer != null) {
            JsonObject listeners;
            try {
              listeners = buffer.toJsonObject().getJsonObject("listeners", new JsonObject());
            } catch (RuntimeException e) {
              throw new IllegalStateException("state file " + file.path() + " is not valid JSON: " + e.getMessage(), e);
            }
            try {
              listeners.forEach(e -> active.put(e.getKey(), ((JsonObject) e.getValue()).getBoolean("active", false)));
            } catch (ClassCastException e) {
              throw new IllegalStateException("state file " + file.path() + " has a listener entry that is not {\"active\": true|false}; "
                  + "fix it, or delete it to start every listener as its autoStart says", e);
            }
          }
          return Map.copyOf(active);
        });
  }

  /** Records a listener's desired state; writes are serialized, the last one wins. */
  public Future<Void> save(String name, boolean isActive) {
    active.put(name, isActive);
    return write();
  }

  private Future<Void> write() {
    JsonObject listeners = new JsonObject();
    active.forEach((k, v) -> listeners.put(k, new JsonObject().put("active", v)));
    return file.write(new JsonObject().put("listeners", listeners));
  }

  /** Forgets a listener that was removed. */
  public Future<Void> remove(String name) {
    active.remove(name);
    return write();
  }

  /** Completes when every write so far is on disk. */
  public Future<Void> flush() {
    return file.flush();
  }
}
