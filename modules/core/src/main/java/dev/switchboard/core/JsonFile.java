package dev.switchboard.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystem;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * A small JSON document under the data directory that must survive a crash. Each write goes whole to
 * a temporary file, is forced to disk, and is then moved over the old one (and the directory forced
 * too), so a crash never leaves half a file or loses a write that was acknowledged; writes are
 * serialized, so the last one wins. A private file is readable by the process user only (0600).
 */
public final class JsonFile {
  private final Vertx vertx;
  private final Path file;
  private final boolean privateFile;
  private Future<Void> lastWrite = Future.succeededFuture();

  public JsonFile(Vertx vertx, Path file) {
    this(vertx, file, false);
  }

  public JsonFile(Vertx vertx, Path file, boolean privateFile) {
    this.vertx = vertx;
    this.file = file;
    this.privateFile = privateFile;
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
    lastWrite = lastWrite.transform(ignored -> vertx.executeBlocking(() -> {
      replace(bytes.getBytes());
      return null;
    }, false));
    return lastWrite;
  }

  /** Deletes the file, after every earlier write. */
  public Future<Void> delete() {
    lastWrite = lastWrite.transform(ignored -> vertx.executeBlocking(() -> {
      Files.deleteIfExists(file);
      return null;
    }, false));
    return lastWrite;
  }

  /** Completes when every write so far is on disk. */
  public Future<Void> flush() {
    return lastWrite;
  }

  private void replace(byte[] content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.createDirectories(file.getParent());
    Files.deleteIfExists(tmp);
    Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    try (FileChannel out = privateFile && posix()
        ? FileChannel.open(tmp, options, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
        : FileChannel.open(tmp, options)) {
      ByteBuffer buffer = ByteBuffer.wrap(content);
      while (buffer.hasRemaining()) {
        out.write(buffer);
      }
      out.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    forceDirectory(file.getParent());
  }

  private static boolean posix() {
    return java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }

  /** The rename is durable only once the directory entry is on disk too (where the OS allows it). */
  private static void forceDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (FileSystemException | UnsupportedOperationException e) {
      // Some file systems cannot open a directory; the rename itself is still atomic.
    } catch (IOException e) {
      // As above: durability of the directory entry is best effort where the OS refuses.
    }
  }
}
