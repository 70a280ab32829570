package dev.switchboard.core;

/**
 * A configuration error, always tied to the field that is wrong, so the process can refuse to start
 * with one line such as {@code listeners[0].url: must be a ws:// or wss:// URL}.
 */
public class ConfigException extends RuntimeException {
  /** How a value too long for a message is cut: its first characters, then this. */
  public static final String CUT = "...";
  /** Values shorter than this are not looked for where a value is cut short. */
  private static final int SHORTEST_MASKED = 3;
  private final String field;
  private final String problem;

  public ConfigException(String field, String problem) {
    super(field.isEmpty() ? problem : field + ": " + problem);
    this.field = field;
    this.problem = problem;
  }

  public String field() {
    return field;
  }

  /**
   * The same error with every one of {@code secrets} masked: a value from the environment must not
   * show in an error about it ("must be a number, not s3cret").
   */
  public ConfigException masking(java.util.Collection<String> secrets) {
    String masked = problem;
    for (String secret : secrets) {
      if (secret != null && !secret.isEmpty()) {
        masked = maskCut(masked.replace(secret, Secrets.MASK), secret);
      }
    }
    return masked.equals(problem) ? this : new ConfigException(field, masked);
  }

  /**
   * A value shown cut short ("not 'AAAAs3c...'") may end in the first characters of a secret, which
   * a whole-secret replace does not see: the longest such start before each "..." is masked too. Not
   * for values shorter than {@link #SHORTEST_MASKED} (a port's "8", a "true"'s "t" would garble harmless
   * text), as {@link Secrets} does not mask them either.
   */
  private static String maskCut(String text, String secret) {
    if (secret.length() < SHORTEST_MASKED) {
      return text;
    }
    StringBuilder out = new StringBuilder(text);
    for (int cut = out.indexOf(CUT); cut >= 0; cut = out.indexOf(CUT, cut + CUT.length())) {
      for (int k = Math.min(secret.length() - 1, cut); k > 0; k--) {
        if (out.substring(cut - k, cut).equals(secret.substring(0, k))) {
          out.replace(cut - k, cut, Secrets.MASK);
          cut = cut - k + Secrets.MASK.length();
          break;
        }
      }
    }
    return out.toString();
  }

  /** What is wrong, without the field's name. */
  public String problem() {
    return problem;
  }
}
