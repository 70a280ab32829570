package dev.switchboard.core;

import java.nio.file.Path;

/**
 * A kind of upstream (generic feed, Home Assistant, market stream). The server looks a listener's
 * {@code type} up among the kinds and lets the kind read the rest of the listener's config.
 */
public interface ListenerKind {
  String type();

  /**
   * Reads this kind's own fields of a listener's config (the common ones are marked read already)
   * and calls {@link ConfigSection#finish()}. Throws {@link ConfigException} naming the bad field.
   * {@code dataDir} is where a kind may keep what must survive a restart of the process (counters).
   */
  ListenerFactory configure(String name, ConfigSection fields, Path dataDir);
}
