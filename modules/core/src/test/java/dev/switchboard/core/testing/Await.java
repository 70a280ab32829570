package dev.switchboard.core.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for conditions, never for a fixed time. */
public final class Await {
  private Await() {
  }

  /** Polls {@code condition} every few milliseconds until it holds, or fails after {@code timeout}. */
  public static void until(Duration timeout, String what, BooleanSupplier condition) {
    until(timeout, what, condition, () -> null);
  }

  /**
   * Like {@link #until}, with {@code detail} (asked once, on failure) in the failure message: what the
   * system looked like when the wait gave up.
   */
  public static void until(Duration timeout, String what, BooleanSupplier condition, Supplier<String> detail) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        String seen = detail.get();
        throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what + (seen == null ? "" : "; " + seen));
      }
      pause();
    }
  }

  /** Like {@link #until}, with the last observed value in the failure message. */
  public static <T> T until(Duration timeout, String what, Supplier<T> value, java.util.function.Predicate<T> test) {
    return until(timeout, what, value, test, () -> null);
  }

  /** Like {@link #until(Duration, String, Supplier, java.util.function.Predicate)}, with {@code detail} (asked on failure) too. */
  public static <T> T until(Duration timeout, String what, Supplier<T> value, java.util.function.Predicate<T> test, Supplier<String> detail) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = value.get();
    while (!test.test(last)) {
      if (System.nanoTime() > deadline) {
        String seen = detail.get();
        throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what + "; last seen: " + last
            + (seen == null ? "" : "; " + seen));
      }
      pause();
      last = value.get();
    }
    return last;
  }

  private static void pause() {
    try {
      Thread.sleep(5);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
