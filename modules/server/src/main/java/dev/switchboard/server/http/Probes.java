package dev.switchboard.server.http;

import dev.switchboard.core.ControlPlane;
import io.vertx.core.Vertx;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;

import java.util.function.BooleanSupplier;

/**
 * The probes an orchestrator asks. {@code /health/live}: the process works (this HTTP loop answers,
 * and so does the supervisor's); it never fails because an upstream is down, or a restart loop would
 * follow every upstream outage. {@code /health/ready}: the server is ready to serve (everything
 * deployed). {@code /health} stays the per-listener report, for monitoring.
 */
final class Probes {
  /** A loop that does not answer within this is stuck. */
  private static final long LOOP_TIMEOUT_MS = 2_000;

  private final HealthCheckHandler live;
  private final HealthCheckHandler ready;

  Probes(Vertx vertx, ControlPlane control, BooleanSupplier started) {
    HealthChecks liveness = HealthChecks.create(vertx);
    // The supervisor answers on its own event loop: a snapshot proves that loop turns.
    liveness.register("supervisor-loop", LOOP_TIMEOUT_MS, done -> control.snapshot()
        .onComplete(ar -> done.tryComplete(ar.succeeded() ? Status.OK() : Status.KO())));
    HealthChecks readiness = HealthChecks.create(vertx);
    readiness.register("deployed", done -> done.tryComplete(started.getAsBoolean() ? Status.OK() : Status.KO()));
    this.live = HealthCheckHandler.createWithHealthChecks(liveness);
    this.ready = HealthCheckHandler.createWithHealthChecks(readiness);
  }

  HealthCheckHandler live() {
    return live;
  }

  HealthCheckHandler ready() {
    return ready;
  }
}
