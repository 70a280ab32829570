package dev.switchboard.server;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.util.concurrent.CompletableFuture;

/**
 * A user verticle whose start ends only when the test says so: a node with it in its config joins the
 * cluster and then stays starting (as one whose own verticle waits for a database would). The gate is
 * static because the test's nodes run in its JVM; {@link #hold()} before each use.
 */
public final class HeldStartVerticle extends VerticleBase {
  private static volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);

  /** Starts from now on wait for {@link #release()}. */
  static void hold() {
    gate = new CompletableFuture<>();
  }

  static void release() {
    gate.complete(null);
  }

  @Override
  public Future<?> start() {
    return Future.fromCompletionStage(gate, context);
  }
}
