package dev.switchboard.homeassistant;

import dev.switchboard.core.JsonFile;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A listener's event counter on disk ({@code <dataDir>/homeassistant-<name>.json}), so that
 * {@code events_total} survives a restart of the process. A {@link JsonFile}: a crash never leaves
 * half a file, and writes are serialized.
 */
final class CounterFile {
  /** What an earlier run left. */
  record Saved(long eventsTotal, long lastEventAt) {
  }

  private final JsonFile file;

  CounterFile(Vertx vertx, Path dataDir, String listener) {
    this.file = new JsonFile(vertx, dataDir.resolve("homeassistant-" + listener.replaceAll("[^A-Za-z0-9._-]", "_") + ".json"));
  }

  Path file() {
    return file.path();
  }

  /** Forgets the counters: the listener was removed. */
  Future<Void> delete() {
    return file.delete();
  }

  Future<Saved> load() {
    return file.read().map(content -> content == null ? new Saved(0, 0) : parse(content));
  }

  private Saved parse(Buffer content) {
    try {
      JsonObject json = content.toJsonObject();
      long total = json.getLong("events_total", 0L);
      String last = json.getString("last_event_at");
      if (total < 0) {
        throw new IllegalArgumentException("events_total is negative");
      }
      return new Saved(total, last == null ? 0 : Instant.parse(last).toEpochMilli());
    } catch (RuntimeException e) {
      throw new IllegalStateException("counter file " + file.path() + " cannot be read (" + e.getMessage()
          + "); fix or delete it to start counting from zero", e);
    }
  }

  Future<Void> save(long eventsTotal, long lastEventAt) {
    return file.write(new JsonObject()
        .put("events_total", eventsTotal)
        .put("last_event_at", lastEventAt == 0 ? null : Instant.ofEpochMilli(lastEventAt).toString())
        .put("saved_at", Instant.now().toString()));
  }
}
