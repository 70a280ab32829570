package dev.switchboard.status;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EnvelopeRingTest {
  private record Entry(long seq, long time, JsonObject json) {
  }

  private static JsonObject envelope(long seq, int padding) {
    return new JsonObject().put("seq", seq).put("source", "feed").put("data", new JsonObject().put("pad", "x".repeat(padding)));
  }

  private static void assertSame(ArrayDeque<Entry> expected, EnvelopeRing ring, String when) {
    assertEquals(expected.size(), ring.size(), when);
    List<Entry> model = new ArrayList<>(expected);
    for (int i = 0; i < model.size(); i++) {
      assertEquals(model.get(i).seq(), ring.seq(i), when + ": seq of " + i);
      assertEquals(model.get(i).time(), ring.time(i), when + ": time of " + i);
      assertEquals(model.get(i).json(), ring.json(i), when + ": envelope " + i);
    }
  }

  @Test
  @DisplayName("wrapping, growing and emptying, with sizes from a few bytes to past the first array: always the same envelopes as a plain queue")
  void sameAsAQueue() {
    Random random = new Random(42);
    for (int bound : new int[] {1, 3, 16, 100}) {
      EnvelopeRing ring = new EnvelopeRing();
      ArrayDeque<Entry> model = new ArrayDeque<>();
      long seq = 0;
      for (int step = 0; step < 5_000; step++) {
        int op = random.nextInt(20);
        if (op == 0 && !model.isEmpty()) {
          while (!model.isEmpty()) { // aged out, all of it
            model.removeFirst();
            ring.removeFirst();
          }
        } else if (op < 4 && !model.isEmpty()) {
          model.removeFirst();
          ring.removeFirst();
        } else {
          // Mostly small, now and then larger than the whole first array (4 KB).
          int padding = random.nextInt(10) == 0 ? random.nextInt(9_000) : random.nextInt(300);
          Entry e = new Entry(++seq, seq * 7, envelope(seq, padding));
          while (model.size() >= bound) {
            model.removeFirst();
            ring.removeFirst();
          }
          model.addLast(e);
          ring.add(e.seq(), e.time(), e.json().toBuffer());
        }
        assertSame(model, ring, "bound " + bound + ", step " + step);
      }
    }
  }

  @Test
  @DisplayName("cleared: empty, and takes envelopes again from the start")
  void clear() {
    EnvelopeRing ring = new EnvelopeRing();
    for (long seq = 1; seq <= 50; seq++) {
      ring.add(seq, seq, envelope(seq, 200).toBuffer());
    }
    ring.clear();
    assertEquals(0, ring.size());
    ring.add(1, 1, envelope(1, 10).toBuffer());
    assertEquals(envelope(1, 10), ring.json(0));
  }
}
