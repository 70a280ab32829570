package dev.switchboard.cluster;

import io.vertx.core.Context;
import io.vertx.core.Future;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One Hazelcast call as a Vert.x future on {@code context}, bounded by {@code timeoutMs}: a call to a
 * partition whose member is unreachable otherwise waits for Hazelcast's own timeout, and a member that
 * has left the cluster throws at once instead of failing its future.
 */
final class HazelcastCalls {
  private HazelcastCalls() {
  }

  static <T> Future<T> call(Context context, long timeoutMs, Supplier<CompletionStage<T>> call) {
    CompletionStage<T> stage;
    try {
      stage = call.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return Future.fromCompletionStage(stage, context).timeout(timeoutMs, TimeUnit.MILLISECONDS);
  }
}
