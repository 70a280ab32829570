package dev.switchboard.bench.relay;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A window's CPU from two readings: per thread in nanoseconds, the tick figure where a thread took its time away. */
class CpuSampleTest {
  private static final long MS = 1_000_000;

  private static CpuSample.ThreadCpu thread(String name, long millis) {
    return new CpuSample.ThreadCpu(name, millis * MS);
  }

  @Test
  void aWindowIsTheThreadsTimeInNanosecondsNotTicks() {
    CpuSample before = new CpuSample(true, 1_000 * MS, Map.of(1L, thread("main", 900), 2L, thread("loop", 100)));
    CpuSample after = new CpuSample(true, 1_010 * MS, Map.of(1L, thread("main", 900), 2L, thread("loop", 103),
        3L, thread("C2", 4))); // a thread born in the window counts from zero
    CpuSample.CpuWindow window = before.until(after);
    assertEquals(0.007, window.seconds(), 1e-9); // 7 ms: ticks would say 10
    assertEquals(Map.of("loop/2", 0.003, "C2/3", 0.004), window.byThread());
    assertFalse(window.inTicks());
    assertFalse(window.threadGone());
  }

  @Test
  void aThreadThatExitedMakesTheWindowTheTickFigure() {
    CpuSample before = new CpuSample(true, 2_000 * MS, Map.of(1L, thread("main", 1_500), 2L, thread("C2", 480)));
    // C2 used 30 ms of the window and exited: the live threads' sum misses it, the process's ticks do not.
    CpuSample after = new CpuSample(true, 2_040 * MS, Map.of(1L, thread("main", 1_508)));
    CpuSample.CpuWindow window = before.until(after);
    assertEquals(0.040, window.seconds(), 1e-9);
    assertTrue(window.inTicks());
    assertTrue(window.threadGone());
    assertEquals(0.032, window.goneSeconds(), 1e-9);
  }

  @Test
  void aThreadBornAndGoneInsideTheWindowIsCaughtByTheTicksBeyondTheSlack() {
    CpuSample before = new CpuSample(true, 100 * MS, Map.of(1L, thread("main", 100)));
    CpuSample within = new CpuSample(true, 130 * MS, Map.of(1L, thread("main", 105)));
    assertFalse(before.until(within).threadGone(), "25 ms apart is within the slack: truncation, not a thread");
    CpuSample beyond = new CpuSample(true, 160 * MS, Map.of(1L, thread("main", 105)));
    assertTrue(before.until(beyond).threadGone());
    assertEquals(0.060, before.until(beyond).seconds(), 1e-9);
  }

  @Test
  void withoutSchedstatTheWindowIsInTicks() {
    CpuSample before = new CpuSample(false, 100 * MS, Map.of(1L, thread("main", 100)));
    CpuSample after = new CpuSample(false, 120 * MS, Map.of(1L, thread("main", 120)));
    CpuSample.CpuWindow window = before.until(after);
    assertEquals(0.020, window.seconds(), 1e-9);
    assertTrue(window.inTicks());
    assertFalse(window.threadGone());
  }

  @Test
  void readsThisProcessFromProc() {
    assumeTrue(java.nio.file.Files.isDirectory(java.nio.file.Path.of("/proc/self/task")), "Linux only");
    ProcessProbe probe = new ProcessProbe(ProcessHandle.current().pid());
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    CpuSample before = probe.cpu();
    // 50 ms on the CPU by this thread's own clock, however long a loaded machine makes that take.
    long spinUntil = threads.getCurrentThreadCpuTime() + 50 * MS;
    long x = 0;
    while (threads.getCurrentThreadCpuTime() < spinUntil) {
      x++;
    }
    CpuSample.CpuWindow window = before.until(probe.cpu());
    assertTrue(x > 0 && window.seconds() >= 0.04, "50 ms of spinning is on the CPU: " + window.seconds());
    assertEquals(ProcessProbe.SCHEDSTAT, !window.inTicks() || window.threadGone());
  }
}
