package dev.switchboard.core;

import java.time.Duration;

/**
 * Why a listener instance ended, and what the supervisor should do about it. A listener fails its
 * connect future (or calls {@code exit}) with one of these; any other exception means "retry".
 */
public class ListenerFailure extends RuntimeException {
  private final boolean retry;
  private final String code;
  private final Duration minDelay;

  private ListenerFailure(String message, boolean retry, String code, Duration minDelay) {
    super(message, null, false, false);
    this.retry = retry;
    this.code = code;
    this.minDelay = minDelay;
  }

  /** Worth trying again after the normal backoff. */
  public static ListenerFailure retry(String message) {
    return new ListenerFailure(message, true, null, Duration.ZERO);
  }

  /** Worth trying again, with the upstream's code. */
  public static ListenerFailure retry(String code, String message) {
    return new ListenerFailure(message, true, code, Duration.ZERO);
  }

  /** Worth trying again, but not before {@code minDelay} (e.g. a connection limit that takes time to clear). */
  public static ListenerFailure retryAfter(String code, String message, Duration minDelay) {
    return new ListenerFailure(message, true, code, minDelay);
  }

  /** Retrying cannot help (bad credentials): the listener goes to FAILED until someone starts it again. */
  public static ListenerFailure fatal(String code, String message) {
    return new ListenerFailure(message, false, code, Duration.ZERO);
  }

  public static ListenerFailure of(Throwable cause) {
    if (cause instanceof ListenerFailure f) {
      return f;
    }
    String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return retry(message);
  }

  /** The innermost cause of {@code err}: where a wrapped failure's own words are. */
  public static Throwable rootCause(Throwable err) {
    Throwable t = err;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The same failure, its message with every known secret masked: what may be shown and logged. */
  public ListenerFailure redacted() {
    String message = Secrets.global().redact(getMessage());
    return message == null || message.equals(getMessage()) ? this : new ListenerFailure(message, retry, code, minDelay);
  }

  public boolean shouldRetry() {
    return retry;
  }

  public String code() {
    return code;
  }

  public Duration minDelay() {
    return minDelay;
  }
}
