package dev.switchboard.server.http;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The delays a wrong token earns, per address, and the memory they take whatever the addresses. */
class FailedTokenThrottleTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final FailedTokenThrottle throttle = new FailedTokenThrottle(100, Duration.ofMillis(100), Duration.ofSeconds(2),
      Duration.ofMinutes(1), now::get);

  @Test
  @DisplayName("the first wrong token is answered at once; each one after it doubles the delay, up to the cap")
  void growsToTheCap() {
    List<Long> delays = IntStream.range(0, 9).mapToObj(i -> throttle.failed("10.0.0.1")).toList();
    assertEquals(List.of(0L, 100L, 200L, 400L, 800L, 1600L, 2000L, 2000L, 2000L), delays);
    for (int i = 0; i < 10_000; i++) {
      throttle.failed("10.0.0.1");
    }
    assertEquals(2000L, throttle.failed("10.0.0.1"), "no overflow after many failures");
  }

  @Test
  @DisplayName("addresses are counted apart, and an address quiet for longer than forgetAfter starts again")
  void perAddressAndForgotten() {
    throttle.failed("10.0.0.1");
    throttle.failed("10.0.0.1");
    assertEquals(0L, throttle.failed("10.0.0.2"), "another address is not slowed by the first one's failures");
    assertEquals(200L, throttle.failed("10.0.0.1"));
    now.addAndGet(Duration.ofSeconds(61).toNanos());
    assertEquals(0L, throttle.failed("10.0.0.1"));
  }

  @Test
  @DisplayName("many distinct addresses never grow the map past its capacity; the ones failing now are kept")
  void boundedByCapacity() {
    throttle.failed("10.0.0.1");
    throttle.failed("10.0.0.1");
    for (int i = 0; i < 100_000; i++) {
      throttle.failed("192.168." + (i >> 8 & 255) + "." + (i & 255) + "/" + i);
      if (i % 50 == 0) {
        throttle.failed("10.0.0.1"); // failing again within the last 100 addresses: kept
      }
      assertTrue(throttle.size() <= 100);
    }
    assertEquals(100, throttle.size());
    assertEquals(2000L, throttle.failed("10.0.0.1"), "the persistent guesser is still remembered");
  }
}
