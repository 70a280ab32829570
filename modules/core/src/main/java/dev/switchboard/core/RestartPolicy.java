package dev.switchboard.core;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;
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

  /** The fields of a {@code restart} section, with their defaults: the one place they are written. */
  public static final List<ConfigField> FIELDS = List.of(
      ConfigField.of("initialDelay", ConfigField.Type.DURATION, "backoff before the second attempt (below 10ms taken as 10ms)")
          .withDefault("1s"),
      ConfigField.of("maxDelay", ConfigField.Type.DURATION, "the longest backoff").withDefault("30s"),
      ConfigField.of("multiplier", ConfigField.Type.NUMBER, "growth of the backoff per failed attempt (1 to 100)").withDefault(2.0),
      ConfigField.of("jitter", ConfigField.Type.NUMBER,
          "each delay moves randomly by up to this share (0 to 1), so that many clients do not retry in step").withDefault(0.2),
      ConfigField.of("maxAttempts", ConfigField.Type.INTEGER, "attempts before FAILED; 0 retries forever").withDefault(0),
      ConfigField.of("resetAfter", ConfigField.Type.DURATION, "a connection that stays up this long resets the attempt count").withDefault("30s"),
      ConfigField.of("connectTimeout", ConfigField.Type.DURATION,
          "connect, upgrade and the protocol's handshake must finish within this").withDefault("10s"),
      ConfigField.of("heartbeatInterval", ConfigField.Type.DURATION, "how often the connection is checked").withDefault("30s"),
      ConfigField.of("heartbeatTimeout", ConfigField.Type.DURATION,
          "no answer within this: the connection is dead, reconnect").withDefault("10s"));

  /**
   * The shortest backoff, whatever the definition says: every delay is a multiple of initialDelay, and at
   * 0 a refused upstream would be asked again every millisecond. A floor, not a refusal: a definition
   * saved before it was set still loads.
   */
  public static final Duration MIN_DELAY = Duration.ofMillis(10);

  public static final RestartPolicy DEFAULT = from(new ConfigSection("restart", new JsonObject(), FIELDS, java.util.Map.of()));

  public RestartPolicy {
    if (maxDelay.compareTo(initialDelay) < 0) {
      throw new ConfigException("maxDelay", "must not be shorter than initialDelay");
    }
  }

  /** Reads a {@code restart} section (declared by {@link #FIELDS}); absent fields keep the defaults. */
  public static RestartPolicy from(ConfigSection s) {
    Duration initial = s.duration("initialDelay");
    Duration max = s.duration("maxDelay");
    if (max.compareTo(initial) < 0) {
      throw new ConfigException(s.field("maxDelay"), "must not be shorter than initialDelay (" + initial.toMillis() + " ms)");
    }
    RestartPolicy policy = new RestartPolicy(
        initial, max,
        s.decimal("multiplier", 1.0, 100.0),
        s.decimal("jitter", 0.0, 1.0),
        s.integer("maxAttempts", 0, Integer.MAX_VALUE),
        s.duration("resetAfter"),
        positive(s, "connectTimeout"),
        positive(s, "heartbeatInterval"),
        positive(s, "heartbeatTimeout"));
    s.finish();
    return policy;
  }

  /** As a {@code restart} section would say it, durations in milliseconds. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("initialDelay", initialDelay.toMillis()).put("maxDelay", maxDelay.toMillis())
        .put("multiplier", multiplier).put("jitter", jitter).put("maxAttempts", maxAttempts)
        .put("resetAfter", resetAfter.toMillis()).put("connectTimeout", connectTimeout.toMillis())
        .put("heartbeatInterval", heartbeatInterval.toMillis()).put("heartbeatTimeout", heartbeatTimeout.toMillis());
  }

  private static Duration positive(ConfigSection s, String key) {
    Duration value = s.duration(key);
    if (value.isZero()) {
      throw new ConfigException(s.field(key), "must be longer than zero");
    }
    return value;
  }

  /** The delay before attempt number {@code attempt + 1}, {@code attempt >= 1} being the failures so far. */
  public Duration delay(int attempt, DoubleSupplier random) {
    double base = Math.max(initialDelay.toMillis(), MIN_DELAY.toMillis()) * Math.pow(multiplier, Math.max(0, attempt - 1));
    base = Math.min(base, maxDelay.toMillis());
    // A random share of the delay, so that many clients that lost the same upstream do not retry in step.
    double spread = base * jitter * (2 * random.getAsDouble() - 1);
    return Duration.ofMillis(Math.max(MIN_DELAY.toMillis(), Math.round(base + spread)));
  }

  public boolean givesUpAfter(int attempt) {
    return maxAttempts > 0 && attempt >= maxAttempts;
  }
}
