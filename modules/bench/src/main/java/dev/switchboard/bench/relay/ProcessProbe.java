package dev.switchboard.bench.relay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // The command name (field 2) may hold spaces: count fields from the closing parenthesis.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long utime = Long.parseLong(fields[11]);
      long stime = Long.parseLong(fields[12]);
      return (utime + stime) / TICKS_PER_SECOND;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/" + pid + "/stat", e);
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
