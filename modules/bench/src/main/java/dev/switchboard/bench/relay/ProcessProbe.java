package dev.switchboard.bench.relay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/** CPU time and resident memory of another process, from Linux's /proc. */
final class ProcessProbe {
  /** A clock tick of utime/stime in /proc/<pid>/stat: USER_HZ is 100 on every Linux this runs on. */
  static final long NANOS_PER_TICK = 10_000_000;
  /**
   * Whether this kernel gives each thread's time on CPU in nanoseconds (the first field of
   * /proc/<pid>/task/<tid>/schedstat): ticks are too coarse for a 3 s window at 1,000 deliveries a second.
   */
  static final boolean SCHEDSTAT = schedstatWorks();

  private final long pid;

  ProcessProbe(long pid) {
    this.pid = pid;
  }

  /** Where CPU figures come from, and their resolution: for the benchmark's header. */
  static String cpuClock() {
    return SCHEDSTAT
        ? "time on CPU from /proc/<pid>/task/*/schedstat, summed over the relay's threads (1 ns; a round in which"
          + " a relay thread exited is read in 10 ms ticks of /proc/<pid>/stat, which count exited threads)"
        : "utime + stime from /proc/<pid>/stat in 10 ms clock ticks (this kernel has no schedstat)";
  }

  /** The process's CPU so far: each live thread's, and the process's tick figure. */
  CpuSample cpu() {
    Path proc = Path.of("/proc", Long.toString(pid));
    long processTicks = ticks(proc.resolve("stat"));
    Map<Long, CpuSample.ThreadCpu> threads = new HashMap<>();
    try (Stream<Path> tasks = Files.list(proc.resolve("task"))) {
      tasks.forEach(task -> {
        try {
          String name = Files.readString(task.resolve("comm")).strip(); // Linux keeps 15 characters of it
          long nanos = SCHEDSTAT ? schedstatNanos(task.resolve("schedstat")) : ticks(task.resolve("stat")) * NANOS_PER_TICK;
          threads.put(Long.parseLong(task.getFileName().toString()), new CpuSample.ThreadCpu(name, nanos));
        } catch (IOException | RuntimeException e) {
          // the thread ended while we read it: CpuSample.until sees it gone
        }
      });
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + proc.resolve("task"), e);
    }
    return new CpuSample(SCHEDSTAT, processTicks * NANOS_PER_TICK, threads);
  }

  /** utime + stime of a /proc stat file, in ticks (a process's counts its exited threads too). */
  private static long ticks(Path stat) {
    try {
      String text = Files.readString(stat);
      // The command name (field 2) may hold spaces: count fields from the closing parenthesis.
      String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + stat, e);
    }
  }

  private static long schedstatNanos(Path schedstat) throws IOException {
    String text = Files.readString(schedstat).strip();
    int space = text.indexOf(' ');
    return Long.parseLong(space < 0 ? text : text.substring(0, space));
  }

  /** Readable, and counting: a kernel without sched_info prints "0 0 0" for every thread. */
  private static boolean schedstatWorks() {
    long sum = 0;
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        try {
          sum += schedstatNanos(task.resolve("schedstat"));
        } catch (IOException | NumberFormatException e) {
          // a thread that ended meanwhile, or no schedstat: the sum decides
        }
      }
    } catch (IOException e) {
      return false;
    }
    return sum > 0;
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
