package dev.switchboard.cluster;

import com.hazelcast.map.EntryProcessor;

import java.util.Map;

/**
 * Puts a node's copy of a record unless the cluster has one at least as new: at boot, the highest version wins.
 * The epoch never goes down: a newer version from a node that missed an epoch's write keeps the cluster's, and a
 * copy with a higher epoch raises the cluster's, whatever its version (an entry restored from an older copy, after a
 * double fault, may have missed epochs that other copies hold).
 */
record KeepNewer(ListenerRecord candidate) implements EntryProcessor<String, ListenerRecord, ListenerRecord> {
  @Override
  public ListenerRecord process(Map.Entry<String, ListenerRecord> entry) {
    ListenerRecord current = entry.getValue();
    if (current == null || candidate.version() > current.version()) {
      ListenerRecord next = current == null || candidate.epoch() >= current.epoch() ? candidate
          : new ListenerRecord(candidate.definition(), candidate.active(), candidate.restarts(), candidate.version(),
              candidate.removed(), current.epoch(), candidate.definitionVersion());
      entry.setValue(next);
      return next;
    }
    if (candidate.epoch() > current.epoch()) {
      ListenerRecord raised = new ListenerRecord(current.definition(), current.active(), current.restarts(), current.version(),
          current.removed(), candidate.epoch(), current.definitionVersion());
      entry.setValue(raised);
      return raised;
    }
    return current;
  }
}
