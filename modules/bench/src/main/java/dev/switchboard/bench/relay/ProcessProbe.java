package dev.switchboard.bench.relay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** CPU time and resident memory of another process, from Linux's /proc. */
final class ProcessProbe {
  /** Clock ticks per second of utime/stime in /proc/<pid>/stat; 100 on every Linux this runs on. */
  private static final double TICKS_PER_SECOND = 100.0;
  private final long pid;

  ProcessProbe(long pid) {
    this.pid = pid;
  }

  /** User + system CPU seconds the process has used so far. */
  double cpuSeconds() {
    return cpuSeconds(Path.of("/proc", Long.toString(pid), "stat"));
  }

  /**
   * CPU seconds so far of each live thread, by its name (Linux keeps 15 characters of it) and id:
   * which of the relay's threads a window's CPU went to.
   */
  Map<String, Double> threadCpuSeconds() {
    Map<String, Double> byName = new TreeMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      tasks.forEach(task -> {
        try {
          String name = Files.readString(task.resolve("comm")).strip() + "/" + task.getFileName();
          byName.put(name, cpuSeconds(task.resolve("stat")));
        } catch (IOException | IllegalStateException e) {
          // the thread ended while we read it: its time is no longer anyone's
        }
      });
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc/" + pid + "/task", e);
    }
    return byName;
  }

  private static double cpuSeconds(Path stat) {
    try {
      String text = Files.readString(stat);
      // The command name (field 2) may hold spaces: count fields from the closing parenthesis.
      String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
      long utime = Long.parseLong(fields[11]);
      long stime = Long.parseLong(fields[12]);
      return (utime + stime) / TICKS_PER_SECOND;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + stat, e);
    }
  }

  /** Resident set size in MB (VmRSS). */
  double rssMegabytes() {
    return statusMegabytes("VmRSS:");
  }

  /** The highest resident set size the process has had so far, in MB (VmHWM): its peak. */
  double peakRssMegabytes() {
    return statusMegabytes("VmHWM:");
  }

  private double statusMegabytes(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
      throw new IllegalStateException("no " + field + " in /proc/" + pid + "/status");
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/" + pid + "/status", e);
    }
  }
}
