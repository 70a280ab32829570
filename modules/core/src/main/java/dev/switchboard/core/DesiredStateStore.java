package dev.switchboard.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.CopyOptions;
import io.vertx.core.file.FileSystem;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Whether each listener should run, kept in {@code <dataDir>/listeners.json} so that a stopped
 * listener stays stopped across a restart of the process (design invariant 5). Writes go to a
 * temporary file that is then moved over the old one, so a crash never leaves half a file.
 */
public final class DesiredStateStore {
  private final Vertx vertx;
  private final Path file;
  private final Map<String, Boolean> active = new HashMap<>();
  private Future<Void> lastWrite = Future.succeededFuture();

  public DesiredStateStore(Vertx vertx, Path dataDir) {
    this.vertx = vertx;
    this.file = dataDir.resolve("listeners.json");
  }

  public Path file() {
    return file;
  }

  /** Reads the file if there is one. A file that cannot be read is an error, not an empty state. */
  public Future<Map<String, Boolean>> load() {
    FileSystem fs = vertx.fileSystem();
    return fs.mkdirs(file.getParent().toString())
        .compose(v -> fs.exists(file.toString()))
        .compose(exists -> exists ? fs.readFile(file.toString()) : Future.succeededFuture((Buffer) null))
        .map(buffer -> {
          if (buffer != null) {
            JsonObject listeners;
            try {
              listeners = buffer.toJsonObject().getJsonObject("listeners", new JsonObject());
            } catch (RuntimeException e) {
              throw new IllegalStateException("state file " + file + " is not valid JSON: " + e.getMessage(), e);
            }
            listeners.forEach(e -> active.put(e.getKey(), ((JsonObject) e.getValue()).getBoolean("active", false)));
          }
          return Map.copyOf(active);
        });
  }

  /** Records a listener's desired state; writes are serialized, the last one wins. */
  public Future<Void> save(String name, boolean isActive) {
    active.put(name, isActive);
    JsonObject listeners = new JsonObject();
    active.forEach((k, v) -> listeners.put(k, new JsonObject().put("active", v)));
    Buffer content = new JsonObject().put("listeners", listeners).toBuffer();
    lastWrite = lastWrite.transform(ignored -> write(content));
    return lastWrite;
  }

  /** Completes when every write so far is on disk. */
  public Future<Void> flush() {
    return lastWrite;
  }

  private Future<Void> write(Buffer content) {
    FileSystem fs = vertx.fileSystem();
    String tmp = file + ".tmp";
    return fs.writeFile(tmp, content)
        .compose(v -> fs.move(tmp, file.toString(), new CopyOptions().setReplaceExisting(true).setAtomicMove(true)));
  }
}
