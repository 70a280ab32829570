package dev.switchboard.homeassistant;

/**
 * Events per minute, from one-second buckets over the last minute. Only complete seconds count, and
 * before a minute of history the rate is scaled from the seconds there are, so it is right after a few
 * seconds rather than after a minute. It starts again with each subscribed connection: the seconds a
 * connection was down would otherwise read as a quiet home. Written by the connection's event loop, read by others.
 */
final class EventRate {
  private static final int WINDOW = 60;

  private final long[] counts = new long[WINDOW + 1];
  private final long[] seconds = new long[WINDOW + 1];
  private long firstSecond = -1;

  synchronized void record(long nowMillis) {
    long second = nowMillis / 1000;
    if (firstSecond < 0) {
      firstSecond = second;
    }
    int slot = (int) (second % counts.length);
    if (seconds[slot] != second) {
      seconds[slot] = second;
      counts[slot] = 0;
    }
    counts[slot]++;
  }

  /** From the next event on, as after a first start. */
  synchronized void restart() {
    firstSecond = -1;
  }

  synchronized long perMinute(long nowMillis) {
    if (firstSecond < 0) {
      return 0;
    }
    long now = nowMillis / 1000;
    // The first second was partial (it began with the first event), and so is the current one.
    long from = Math.max(firstSecond + 1, now - WINDOW);
    long span = now - from;
    if (span <= 0) {
      return 0;
    }
    long sum = 0;
    for (int i = 0; i < counts.length; i++) {
      if (seconds[i] >= from && seconds[i] < now) {
        sum += counts[i];
      }
    }
    return Math.round(sum * 60.0 / span);
  }
}
