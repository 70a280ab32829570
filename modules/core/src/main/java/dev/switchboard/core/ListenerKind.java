package dev.switchboard.core;

import java.nio.file.Path;
import java.util.List;

/**
 * A kind of upstream (generic feed, Home Assistant, market stream), found by the server through
 * {@code META-INF/services/dev.switchboard.core.ListenerKind}. It declares everything the rest of the
 * system needs to know about it: its config fields, its addresses and which of them browsers may use,
 * its status fields and metrics, and (through its factory) its health rule. A new kind is a new
 * module and a services line: nothing in the server or the dashboard names a kind.
 */
public interface ListenerKind {
  /** The {@code type} of a listener definition. */
  String type();

  /** The first segment of this kind's addresses: {@code <namespace>.<listener>.<suffix>}. */
  default String namespace() {
    return type();
  }

  /** One sentence for people choosing a kind ({@code GET /api/kinds}, the dashboard's form). */
  String description();

  /** The kind's own fields of a listener definition (the common ones are {@link ListenerKinds#COMMON}). */
  List<ConfigField> fields();

  /** The kind's addresses, and what browsers may do with them. */
  KindAddresses addresses();

  /** The fields the kind adds to its listeners' status. */
  default List<StatusField> statusFields() {
    return List.of();
  }

  /**
   * Reads this kind's own fields of a listener's definition (the common ones are read already) and
   * calls {@link ConfigSection#finish()}. Throws {@link ConfigException} naming the bad field.
   * {@code dataDir} is where a kind may keep what must survive a restart of the process (counters).
   * Creates nothing that needs closing: a definition may be read only to be validated.
   */
  ListenerFactory configure(String name, ConfigSection fields, Path dataDir);
}
