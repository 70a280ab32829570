package dev.switchboard.simulators.feed;

import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.SimulatorKind;
import io.vertx.core.Deployable;

/** {@code simulators.feed} in the config: the generic feed simulator. */
public class FeedSimulatorKind implements SimulatorKind {
  @Override
  public String type() {
    return "feed";
  }

  @Override
  public Deployable configure(ConfigSection config) {
    return new FeedSimulator(FeedSimulatorOptions.from(config));
  }
}
