package dev.switchboard.server;

import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One process per data directory. Two that shared one would each run its listeners (two connections to every
 * upstream) and each write the definitions file from its own memory, dropping the other's changes. The lock
 * is the operating system's, on {@code switchboard.lock}: it goes with the process, however that ends, so a
 * killed process never leaves a stale one. The file holds the holder's pid, for the refusal's message.
 */
final class DataDirLock implements AutoCloseable {
  static final String FILE = "switchboard.lock";
  /**
   * The files locked by this JVM (tests run several instances in one). Checked before a channel is opened: the
   * operating system's locks are per process, and closing any channel to the file would release them all.
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock of {@code dataDir}.
   *
   * @throws IllegalStateException when another process (or another instance in this one) holds it, or it cannot be taken
   */
  static DataDirLock take(Path dataDir) {
    Path file = dataDir.toAbsolutePath().normalize().resolve(FILE);
    if (!HELD.add(file)) {
      throw inUse(dataDir, "another Switchboard in this process");
    }
    FileChannel channel = null;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        String pid = holder(channel);
        throw inUse(dataDir, "another Switchboard process" + (pid.isEmpty() ? "" : " (pid " + pid + ")"));
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
      return new DataDirLock(file, channel, lock);
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      HELD.remove(file);
      throw e instanceof IllegalStateException refusal ? refusal
          : new IllegalStateException("dataDir '" + dataDir.toAbsolutePath().normalize() + "': cannot lock " + FILE + " (" + e.getMessage() + ")", e);
    }
  }

  private static IllegalStateException inUse(Path dataDir, String holder) {
    return new IllegalStateException("dataDir '" + dataDir.toAbsolutePath().normalize() + "' is in use by " + holder
        + ": each process needs its own dataDir");
  }

  private static String holder(FileChannel channel) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(32);
    channel.read(buffer, 0);
    return new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim();
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      if (channel != null) {
        channel.close();
      }
    } catch (IOException ignored) {
      // nothing more to release
    }
  }

  /**
   * A verticle that lets the directory go when it is undeployed: when its Vert.x closes, whether or not through
   * {@link Switchboard#stop()} (a test that closes Vert.x itself, to play a crash).
   */
  Deployable releasedOnClose() {
    return new VerticleBase() {
      @Override
      public Future<?> stop() {
        close();
        return Future.succeededFuture();
      }
    };
  }

  /** Lets the directory go: the next process may take it. Once only: by then another instance may hold it. */
  @Override
  public synchronized void close() {
    if (!channel.isOpen()) {
      return;
    }
    try {
      lock.release();
    } catch (IOException ignored) {
      // closing the channel releases it too
    }
    closeQuietly(channel);
    HELD.remove(file);
  }
}
