package dev.switchboard.homeassistant;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.CopyOptions;
import io.vertx.core.file.FileSystem;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A listener's event counter on disk ({@code <dataDir>/homeassistant-<name>.json}), so that
 * {@code events_total} survives a restart of the process. Written to a temporary file that is then
 * moved over the old one: a crash never leaves half a file. Writes are serialized.
 */
final class CounterFile {
  /** What an earlier run left. */
  record Saved(long eventsTotal, long lastEventAt) {
  }

  private final Vertx vertx;
  private final Path file;
  private Future<Void> lastWrite = Future.succeededFuture();

  CounterFile(Vertx vertx, Path dataDir, String listener) {
    this.vertx = vertx;
    this.file = dataDir.resolve("homeassistant-" + listener.replaceAll("[^A-Za-z0-9._-]", "_") + ".json");
  }

  Path file() {
    return file;
  }

  Future<Saved> load() {
    FileSystem fs = vertx.fileSystem();
    return fs.mkdirs(file.getParent().toString())
        .compose(v -> fs.exists(file.toString()))
        .compose(exists -> exists ? fs.readFile(file.toString()).map(this::parse) : Future.succeededFuture(new Saved(0, 0)));
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
      throw new IllegalStateException("counter file " + file + " cannot be read (" + e.getMessage()
          + "); fix or delete it to start counting from zero", e);
    }
  }

  Future<Void> save(long eventsTotal, long lastEventAt) {
    Buffer content = new JsonObject()
        .put("events_total", eventsTotal)
        .put("last_event_at", lastEventAt == 0 ? null : Instant.ofEpochMilli(lastEventAt).toString())
        .put("saved_at", Instant.now().toString())
        .toBuffer();
    lastWrite = lastWrite.transform(ignored -> write(content));
    return lastWrite;
  }

  private Future<Void> write(Buffer content) {
    FileSystem fs = vertx.fileSystem();
    String tmp = file + ".tmp";
    return fs.writeFile(tmp, content)
        .compose(v -> fs.move(tmp, file.toString(), new CopyOptions().setReplaceExisting(true).setAtomicMove(true)));
  }
}
