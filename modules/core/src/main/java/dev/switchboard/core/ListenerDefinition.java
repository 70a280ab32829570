package dev.switchboard.core;

/** A listener as the supervisor knows it: its common spec and the factory of its kind. */
public record ListenerDefinition(ListenerSpec spec, ListenerFactory factory) {
  public String name() {
    return spec.name();
  }
}
