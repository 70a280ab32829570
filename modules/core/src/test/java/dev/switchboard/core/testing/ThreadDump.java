package dev.switchboard.core.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Another JVM's threads as {@code jcmd Thread.print} prints them: what a test keeps when a process seems stuck. */
public final class ThreadDump {
  private ThreadDump() {
  }

  /** The whole dump of process {@code pid}, by the running JDK's own jcmd. */
  public static String of(long pid) throws IOException {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    Process process = new ProcessBuilder(jcmd, Long.toString(pid), "Thread.print").redirectErrorStream(true).start();
    String dump = new String(process.getInputStream().readAllBytes());
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return dump;
  }

  /** The dump's threads, one block each: a header line (name, state, CPU time), then the stack. */
  public static Stream<String> threads(String dump) {
    return Stream.of(dump.split("\n\n"));
  }
}
