package dev.switchboard.core;

import org.slf4j.Logger;

/**
 * Logs the first of a burst of similar problems, then at most one summary line per quiet period, so a
 * flood of bad frames cannot flood the log. Used from one event loop at a time.
 */
public final class BurstLog {
  private final Logger log;
  private final long quietMillis;
  private long windowStart = -1;
  private long suppressed;

  public BurstLog(Logger log, long quietMillis) {
    this.log = log;
    this.quietMillis = quietMillis;
  }

  public void warn(String message) {
    long now = System.currentTimeMillis();
    if (windowStart >= 0 && now - windowStart < quietMillis) {
      suppressed++;
      return;
    }
    if (suppressed > 0) {
      log.warn("{} (and {} more like it in the last {} ms)", message, suppressed, now - windowStart);
    } else {
      log.warn(message);
    }
    suppressed = 0;
    windowStart = now;
  }
}
