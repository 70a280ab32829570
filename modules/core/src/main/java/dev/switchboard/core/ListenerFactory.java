package dev.switchboard.core;

import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.Optional;

/** One configured listener: it makes a fresh instance for every connection the supervisor asks for. */
public interface ListenerFactory {

  /** The upstream URL to show, before redaction. */
  String url();

  /** A new, unstarted instance. It must create its resources in {@code start()}, never here. */
  ListenerVerticle newInstance(ListenerSpec spec, ListenerStats stats);

  /**
   * Long-lived verticles deployed beside the listener and never restarted with it: they keep the
   * state that must outlive a connection (design invariant 6). They are undeployed only when the
   * listener's definition changes or it is removed.
   */
  default List<Deployable> companions(ListenerSpec spec, ListenerStats stats) {
    return List.of();
  }

  /**
   * Verticles deployed on every node for this listener, whoever owns it (in a single process, once,
   * beside the companions): what each node does for its own clients, such as telling the owner what its
   * browsers watch. Like companions, they are long-lived and undeployed only when the definition changes
   * or the listener is removed. Their deployment config names the {@link ListenerVerticle#LISTENER} and
   * the {@link ListenerVerticle#NODE}; companions' also has the owner's {@link ListenerVerticle#EPOCH}.
   */
  default List<Deployable> everyNode(ListenerSpec spec, ListenerStats stats) {
    return List.of();
  }

  /** The kind's health rule: a reason this listener is unhealthy although it is connected, if any. */
  default Optional<String> healthProblem(ListenerStatus status) {
    return Optional.empty();
  }

  /** Deletes what the kind keeps on disk for this listener; called when the listener is removed. */
  default Future<Void> deleteState(Vertx vertx) {
    return Future.succeededFuture();
  }
}
