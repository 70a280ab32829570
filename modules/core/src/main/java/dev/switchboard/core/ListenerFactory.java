package dev.switchboard.core;

import io.vertx.core.Deployable;

import java.util.List;
import java.util.Optional;

/** One configured listener: it makes a fresh instance for every connection the supervisor asks for. */
public interface ListenerFactory {

  /** The upstream URL to show, before redaction. */
  String url();

  /** A new, unstarted instance. It must create its resources in {@code start()}, never here. */
  ListenerVerticle newInstance(ListenerSpec spec, ListenerStats stats);

  /**
   * Long-lived verticles deployed once beside the listener and never restarted with it: they keep the
   * state that must outlive a connection (design invariant 6).
   */
  default List<Deployable> companions(ListenerSpec spec, ListenerStats stats) {
    return List.of();
  }

  /** A reason this listener is unhealthy although it is connected, if any (a silent stream, say). */
  default Optional<String> healthProblem(ListenerStatus status) {
    return Optional.empty();
  }
}
