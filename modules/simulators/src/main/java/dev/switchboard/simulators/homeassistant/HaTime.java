package dev.switchboard.simulators.homeassistant;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Times as Home Assistant writes them: ISO-8601 with microseconds and {@code +00:00}, or float epoch seconds. */
final class HaTime {
  private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx")
      .withZone(ZoneOffset.UTC);

  private HaTime() {
  }

  static String iso(Instant at) {
    return ISO.format(at);
  }

  /** {@code lc}/{@code lu} of a compressed state: seconds since the epoch, with microseconds. */
  static double epochSeconds(Instant at) {
    return at.getEpochSecond() + (at.getNano() / 1_000) / 1_000_000.0;
  }
}
