package dev.switchboard.core;

import io.vertx.core.Future;

import java.time.Instant;

/**
 * The supervisor's record of one listener. Touched only on the supervisor's event loop, hence plain
 * mutable fields and no locks.
 */
final class ListenerEntry {
  final ListenerDefinition definition;
  final ListenerStats stats = new ListenerStats();

  ListenerState state = ListenerState.STOPPED;
  boolean desired;
  String taskStatus = "none";
  int attempt;
  Instant nextRetryAt;
  LastError lastError;
  Instant connectedSince;
  long deployments;

  /** The generation of the live instance; 0 when none. Reports from any other generation are stale. */
  long liveGeneration;
  long lastGeneration;
  String deploymentId;
  long retryTimer = -1;
  long resetTimer = -1;
  long publishedRate = -1;

  /** The tail of this listener's command queue: every command runs after the previous one finished. */
  Future<Void> queue = Future.succeededFuture();

  ListenerEntry(ListenerDefinition definition) {
    this.definition = definition;
  }

  String name() {
    return definition.name();
  }

  ListenerSpec spec() {
    return definition.spec();
  }
}
