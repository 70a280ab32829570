package dev.switchboard.server.http;

import org.slf4j.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The audit lines of refused requests (wrong tokens, foreign Host headers, publishes from a browser),
 * aggregated per remote address so that an attack cannot fill the disk: the first refusal from an
 * address is written whole, the ones after it are counted, and {@link #summarize()} (run every
 * {@link #INTERVAL} by the HTTP server) writes one line per address that was refused again:
 * {@code refused 1234 more request(s) from 1.2.3.4 in the last 10 s; the latest: ...}. An address
 * quiet for a whole interval is forgotten, so its next refusal is written whole again.
 *
 * <p>Memory and lines are bounded whatever the number of addresses: at most {@code capacity}
 * addresses are remembered (the least recently refused is dropped, its count folded into one
 * "other addresses" total), and each interval writes at most {@code maxLines} first refusals and
 * {@code maxLines} summaries, the rest folded into that total. Thread-safe.
 */
public final class RefusalLog {
  public static final Duration INTERVAL = Duration.ofSeconds(10);
  static final int DEFAULT_CAPACITY = 4096;
  static final int DEFAULT_MAX_LINES = 20;

  private final Logger audit;
  private final int maxLines;
  private final long intervalSeconds;
  private final LinkedHashMap<String, Counted> addresses;
  /** This interval's first refusals written whole, against maxLines. */
  private int linesThisInterval;
  /** Refusals not written or summarized per address: beyond the line budget, or of addresses dropped. */
  private long otherRefusals;
  private long otherAddresses;

  private static final class Counted {
    long more;
    String latest;
  }

  public RefusalLog(Logger audit) {
    this(audit, DEFAULT_CAPACITY, DEFAULT_MAX_LINES, INTERVAL);
  }

  RefusalLog(Logger audit, int capacity, int maxLines, Duration interval) {
    this.audit = audit;
    this.maxLines = maxLines;
    this.intervalSeconds = Math.max(1, interval.toSeconds());
    this.addresses = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Counted> eldest) {
        if (size() <= capacity) {
          return false;
        }
        if (eldest.getValue().more > 0) {
          otherRefusals += eldest.getValue().more;
          otherAddresses++;
        }
        return true;
      }
    };
  }

  /** A refusal from {@code address} (the remote host, without the port), described by {@code line}. */
  public synchronized void refused(String address, String line) {
    String key = address == null ? "?" : address;
    Counted counted = addresses.get(key);
    if (counted == null) {
      counted = new Counted();
      addresses.put(key, counted);
      if (linesThisInterval < maxLines) {
        linesThisInterval++;
        audit.warn(line);
        return;
      }
    }
    counted.more++;
    counted.latest = line;
  }

  /**
   * Writes one line per address refused again since the last summary (the most refused first, at
   * most maxLines), and one for the rest; forgets the addresses that were quiet.
   */
  public synchronized void summarize() {
    List<Map.Entry<String, Counted>> again = new ArrayList<>();
    addresses.entrySet().removeIf(e -> {
      if (e.getValue().more == 0) {
        return true;
      }
      again.add(Map.entry(e.getKey(), e.getValue()));
      return false;
    });
    again.sort(Comparator.comparingLong((Map.Entry<String, Counted> e) -> e.getValue().more).reversed());
    for (int i = 0; i < again.size(); i++) {
      String address = again.get(i).getKey();
      Counted counted = again.get(i).getValue();
      if (i < maxLines) {
        audit.warn("refused {} more request(s) from {} in the last {} s; the latest: {}", counted.more, address, intervalSeconds,
            counted.latest);
      } else {
        otherRefusals += counted.more;
        otherAddresses++;
      }
      counted.more = 0;
    }
    if (otherRefusals > 0) {
      audit.warn("refused {} more request(s) from {} other address(es) in the last {} s", otherRefusals, otherAddresses, intervalSeconds);
    }
    otherRefusals = 0;
    otherAddresses = 0;
    linesThisInterval = 0;
  }

  /** Addresses remembered now: never more than the capacity. */
  public synchronized int size() {
    return addresses.size();
  }
}
