package dev.switchboard.cluster;

import com.hazelcast.map.EntryProcessor;

import java.io.Serializable;
import java.util.Map;

/**
 * A change to one listener's record, applied atomically where the entry lives, with the next version.
 * Answers the record before and after; {@code after} is null when there is no such listener (a start of
 * an unknown name), and equal to {@code before} when nothing had to change.
 */
record RecordChange(Action action, String definition, boolean activeWhenCreated, long epoch)
    implements EntryProcessor<String, ListenerRecord, RecordChange.Outcome> {

  /** EPOCH raises the record's epoch to {@code epoch} (never lowers it). */
  enum Action { DEFINE, START, STOP, RESTART, REMOVE, EPOCH }

  RecordChange(Action action, String definition, boolean activeWhenCreated) {
    this(action, definition, activeWhenCreated, 0);
  }

  record Outcome(ListenerRecord before, ListenerRecord after) implements Serializable {
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
    ListenerRecord next = switch (action) {
      case DEFINE -> live == null
          ? new ListenerRecord(definition, activeWhenCreated, r == null ? 0 : r.restarts(), version, false, e)
          : live.definition().equals(definition) ? live : new ListenerRecord(definition, live.active(), live.restarts(), version, false, e);
      case START -> live == null ? null : live.active() ? live : new ListenerRecord(live.definition(), true, live.restarts(), version, false, e);
      case STOP -> live == null ? null : !live.active() ? live : new ListenerRecord(live.definition(), false, live.restarts(), version, false, e);
      case RESTART -> live == null ? null : new ListenerRecord(live.definition(), true, live.restarts() + 1, version, false, e);
      case REMOVE -> live == null ? null : new ListenerRecord(live.definition(), false, live.restarts(), version, true, e);
      case EPOCH -> live == null ? null : epoch <= e ? live
          : new ListenerRecord(live.definition(), live.active(), live.restarts(), version, false, epoch);
    };
    if (next != null && !next.equals(live)) {
      entry.setValue(next);
    }
    return new Outcome(live, next);
  }
}
