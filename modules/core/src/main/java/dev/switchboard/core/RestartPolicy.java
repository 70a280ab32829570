package dev.switchboard.core;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * How a listener reconnects and how it decides that a connection is dead. Only the supervisor reads
 * the backoff part: a listener instance never retries by itself.
 *
 * @param maxAttempts 0 means retry forever
 * @param resetAfter  a connection that stays up this long resets the attempt count
 */
public record RestartPolicy(
    Duration initialDelay,
    Duration maxDelay,
    double multiplier,
    double jitter,
    int maxAttempts,
    Duration resetAfter,
    Duration connectTimeout,
    Duration heartbeatInterval,
    Duration heartbeatTimeout) {

  public static final RestartPolicy DEFAULT = new RestartPolicy(
      Duration.ofSeconds(1), Duration.ofSeconds(30), 2.0, 0.2, 0,
      Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(10));

  public RestartPolicy {
    if (maxDelay.compareTo(initialDelay) < 0) {
      throw new ConfigException("maxDelay", "must not be shorter than initialDelay");
    }
  }

  /** Reads a {@code restart} section; absent fields keep the defaults. */
  public static RestartPolicy from(ConfigSection s) {
    RestartPolicy d = DEFAULT;
    Duration initial = s.duration("initialDelay", d.initialDelay);
    Duration max = s.duration("maxDelay", d.maxDelay);
    if (max.compareTo(initial) < 0) {
      throw new ConfigException(s.field("maxDelay"), "must not be shorter than initialDelay (" + initial.toMillis() + " ms)");
    }
    RestartPolicy policy = new RestartPolicy(
        initial, max,
        s.decimal("multiplier", d.multiplier, 1.0, 100.0),
        s.decimal("jitter", d.jitter, 0.0, 1.0),
        s.integer("maxAttempts", d.maxAttempts, 0, Integer.MAX_VALUE),
        s.duration("resetAfter", d.resetAfter),
        positive(s, "connectTimeout", d.connectTimeout),
        positive(s, "heartbeatInterval", d.heartbeatInterval),
        positive(s, "heartbeatTimeout", d.heartbeatTimeout));
    s.finish();
    return policy;
  }

  private static Duration positive(ConfigSection s, String key, Duration fallback) {
    Duration value = s.duration(key, fallback);
    if (value.isZero()) {
      throw new ConfigException(s.field(key), "must be longer than zero");
    }
    return value;
  }

  /** The delay before attempt number {@code attempt + 1}, {@code attempt >= 1} being the failures so far. */
  public Duration delay(int attempt, DoubleSupplier random) {
    double base = initialDelay.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
    base = Math.min(base, maxDelay.toMillis());
    // A random share of the delay, so that many clients that lost the same upstream do not retry in step.
    double spread = base * jitter * (2 * random.getAsDouble() - 1);
    return Duration.ofMillis(Math.max(0, Math.round(base + spread)));
  }

  public boolean givesUpAfter(int attempt) {
    return maxAttempts > 0 && attempt >= maxAttempts;
  }
}
