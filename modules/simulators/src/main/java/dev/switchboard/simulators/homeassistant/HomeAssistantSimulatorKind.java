package dev.switchboard.simulators.homeassistant;

import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.SimulatorKind;
import io.vertx.core.Deployable;

/** {@code simulators.homeassistant} in the config: the Home Assistant simulator (demo: 127.0.0.1:8123). */
public class HomeAssistantSimulatorKind implements SimulatorKind {
  @Override
  public String type() {
    return "homeassistant";
  }

  @Override
  public Deployable configure(ConfigSection config) {
    return new HomeAssistantSimulator(HomeAssistantSimulatorOptions.from(config));
  }
}
