package dev.switchboard.cluster;

import org.junit.jupiter.api.Test;

import java.util.AbstractMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A node's copy of a record offered to the cluster: the highest version wins, and the epoch never goes down. */
class KeepNewerTest {
  private static final String DEFINITION = "{\"name\":\"feed\",\"type\":\"upstream\"}";

  private static ListenerRecord record(long version, long epoch) {
    return new ListenerRecord(DEFINITION, true, 0, version, false, epoch, 1);
  }

  private static ListenerRecord offer(ListenerRecord current, ListenerRecord candidate) {
    Map.Entry<String, ListenerRecord> entry = new AbstractMap.SimpleEntry<>("feed", current);
    ListenerRecord answered = new KeepNewer(candidate).process(entry);
    assertEquals(entry.getValue(), answered, "it answers what the map holds now");
    return answered;
  }

  @Test
  void aNewerVersionWinsAndAnOlderOrEqualOneDoesNot() {
    assertEquals(record(6, 4), offer(record(5, 3), record(6, 4)));
    assertEquals(record(5, 3), offer(record(5, 3), record(5, 2)));
    assertEquals(record(5, 3), offer(record(5, 3), record(4, 2)));
    assertEquals(record(1, 0), offer(null, record(1, 0)));
  }

  @Test
  void anOlderVersionWithAHigherEpochRaisesTheEpochOnly() {
    ListenerRecord newer = new ListenerRecord(DEFINITION, false, 0, 7, false, 3, 1);
    assertEquals(new ListenerRecord(DEFINITION, false, 0, 7, false, 9, 1), offer(newer, record(6, 9)));
  }

  @Test
  void theSameVersionWithAHigherEpochRaisesTheEpochOnly() {
    ListenerRecord stopped = new ListenerRecord(DEFINITION, false, 0, 5, false, 3, 1);
    assertEquals(new ListenerRecord(DEFINITION, false, 0, 5, false, 9, 1), offer(stopped, record(5, 9)),
        "the cluster's record kept, with the epoch that was granted since (an entry restored from an older copy)");
  }

  @Test
  void aNewerVersionFromANodeThatMissedAnEpochKeepsTheClustersEpoch() {
    assertEquals(record(6, 7), offer(record(5, 7), record(6, 3)));
  }
}
