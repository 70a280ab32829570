package dev.switchboard.core;

/**
 * A configuration error, always tied to the field that is wrong, so the process can refuse to start
 * with one line such as {@code listeners[0].url: must be a ws:// or wss:// URL}.
 */
public class ConfigException extends RuntimeException {
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
      if (secret != null && !secret.isEmpty() && masked.contains(secret)) {
        masked = masked.replace(secret, Secrets.MASK);
      }
    }
    return masked.equals(problem) ? this : new ConfigException(field, masked);
  }

  /** What is wrong, without the field's name. */
  public String problem() {
    return problem;
  }
}
