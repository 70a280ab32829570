package dev.switchboard.core;

import io.vertx.core.Future;
import io.vertx.core.Promise;
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
  /** The write under way; null when none is. */
  private Future<Void> writing;
  /** The one write that follows it, with every change made meanwhile; null when nothing changed since. */
  private Promise<Void> next;

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
            Object listeners;
            try {
              listeners = buffer.toJsonObject().getValue("listeners", new JsonObject());
            } catch (RuntimeException e) {
              throw new IllegalStateException("state file " + file.path() + " is not valid JSON: " + JsonSyntax.describe(e), e);
            }
            if (!(listeners instanceof JsonObject entries)) {
              throw notAnEntry("\"listeners\" is not an object");
            }
            // Every entry must say which: one without its flag taken as a stop would keep a listener stopped in silence.
            entries.forEach(e -> {
              if (!(e.getValue() instanceof JsonObject entry) || !(entry.getValue("active") instanceof Boolean isActive)) {
                throw notAnEntry("the entry of " + e.getKey() + " is not {\"active\": true|false}");
              }
              active.put(e.getKey(), isActive);
            });
          }
          return Map.copyOf(active);
        });
  }

  private IllegalStateException notAnEntry(String what) {
    return new IllegalStateException("state file " + file.path() + ": " + what
        + "; fix it, or delete it to start every listener as its autoStart says");
  }

  /**
   * Records a listener's desired state; the future completes once a write that holds it is on disk. One
   * write at a time: the changes made while one is under way go together in the next, so that a slow or
   * hung disk queues one write more, not one per change.
   */
  public Future<Void> save(String name, boolean isActive) {
    active.put(name, isActive);
    return write();
  }

  private Future<Void> write() {
    if (writing != null) {
      if (next == null) {
        next = Promise.promise();
      }
      return next.future();
    }
    JsonObject listeners = new JsonObject();
    active.forEach((k, v) -> listeners.put(k, new JsonObject().put("active", v)));
    // Marked under way before the write starts: a write that fails at once completes before a listener is added.
    Promise<Void> written = Promise.promise();
    writing = written.future();
    file.write(new JsonObject().put("listeners", listeners)).onComplete(ar -> {
      writing = null;
      if (next != null) {
        Promise<Void> following = next;
        next = null;
        write().onComplete(following);
      }
      written.handle(ar);
    });
    return written.future();
  }

  /** Forgets a listener that was removed. */
  public Future<Void> remove(String name) {
    active.remove(name);
    return write();
  }

  /** Completes when every write so far is on disk. */
  public Future<Void> flush() {
    return next != null ? next.future() : writing != null ? writing : file.flush();
  }
}
