package dev.switchboard.cluster;

import io.vertx.core.json.JsonObject;

import java.io.Serializable;

/**
 * One listener as the whole cluster wants it: its definition, started or stopped, how many restarts
 * were asked for. Every change raises {@code version}; at boot, the highest version of each listener
 * among the nodes' files wins. A removed listener stays as a tombstone, so that an old file cannot
 * bring it back.
 *
 * @param definition the definition's JSON text, as given (placeholders unresolved)
 * @param version           raised by every change: the newest record wins between nodes
 * @param epoch             the highest lease epoch granted for this listener so far: kept here, on every node's
 *                          disk, so that epochs keep growing even if the lease map loses an entry (a double fault)
 *                          or the whole cluster restarts
 * @param definitionVersion raised only when the definition changes: the version the API shows and
 *                          {@code If-Match} checks, so that a start, a stop or an epoch write does not refuse a
 *                          form read before it, as in a single process
 */
public record ListenerRecord(String definition, boolean active, long restarts, long version, boolean removed, long epoch,
    long definitionVersion) implements Serializable {

  public ListenerRecord {
    if (definitionVersion == 0 && version > 0) {
      // Written by a node from before the field (a rolling upgrade: Java's deserialization leaves it 0): the
      // record's version stands in, as for a file written then.
      definitionVersion = version;
    }
  }

  /** A listener's first record: its definition at {@code version}. */
  static ListenerRecord created(String definition, boolean active, long version) {
    return new ListenerRecord(definition, active, 0, version, false, 0, version);
  }

  /** The same record with {@code epoch} in its place. */
  ListenerRecord withEpoch(long epoch) {
    return new ListenerRecord(definition, active, restarts, version, removed, epoch, definitionVersion);
  }

  JsonObject definitionJson() {
    return new JsonObject(definition);
  }

  JsonObject toJson() {
    return new JsonObject().put("definition", definitionJson()).put("active", active).put("restarts", restarts)
        .put("version", version).put("removed", removed).put("epoch", epoch).put("definitionVersion", definitionVersion);
  }

  static ListenerRecord fromJson(JsonObject json) {
    return new ListenerRecord(json.getJsonObject("definition").encode(), json.getBoolean("active"), json.getLong("restarts", 0L),
        json.getLong("version"), json.getBoolean("removed", false), json.getLong("epoch", 0L),
        json.getLong("definitionVersion", 0L)); // 0, from a file written before it: the record's version stands in
  }
}
