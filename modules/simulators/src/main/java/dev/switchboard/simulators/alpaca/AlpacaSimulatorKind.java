package dev.switchboard.simulators.alpaca;

import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.SimulatorKind;
import io.vertx.core.Deployable;

/** {@code simulators.alpaca} in the config: the Alpaca market-data stream simulator. */
public class AlpacaSimulatorKind implements SimulatorKind {
  @Override
  public String type() {
    return "alpaca";
  }

  @Override
  public Deployable configure(ConfigSection config) {
    return new AlpacaSimulator(AlpacaSimulatorOptions.from(config));
  }
}
