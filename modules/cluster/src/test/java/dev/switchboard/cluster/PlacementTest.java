package dev.switchboard.cluster;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlacementTest {
  private static final List<String> THREE = List.of("node-a", "node-b", "node-c");

  @Test
  @DisplayName("listeners spread over the nodes, the same way on every node whatever the order it lists them in")
  void spreads() {
    Map<String, Integer> share = new HashMap<>();
    for (int i = 0; i < 3_000; i++) {
      String listener = "listener-" + i;
      String first = Placement.first(listener, THREE);
      assertEquals(first, Placement.first(listener, List.of("node-c", "node-a", "node-b")));
      share.merge(first, 1, Integer::sum);
    }
    share.values().forEach(n -> assertTrue(n > 800 && n < 1_200, "share " + share));
    assertNull(Placement.first("x", List.of()));
  }

  @Test
  @DisplayName("a node leaving moves only its own listeners; joining, it takes only listeners from the others, about a fair share")
  void movesOnlyWhatItMust() {
    int moved = 0;
    for (int i = 0; i < 3_000; i++) {
      String listener = "listener-" + i;
      String withThree = Placement.first(listener, THREE);
      String withTwo = Placement.first(listener, List.of("node-a", "node-b"));
      if (!withThree.equals("node-c")) {
        assertEquals(withThree, withTwo, listener + " moved although its node stayed");
      } else {
        moved++;
      }
    }
    assertTrue(moved > 800 && moved < 1_200, "node-c took " + moved + " of 3000");
  }
}
