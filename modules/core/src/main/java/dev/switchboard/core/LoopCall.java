package dev.switchboard.core;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.function.Supplier;

/**
 * A call into something that lives on one event loop (the supervisor, a cluster node's state): the action
 * runs on that loop, so its state needs no lock, and the answer completes on the caller's own context.
 */
public final class LoopCall {
  private LoopCall() {
  }

  public static <T> Future<T> on(Context loop, Supplier<Future<T>> action) {
    Context caller = Vertx.currentContext();
    Promise<T> answer = Promise.promise();
    loop.runOnContext(v -> {
      Future<T> f;
      try {
        f = action.get();
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> {
        if (caller == null || caller == loop) {
          answer.handle(ar);
        } else {
          caller.runOnContext(x -> answer.handle(ar));
        }
      });
    });
    return answer.future();
  }
}
