package dev.switchboard.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The supervisor's record of one listener. Touched only on the supervisor's event loop, hence plain
 * mutable fields and no locks.
 */
final class ListenerEntry {
  /** Replaced (with a clean redeploy) when the listener is defined again with changes. */
  ListenerDefinition definition;
  /** Kept across a changed definition of the same type, so that envelope seq and counters continue. */
  ListenerStats stats = new ListenerStats();
  /** The deployment ids of the kind's long-lived companions. */
  final List<String> companions = new ArrayList<>();
  /** The deployment ids of the kind's verticles that run on every node ({@link ListenerFactory#everyNode}). */
  final List<String> nodeParts = new ArrayList<>();

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
  /** The last undeploy of an instance, until it is done. */
  io.vertx.core.Future<Void> undeploying = io.vertx.core.Future.succeededFuture();
  String deploymentId;
  long retryTimer = -1;
  long resetTimer = -1;
  /** The rate1m last published: a new listener's is 0, which its first status already says. */
  long publishedRate;
  /** In a single process always true; in a cluster, whether this node holds the listener's lease. */
  boolean owned = true;
  /**
   * In a cluster, the epoch of the lease this node said it holds for this entry (set at once, before the
   * own or disown takes its turn in the queue); 0 for an entry no lease was given to (defined again).
   */
  long leaseEpoch;
  /** In a cluster, the epoch of this node's lease; 0 in a single process. */
  long epoch;
  /** In a cluster, the number of restarts asked for so far: a higher one from the cluster is a restart. */
  long restarts;
  /** Why the desired state is not on disk; null when it is. */
  String persistError;
  /** The desired state changed (or was set) by a command whose answer has yet to save it. */
  boolean unsaved;
  /** A save of its desired state is under way. */
  boolean saving;
  /** A stop was superseded since the last command that ran: a start now stands for the stop and the start. */
  boolean stopSuperseded;

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
