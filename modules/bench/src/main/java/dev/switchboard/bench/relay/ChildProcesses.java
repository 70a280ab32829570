package dev.switchboard.bench.relay;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Stops what a benchmark started when its JVM exits, Ctrl-C included: every child process (relays,
 * Node client fleets) and their descendants. A relay left running would hold its port and load the
 * next run's machine.
 */
final class ChildProcesses {
  private ChildProcesses() {
  }

  static void stopOnExit() {
    Runtime.getRuntime().addShutdownHook(new Thread(ChildProcesses::stopAll, "stop-child-processes"));
  }

  /** SIGTERM to each, then SIGKILL to what is still there after 5 s. */
  static void stopAll() {
    List<ProcessHandle> all = ProcessHandle.current().descendants().toList();
    all.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (ProcessHandle p : all) {
      try {
        p.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        p.destroyForcibly();
      }
    }
  }
}
