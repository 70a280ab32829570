package dev.switchboard.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.CopyOptions;
import io.vertx.core.file.FileSystem;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;

/**
 * A small JSON document under the data directory that must survive a crash. Each write goes whole to
 * a temporary file that is then moved over the old one, so a crash never leaves half a file; writes
 * are serialized, so the last one wins.
 */
public final class JsonFile {
  private final Vertx vertx;
  private final Path file;
  private Future<Void> lastWrite = Future.succeededFuture();

  public JsonFile(Vertx vertx, Path file) {
    this.vertx = vertx;
    this.file = file;
  }

  public Path path() {
    return file;
  }

  /** The file's content, or null when there is none yet; creates the directory it lives in. */
  public Future<Buffer> read() {
    FileSystem fs = vertx.fileSystem();
    return fs.mkdirs(file.getParent().toString())
        .compose(v -> fs.exists(file.toString()))
        .compose(exists -> exists ? fs.readFile(file.toString()) : Future.succeededFuture((Buffer) null));
  }

  /** Replaces the document, after every earlier write. */
  public Future<Void> write(JsonObject content) {
    Buffer bytes = content.toBuffer();
    lastWrite = lastWrite.transform(ignored -> replace(bytes));
    return lastWrite;
  }

  /** Completes when every write so far is on disk. */
  public Future<Void> flush() {
    return lastWrite;
  }

  private Future<Void> replace(Buffer content) {
    FileSystem fs = vertx.fileSystem();
    String tmp = file + ".tmp";
    return fs.writeFile(tmp, content)
        .compose(v -> fs.move(tmp, file.toString(), new CopyOptions().setReplaceExisting(true).setAtomicMove(true)));
  }
}
