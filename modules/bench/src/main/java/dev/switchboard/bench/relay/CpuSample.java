package dev.switchboard.bench.relay;

import java.util.Map;
import java.util.TreeMap;

/**
 * One reading of a process's CPU: each live thread's time on CPU by thread id (nanoseconds from
 * schedstat, or its ticks when the kernel has no schedstat), and the process's utime + stime, whose
 * 10 ms ticks also count the threads that have exited.
 */
record CpuSample(boolean fromSchedstat, long processTickNanos, Map<Long, ThreadCpu> threads) {
  /**
   * How far the thread sum may fall short of the tick figure with no thread gone: the truncation of
   * the two tick readings, and the time of a thread on CPU that schedstat has not counted yet.
   */
  static final long SLACK_NANOS = 3 * ProcessProbe.NANOS_PER_TICK;

  record ThreadCpu(String name, long nanos) {
  }

  /**
   * The CPU used from this reading to {@code end}, thread by thread. A thread that exited in between
   * takes its time of the window with it: then (or when the tick figure is more than the slack
   * above the thread sum, a thread born and gone inside the window) the window is the tick figure.
   */
  CpuWindow until(CpuSample end) {
    Map<String, Double> byThread = new TreeMap<>();
    long threadNanos = 0;
    for (Map.Entry<Long, ThreadCpu> e : end.threads().entrySet()) {
      ThreadCpu before = threads.get(e.getKey());
      long now = e.getValue().nanos();
      // A thread new since this reading counts from zero (and so would a reused id, lower than before).
      long used = before == null || before.nanos() > now ? now : now - before.nanos();
      threadNanos += used;
      if (used > 0) {
        byThread.put(e.getValue().name() + "/" + e.getKey(), used / 1e9);
      }
    }
    long tickNanos = end.processTickNanos() - processTickNanos;
    if (!fromSchedstat) {
      return new CpuWindow(tickNanos / 1e9, byThread, true, false);
    }
    boolean threadGone = !end.threads().keySet().containsAll(threads.keySet()) || tickNanos - threadNanos > SLACK_NANOS;
    return threadGone
        ? new CpuWindow(Math.max(threadNanos, tickNanos) / 1e9, byThread, true, true)
        : new CpuWindow(threadNanos / 1e9, byThread, false, false);
  }

  /**
   * A window's CPU seconds in all, and by thread ("name/tid") for {@code --threads}; {@code inTicks}
   * when the total has 10 ms resolution, {@code threadGone} when a thread exited during the window
   * (its time is in the total, not in {@code byThread}).
   */
  record CpuWindow(double seconds, Map<String, Double> byThread, boolean inTicks, boolean threadGone) {
    /** CPU of threads that are no longer there to be named. */
    double goneSeconds() {
      return Math.max(0, seconds - byThread.values().stream().mapToDouble(Double::doubleValue).sum());
    }
  }
}
