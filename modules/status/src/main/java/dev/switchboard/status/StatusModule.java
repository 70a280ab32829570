package dev.switchboard.status;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * The status module in one deployment: status recovery, activity channels and message history, each
 * its own verticle (and event loop), deployed as children so that undeploying this undeploys them all.
 * Deploy it after the {@link dev.switchboard.core.Supervisor}: it starts from the supervisor's snapshot.
 */
public final class StatusModule extends VerticleBase {
  private final StatusOptions options;

  public StatusModule(StatusOptions options) {
    this.options = options;
  }

  @Override
  public Future<?> start() {
    return vertx.deployVerticle(new StatusFanout(options.statusHistory()))
        .compose(id -> vertx.deployVerticle(new ActivityChannels(options.activity())))
        .compose(id -> vertx.deployVerticle(new MessageHistory(options.history())));
  }
}
