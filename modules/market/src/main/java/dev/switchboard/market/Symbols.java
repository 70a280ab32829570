package dev.switchboard.market;

import dev.switchboard.core.ConfigException;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What a symbol may look like: letters, digits, '.', '/' and '-' (BRK.B, BTC/USD, BF-B), starting
 * with a letter or a digit, at most {@value #MAX_LENGTH} characters. Anything else is refused before
 * it can reach the upstream or become an event-bus address.
 */
public final class Symbols {
  public static final int MAX_LENGTH = 20;
  private static final Pattern CANONICAL = Pattern.compile("[A-Z0-9][A-Z0-9./-]{0," + (MAX_LENGTH - 1) + "}");

  private Symbols() {
  }

  /** The canonical (upper-case) form of a symbol a client typed; throws with a clear reason when it is not one. */
  public static String normalize(Object raw) {
    if (!(raw instanceof String s)) {
      throw new IllegalArgumentException("a symbol must be a string, not " + (raw == null ? "null" : raw.getClass().getSimpleName()));
    }
    String symbol = s.trim().toUpperCase(Locale.ROOT);
    check(symbol, s);
    return symbol;
  }

  /** Accepts a symbol only in its canonical form, as it must appear in an address. */
  public static String requireCanonical(String symbol) {
    check(symbol, symbol);
    return symbol;
  }

  private static void check(String symbol, String asGiven) {
    if (symbol.isEmpty()) {
      throw new IllegalArgumentException("a symbol must not be empty");
    }
    if (symbol.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("symbol '" + shorten(asGiven) + "' is longer than " + MAX_LENGTH + " characters");
    }
    if (!CANONICAL.matcher(symbol).matches()) {
      throw new IllegalArgumentException("symbol '" + shorten(asGiven) + "' is not valid: use upper-case letters, digits, '.', '/' "
          + "and '-', starting with a letter or a digit (e.g. AAPL, BRK.B, BTC/USD)");
    }
  }

  private static String shorten(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + ConfigException.CUT;
  }
}
