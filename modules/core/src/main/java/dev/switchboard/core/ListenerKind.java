package dev.switchboard.core;

/**
 * A kind of upstream (generic feed, Home Assistant, market stream). The server looks a listener's
 * {@code type} up among the kinds and lets the kind read the rest of the listener's config.
 */
public interface ListenerKind {
  String type();

  /**
   * Reads this kind's own fields of a listener's config (the common ones are marked read already)
   * and calls {@link ConfigSection#finish()}. Throws {@link ConfigException} naming the bad field.
   */
  ListenerFactory configure(String name, ConfigSection fields);
}
