package dev.switchboard.core;

/**
 * Counts events in one-second buckets over a sliding window, so a rate can be read at any time
 * without a timer. Written from one listener's event loop, read from the supervisor's: synchronized.
 */
public final class RateWindow {
  private final long[] counts;
  private final long[] seconds;

  public RateWindow(int windowSeconds) {
    counts = new long[windowSeconds];
    seconds = new long[windowSeconds];
  }

  public synchronized void record(long nowMillis, long n) {
    long second = nowMillis / 1000;
    int slot = (int) (second % counts.length);
    if (seconds[slot] != second) {
      seconds[slot] = second;
      counts[slot] = 0;
    }
    counts[slot] += n;
  }

  /** Events in the last {@code window} seconds, the current partial second included. */
  public synchronized long total(long nowMillis) {
    long now = nowMillis / 1000;
    long sum = 0;
    for (int i = 0; i < counts.length; i++) {
      if (now - seconds[i] < counts.length) {
        sum += counts[i];
      }
    }
    return sum;
  }
}
