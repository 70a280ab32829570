package dev.switchboard.core;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * An instant as Go's RFC3339Nano writes it, which is how the Alpaca stream writes {@code t} in JSON:
 * UTC with "Z", the fraction of the second without trailing zeros ("...:44.208Z", "...:56:00Z").
 * A msgpack Timestamp read back through this gives the string the JSON stream would have sent.
 * <p>
 * An instance remembers the last second it wrote, since the times of one frame nearly always share
 * it; it is for one thread. {@link #format(Instant)} is the same without the memory, for any thread.
 */
public final class Rfc3339 {
  private long lastSecond = Long.MIN_VALUE;
  private String lastPrefix;

  /** The time as RFC 3339; the date and time of day are made again only when the second changed. */
  public String write(Instant instant) {
    if (instant.getEpochSecond() != lastSecond) {
      lastPrefix = prefix(instant);
      lastSecond = instant.getEpochSecond();
    }
    return withFraction(lastPrefix, instant);
  }

  public static String format(Instant instant) {
    return withFraction(prefix(instant), instant);
  }

  private static String withFraction(String prefix, Instant instant) {
    if (prefix == null) {
      return instant.toString(); // RFC 3339 has four-digit years only
    }
    int nanos = instant.getNano();
    if (nanos == 0) {
      return prefix + 'Z';
    }
    int width = 9;
    while (nanos % 10 == 0) {
      nanos /= 10;
      width--;
    }
    StringBuilder out = new StringBuilder(prefix.length() + width + 2).append(prefix).append('.');
    return digits(out, nanos, width).append('Z').toString();
  }

  /** "2026-01-02T15:04:05", or null for a year RFC 3339 cannot write. */
  private static String prefix(Instant instant) {
    LocalDateTime t = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
    if (t.getYear() < 0 || t.getYear() > 9999) {
      return null;
    }
    StringBuilder out = new StringBuilder(19);
    digits(out, t.getYear(), 4).append('-');
    digits(out, t.getMonthValue(), 2).append('-');
    digits(out, t.getDayOfMonth(), 2).append('T');
    digits(out, t.getHour(), 2).append(':');
    digits(out, t.getMinute(), 2).append(':');
    return digits(out, t.getSecond(), 2).toString();
  }

  private static StringBuilder digits(StringBuilder out, int value, int width) {
    int scale = 1;
    for (int i = 1; i < width; i++) {
      scale *= 10;
    }
    for (; scale > 0; scale /= 10) {
      out.append((char) ('0' + value / scale % 10));
    }
    return out;
  }
}
