package dev.switchboard.bench.relay;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A row's aggregate of its rounds, its table notes, and its cleanup. */
class RelayBenchTest {
  private static final RelayBench.Scenario ROW = new RelayBench.Scenario(1, 1000);

  private static RelayBench.Result round(double rate, long missing, long duplicates, double cpu, int inTicks, int interrupted) {
    return new RelayBench.Result("switchboard", ROW, rate, 1, 2, 3, missing, duplicates, cpu, 90, 91, 95, 100, 1,
        1, inTicks, interrupted);
  }

  @Test
  void aRowSumsThePerWindowCountsAndTakesTheMedianOfTheRest() {
    // One duplicate in round 2's window: the row says 1 (lifetime totals said 0 + 1 + 1 = 2 for the same run).
    RelayBench.Result row = RelayBench.median(List.of(round(900, 0, 0, 5, 0, 0), round(1000, 2, 1, 7, 1, 0),
        round(950, 0, 0, 6, 0, 1)));
    assertEquals(950, row.deliveriesPerSecond());
    assertEquals(6, row.cpuPer100k());
    assertEquals(2, row.missing());
    assertEquals(1, row.duplicates());
    assertEquals(3, row.rounds());
    assertEquals(1, row.roundsCpuInTicks());
    assertEquals(1, row.roundsUpstreamInterrupted());
  }

  @Test
  void theNotesSayHowToReadTheCountsAndWhichRowsWereDisturbed() {
    RelayBench.Result row = RelayBench.median(List.of(round(900, 0, 0, 5, 0, 0), round(950, 0, 0, 6, 0, 1)));
    String notes = RelayBench.notes(List.of(row));
    assertTrue(notes.contains("each round counting the seqs of its own measured window only"), notes);
    assertTrue(notes.contains("CPU s/100k: " + ProcessProbe.cpuClock()), notes);
    assertTrue(notes.contains("switchboard 1 @ 1000/s: WARNING the relay's upstream reconnected in 1 of 2 rounds"), notes);
  }

  @Test
  void everyRelayOfARowIsClosedWhenOneFailsToClose() {
    List<String> closed = new ArrayList<>();
    Map<String, AutoCloseable> row = new LinkedHashMap<>();
    row.put("node-ws", () -> {
      closed.add("node-ws");
      throw new IllegalStateException("did not stop");
    });
    row.put("switchboard", () -> closed.add("switchboard"));
    RelayBench.closeAll(row);
    assertEquals(List.of("node-ws", "switchboard"), closed);
  }
}
