package dev.switchboard.cluster;

import com.hazelcast.map.EntryProcessor;
import dev.switchboard.core.ControlPlane;
import io.vertx.core.json.JsonObject;

import java.io.Serializable;
import java.util.Map;

/**
 * A change to one listener's record, applied atomically where the entry lives, with the next version.
 * Answers the record before and after; {@code after} is null when there is no such listener (a start of
 * an unknown name), and equal to {@code before} when nothing had to change.
 */
record RecordChange(Action action, String definition, boolean activeWhenCreated, long epoch, long expected)
    implements EntryProcessor<String, ListenerRecord, RecordChange.Outcome> {

  /**
   * EPOCH raises the record's epoch to {@code epoch} (never lowers it). A DEFINE with {@code expected}
   * (not {@link ControlPlane#ANY_VERSION}) changes a different definition only over that version (0: none).
   */
  enum Action { DEFINE, START, STOP, RESTART, REMOVE, EPOCH }

  RecordChange(Action action, String definition, boolean activeWhenCreated) {
    this(action, definition, activeWhenCreated, 0, ControlPlane.ANY_VERSION);
  }

  RecordChange(Action action, String definition, boolean activeWhenCreated, long epoch) {
    this(action, definition, activeWhenCreated, epoch, ControlPlane.ANY_VERSION);
  }

  /** {@code stale}: refused, the record was not at the expected version (then {@code after} is {@code before}). */
  record Outcome(ListenerRecord before, ListenerRecord after, boolean stale) implements Serializable {
    Outcome(ListenerRecord before, ListenerRecord after) {
      this(before, after, false);
    }

    boolean changed() {
      return after != null && !after.equals(before);
    }
  }

  @Override
  public Outcome process(Map.Entry<String, ListenerRecord> entry) {
    ListenerRecord r = entry.getValue();
    ListenerRecord live = r == null || r.removed() ? null : r;
    long version = r == null ? 1 : r.version() + 1;
    long e = r == null ? 0 : r.epoch(); // kept across a removal: a listener defined again never reuses an epoch
    // Also kept across a removal: a form read before it cannot pass as a read of the listener defined again.
    long nextDefinition = (r == null ? 0 : r.definitionVersion()) + 1;
    boolean same = live != null && definition != null && sameDefinition(live.definition(), definition);
    if (action == Action.DEFINE && expected != ControlPlane.ANY_VERSION && !same && expected != (live == null ? 0 : live.definitionVersion())) {
      return new Outcome(live, live, true); // checked here, where the entry lives: no other change can come between
    }
    ListenerRecord next = switch (action) {
      case DEFINE -> live == null
          ? new ListenerRecord(definition, activeWhenCreated, r == null ? 0 : r.restarts(), version, false, e, nextDefinition)
          : same ? live
          : new ListenerRecord(definition, live.active(), live.restarts(), version, false, e, nextDefinition);
      case START -> live == null ? null : live.active() ? live : with(live, true, live.restarts(), version, false, e);
      case STOP -> live == null ? null : !live.active() ? live : with(live, false, live.restarts(), version, false, e);
      case RESTART -> live == null ? null : with(live, true, live.restarts() + 1, version, false, e);
      case REMOVE -> live == null ? null : with(live, false, live.restarts(), version, true, e);
      case EPOCH -> live == null ? null : epoch <= e ? live : with(live, live.active(), live.restarts(), version, false, epoch);
    };
    if (next != null && !next.equals(live)) {
      entry.setValue(next);
    }
    return new Outcome(live, next);
  }

  /** Equal as JSON: the same fields in another order (a definition sent back as read) is no change, as a single process judges. */
  private static boolean sameDefinition(String a, String b) {
    return a.equals(b) || new JsonObject(a).equals(new JsonObject(b));
  }

  /** The same definition, at the same definition version, with the rest changed. */
  private static ListenerRecord with(ListenerRecord r, boolean active, long restarts, long version, boolean removed, long epoch) {
    return new ListenerRecord(r.definition(), active, restarts, version, removed, epoch, r.definitionVersion());
  }
}
