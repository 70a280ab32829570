package dev.switchboard.bench;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.RestartPolicy;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/** What the in-process benchmarks (ingest, soak) each do: the same policy, control, waits and heap reading. */
final class BenchSteps {
  /** Quick retries, and heartbeats far apart so that they never weigh on what is measured. */
  static final RestartPolicy POLICY = new RestartPolicy(Duration.ofMillis(100), Duration.ofSeconds(1), 2.0, 0.2, 0,
      Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(30));

  private BenchSteps() {
  }

  /** A control action on {@code listener}, over the event bus as any client would; returns its status. */
  static JsonObject control(Vertx vertx, String listener, String action) {
    return vertx.eventBus().<JsonObject>request(Addresses.CONTROL, new JsonObject().put("action", action).put("name", listener))
        .await().body().getJsonObject("listener");
  }

  /** The id of the thread of a Vert.x with one event loop (the simulator's), for its CPU time. */
  static long threadOf(Vertx vertx) throws Exception {
    CompletableFuture<Long> id = new CompletableFuture<>();
    vertx.getOrCreateContext().runOnContext(v -> id.complete(Thread.currentThread().getId()));
    return id.get();
  }

  /** The used heap after three full collections: what is still held. */
  static long heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  static void waitFor(Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout);
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }
}
