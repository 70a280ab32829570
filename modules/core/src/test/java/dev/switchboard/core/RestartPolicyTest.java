package dev.switchboard.core;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The backoff's arithmetic: its floor, its growth, its cap and its jitter. */
class RestartPolicyTest {
  private static RestartPolicy read(JsonObject restart) {
    return RestartPolicy.from(new ConfigSection("restart", restart, RestartPolicy.FIELDS, Map.of()));
  }

  @Test
  @DisplayName("an initialDelay of 0 (a definition saved before the floor) loads, and no backoff is shorter than 10 ms")
  void noBackoffBelowTheFloor() {
    RestartPolicy zero = read(new JsonObject().put("initialDelay", "0s").put("maxDelay", "0s").put("jitter", 0.5));
    for (int attempt = 1; attempt <= 2_000; attempt++) {
      Duration delay = zero.delay(attempt, () -> 0.0); // the jitter's lowest draw
      assertTrue(delay.compareTo(RestartPolicy.MIN_DELAY) >= 0, "attempt " + attempt + ": " + delay);
    }
    assertEquals(RestartPolicy.MIN_DELAY, read(new JsonObject().put("initialDelay", "1ms")).delay(1, () -> 0.5));
  }

  @Test
  @DisplayName("above the floor: initialDelay times multiplier per failure, capped at maxDelay, within the jitter either way")
  void growthCapAndJitter() {
    RestartPolicy policy = read(new JsonObject().put("initialDelay", "100ms").put("maxDelay", "1s").put("multiplier", 2.0)
        .put("jitter", 0.2));
    assertEquals(Duration.ofMillis(100), policy.delay(1, () -> 0.5));
    assertEquals(Duration.ofMillis(400), policy.delay(3, () -> 0.5));
    assertEquals(Duration.ofMillis(1_000), policy.delay(40, () -> 0.5));
    assertEquals(Duration.ofMillis(80), policy.delay(1, () -> 0.0));
    assertEquals(Duration.ofMillis(1_200), policy.delay(40, () -> 1.0));
  }
}
