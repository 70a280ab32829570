package dev.switchboard.cluster;

import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Vertx;

/**
 * Whether every partition of the cluster's maps has its backup in place and no migration is running:
 * what an operator waits for before stopping the next node. Hazelcast finds out by asking every member,
 * which blocks (for long, with a frozen member), so a worker asks once per interval, one question at a
 * time, and the answer is kept for whoever reads it.
 */
final class PartitionSafety {
  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final long timer;
  private volatile boolean safe;
  private boolean asking;

  PartitionSafety(Vertx vertx, HazelcastInstance hazelcast, long intervalMs) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.timer = vertx.setPeriodic(1, intervalMs, id -> ask());
  }

  /** The last answer: false until the first, and while a question has been unanswered for a whole interval. */
  boolean safe() {
    return safe;
  }

  void stop() {
    vertx.cancelTimer(timer);
  }

  private void ask() {
    if (asking) {
      safe = false; // the last question is still out: a member is not answering
      return;
    }
    asking = true;
    vertx.executeBlocking(() -> hazelcast.getLifecycleService().isRunning() && hazelcast.getPartitionService().isClusterSafe(), false)
        .onComplete(ar -> {
          asking = false;
          safe = ar.succeeded() && ar.result();
        });
  }
}
