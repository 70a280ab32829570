package dev.switchboard.core;

import io.vertx.core.Deployable;

/**
 * A kind of simulator the server can start in-process for the demo, found through
 * {@code META-INF/services}. The config key under {@code simulators} is the kind's {@link #type()}.
 */
public interface SimulatorKind {
  String type();

  /** Reads and validates the simulator's config (calling {@link ConfigSection#finish()}); returns the verticle to deploy. */
  Deployable configure(ConfigSection config);
}
