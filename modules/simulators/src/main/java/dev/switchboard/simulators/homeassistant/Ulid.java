package dev.switchboard.simulators.homeassistant;

import java.util.Random;

/** ULIDs as Home Assistant uses them for context ids: 48-bit milliseconds, then 80 random bits, Crockford base32. */
final class Ulid {
  private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();

  private Ulid() {
  }

  static String next(long epochMillis, Random random) {
    char[] out = new char[26];
    long time = epochMillis;
    for (int i = 9; i >= 0; i--) {
      out[i] = ALPHABET[(int) (time & 31)];
      time >>>= 5;
    }
    long high = random.nextLong();
    long low = random.nextLong();
    for (int i = 0; i < 16; i++) {
      long bits = i < 12 ? high >>> (i * 5) : low >>> ((i - 12) * 5);
      out[10 + i] = ALPHABET[(int) (bits & 31)];
    }
    return new String(out);
  }
}
