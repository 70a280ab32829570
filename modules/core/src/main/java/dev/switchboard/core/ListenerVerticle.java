package dev.switchboard.core;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener contract. An instance connects once, reports {@code connected} when its handshake is
 * done, and reports its exit (with the reason and whether a retry makes sense) when the connection
 * ends for any reason. It never retries by itself: reconnecting is the supervisor's job, which
 * undeploys this instance and deploys a fresh one (design invariants 1 and 2).
 */
public abstract class ListenerVerticle extends VerticleBase {
  /** The deployment-config key that tells an instance which generation it is. */
  public static final String GENERATION = "generation";
  /** The deployment-config key that names the listener: what tells an event-bus interceptor whose data it is. */
  public static final String LISTENER = "listener";
  /** The deployment-config key of the owner's lease epoch (in a cluster; 0 otherwise). */
  public static final String EPOCH = "epoch";
  /** The deployment-config key of this node's name in a cluster (absent in a single process). */
  public static final String NODE = "node";

  protected final ListenerSpec spec;
  protected final ListenerStats stats;
  protected final Logger log;
  private long generation;
  private boolean ended;

  protected ListenerVerticle(ListenerSpec spec, ListenerStats stats) {
    this.spec = spec;
    this.stats = stats;
    this.log = LoggerFactory.getLogger("switchboard.listener." + spec.name());
  }

  /** Opens the connection and completes once the upstream's handshake is done. Called once. */
  protected abstract Future<Void> connect();

  /** Closes the connection with a close frame, in bounded time. Called once, on undeploy. */
  protected abstract Future<Void> disconnect();

  @Override
  public final Future<?> start() {
    generation = config().getLong(GENERATION, 0L);
    long timeout = spec.policy().connectTimeout().toMillis();
    // Set on this deployment's context: undeploy cancels it with everything else.
    long deadline = vertx.setTimer(timeout, id -> exit(ListenerFailure.retry("timeout", "not connected within " + timeout + " ms")));
    Future<Void> opened;
    try {
      opened = connect();
    } catch (RuntimeException e) {
      opened = Future.failedFuture(e);
    }
    opened.onComplete(ar -> {
      vertx.cancelTimer(deadline);
      if (ar.succeeded()) {
        if (!ended) {
          report(ListenerReport.connected(spec.name(), generation));
        }
      } else {
        exit(ListenerFailure.of(ar.cause()));
      }
    });
    // Deployed means "trying": the supervisor learns of the handshake through the report above.
    return Future.succeededFuture();
  }

  @Override
  public final Future<?> stop() {
    markEnded();
    return disconnect();
  }

  /**
   * Called once, on this instance's event loop, when it ends (its exit is about to be reported, or it
   * is being undeployed), before its connection is closed: the place to clear what "connected" meant
   * (a {@code subscribed} flag) or to tell a long-lived companion that this connection is gone.
   */
  protected void onEnded() {
  }

  private void markEnded() {
    if (ended) {
      return;
    }
    ended = true;
    try {
      onEnded();
    } catch (RuntimeException e) {
      log.warn("onEnded failed", e); // the exit must be reported whatever happens here
    }
  }

  /** In a cluster, the epoch of this node's lease on the listener; 0 in a single process. */
  protected final long epoch() {
    return config().getLong(EPOCH, 0L);
  }

  /** True once this instance has reported its exit or is being undeployed. */
  protected final boolean ended() {
    return ended;
  }

  /** Reports that this instance is done; only the first call counts. */
  protected final void exit(ListenerFailure failure) {
    if (ended) {
      return;
    }
    markEnded();
    log.info("connection ended: {}{}", failure.getMessage(),
        failure.shouldRetry() ? "" : " (not retrying)");
    report(ListenerReport.exit(spec.name(), generation, failure.redacted()));
  }

  private void report(ListenerReport report) {
    vertx.eventBus().send(Addresses.LISTENER_REPORTS, report);
  }
}
