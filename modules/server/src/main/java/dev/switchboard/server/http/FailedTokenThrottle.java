package dev.switchboard.server.http;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Slows down guessing of the control token: the answer to a wrong token is held back, longer for
 * each recent wrong token from the same remote address (none for the first: that is a typo), up to a
 * cap. Over HTTP a connection answers one request at a time, so it guesses at most once per delay; a
 * bridge socket may hold up to its handler bound of refusals waiting (500 by default), so it guesses at
 * most that many times per delay. Many connections from one address guess in parallel: the token's
 * length is the real defence (the start warns below {@link ControlToken#RECOMMENDED_LENGTH} characters).
 * The right token is never held back, from any address: a guesser cannot lock its owner out.
 *
 * <p>Memory is bounded: at most {@code capacity} addresses are remembered, the least recently
 * failing one being forgotten first, so many addresses cannot grow the map; an address whose last
 * wrong token is older than {@code forgetAfter} starts again from nothing. Thread-safe.
 */
public final class FailedTokenThrottle {
  static final int DEFAULT_CAPACITY = 4096;
  static final Duration FIRST_DELAY = Duration.ofMillis(100);
  static final Duration MAX_DELAY = Duration.ofSeconds(2);
  static final Duration FORGET_AFTER = Duration.ofMinutes(1);

  private final long firstDelayMs;
  private final long maxDelayMs;
  private final long forgetAfterNanos;
  private final LongSupplier nanoClock;
  private final LinkedHashMap<String, Failures> addresses;

  private static final class Failures {
    int count;
    long lastNanos;
  }

  public FailedTokenThrottle() {
    this(DEFAULT_CAPACITY, FIRST_DELAY, MAX_DELAY, FORGET_AFTER, System::nanoTime);
  }

  /**
   * @param firstDelay the delay of the second wrong token in a row; each one after it doubles it
   * @param nanoClock  {@link System#nanoTime()}, or a test's clock
   */
  FailedTokenThrottle(int capacity, Duration firstDelay, Duration maxDelay, Duration forgetAfter, LongSupplier nanoClock) {
    this.firstDelayMs = firstDelay.toMillis();
    this.maxDelayMs = maxDelay.toMillis();
    this.forgetAfterNanos = forgetAfter.toNanos();
    this.nanoClock = nanoClock;
    this.addresses = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) {
        return size() > capacity;
      }
    };
  }

  /**
   * Counts a wrong token from {@code address} (the remote host, without the port) and answers how
   * long to hold its refusal back, in milliseconds: 0 for the first, then the first delay, doubling
   * with each wrong token after it, up to the cap.
   */
  public synchronized long failed(String address) {
    long now = nanoClock.getAsLong();
    Failures failures = addresses.computeIfAbsent(address == null ? "?" : address, a -> new Failures());
    if (failures.count > 0 && now - failures.lastNanos > forgetAfterNanos) {
      failures.count = 0;
    }
    failures.count++;
    failures.lastNanos = now;
    if (failures.count == 1) {
      return 0;
    }
    int doublings = Math.min(failures.count - 2, 30); // 2^30 times any first delay is far past any cap
    return Math.min(maxDelayMs, firstDelayMs << doublings);
  }

  /** Addresses remembered now: never more than the capacity. */
  public synchronized int size() {
    return addresses.size();
  }
}
