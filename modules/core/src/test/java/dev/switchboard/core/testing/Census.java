package dev.switchboard.core.testing;

import io.vertx.core.Vertx;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A count of what a Vert.x process holds: deployments, event-bus consumers, timers, open sockets and
 * live threads (outside Vert.x's worker pools). Vert.x has no public count of consumers or timers, so those are read from its
 * internals by reflection: a test-only look, so a leak cannot hide.
 */
public record Census(int deployments, int consumers, int timers, long sockets, int threads) {

  public static Census of(Vertx vertx) {
    return new Census(vertx.deploymentIDs().size(), consumers(vertx), timers(vertx), openSockets(), threadsOutsideWorkerPools());
  }

  /**
   * Vert.x's worker pools start threads as blocking work overlaps, up to their fixed size (20 each by default),
   * whenever that first happens: growth there is no leak, and a pool cannot grow past its size.
   */
  private static int threadsOutsideWorkerPools() {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    int count = 0;
    for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds(), 0)) { // names, no stacks
      if (info != null && !info.getThreadName().startsWith("vert.x-worker-thread-")
          && !info.getThreadName().startsWith("vert.x-internal-blocking-")) {
        count++;
      }
    }
    return count;
  }

  /**
   * Long enough to see a moment between the comings and goings of a live connection (a heartbeat's deadline
   * lasts until its answer: milliseconds on loopback).
   */
  private static final java.time.Duration REST = java.time.Duration.ofMillis(500);

  private static final java.time.Duration WAIT = java.time.Duration.ofSeconds(10);

  /** Once {@code condition} holds (the connections that were to go are gone), the census at rest: a baseline. */
  public static Census restingAfter(Vertx vertx, String what, java.util.function.BooleanSupplier condition) {
    Await.until(WAIT, what, condition);
    return resting(vertx, REST);
  }

  /**
   * Waits until {@code condition} holds and then for one reading with nothing more than {@code baseline}: a leak
   * must be gone at one moment, not count by count at different ones.
   */
  public static void awaitBackTo(Census baseline, Vertx vertx, String what, java.util.function.BooleanSupplier condition) {
    Await.until(WAIT, what, condition);
    Await.until(WAIT, "the census back to " + baseline, () -> of(vertx), c -> c.nothingMoreThan(baseline));
  }

  /**
   * The census at rest, for a baseline: the least of each count over {@code window}, read every 10 ms. What comes
   * and goes (a heartbeat's deadline, a request's reply consumer) is left out. The counts may come from different
   * moments, so compare against it with single readings ({@link #awaitBackTo}), where a leak cannot hide between them.
   */
  private static Census resting(Vertx vertx, java.time.Duration window) {
    Census least = of(vertx);
    long end = System.nanoTime() + window.toNanos();
    while (System.nanoTime() < end) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      Census now = of(vertx);
      least = new Census(Math.min(least.deployments, now.deployments), Math.min(least.consumers, now.consumers),
          Math.min(least.timers, now.timers), Math.min(least.sockets, now.sockets), Math.min(least.threads, now.threads));
    }
    return least;
  }

  /**
   * Nothing held beyond {@code before}: the same deployments, consumers and timers, and no more sockets
   * or threads. Those two are counted for the whole JVM, where others may end meanwhile (a pool's idle
   * thread, compiler threads, the Vert.x of an earlier test shutting down): fewer is no leak.
   */
  public boolean nothingMoreThan(Census before) {
    return deployments == before.deployments && consumers == before.consumers && timers == before.timers
        && sockets <= before.sockets && threads <= before.threads;
  }

  private static int timers(Vertx vertx) {
    Map<?, ?> timeouts = (Map<?, ?>) field(vertx, "timeouts");
    return timeouts.size();
  }

  private static int consumers(Vertx vertx) {
    Map<?, ?> handlers = (Map<?, ?>) field(vertx.eventBus(), "handlerMap");
    int count = 0;
    for (Object sequence : handlers.values()) {
      count += ((io.vertx.core.impl.utils.ConcurrentCyclicSequence<?>) sequence).size();
    }
    return count;
  }

  /** Sockets this process has open, from {@code /proc/self/fd}. */
  private static long openSockets() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).toString().startsWith("socket:");
        } catch (IOException e) {
          return false; // closed while we looked
        }
      }).count();
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc/self/fd", e);
    }
  }

  private static Object field(Object target, String name) {
    Class<?> type = target.getClass();
    while (type != null) {
      try {
        Field f = type.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(target);
      } catch (NoSuchFieldException e) {
        type = type.getSuperclass();
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("no field " + name + " in " + target.getClass());
  }

}
