package dev.switchboard.cluster;

import com.hazelcast.map.EntryProcessor;

import java.util.Map;

/** Puts a node's copy of a record unless the cluster has one at least as new: at boot, the highest version wins. */
record KeepNewer(ListenerRecord candidate) implements EntryProcessor<String, ListenerRecord, ListenerRecord> {
  @Override
  public ListenerRecord process(Map.Entry<String, ListenerRecord> entry) {
    ListenerRecord current = entry.getValue();
    if (current == null || candidate.version() > current.version()) {
      entry.setValue(candidate);
      return candidate;
    }
    return current;
  }
}
