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
    ListenerRecord next;
    if (current == null) {
      next = candidate;
    } else if (candidate.version() > current.version()) {
      next = candidate.withEpoch(Math.max(candidate.epoch(), current.epoch()));
    } else if (candidate.epoch() > current.epoch()) {
      next = current.withEpoch(candidate.epoch());
    } else {
      return current;
    }
    entry.setValue(next);
    return next;
  }
}
