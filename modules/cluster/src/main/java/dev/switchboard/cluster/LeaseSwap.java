package dev.switchboard.cluster;

import com.hazelcast.map.EntryProcessor;

import java.util.Map;
import java.util.Objects;

/**
 * Compare-and-set on one lease, run where the entry lives: sets {@code next} only if the lease is still
 * {@code expected} (null: absent). Answers the lease as it is afterwards, so the caller sees whether
 * its change won.
 */
record LeaseSwap(Lease expected, Lease next) implements EntryProcessor<String, Lease, Lease> {
  @Override
  public Lease process(Map.Entry<String, Lease> entry) {
    if (!Objects.equals(entry.getValue(), expected)) {
      return entry.getValue();
    }
    entry.setValue(next);
    return next;
  }
}
