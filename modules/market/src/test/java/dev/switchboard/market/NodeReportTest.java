package dev.switchboard.market;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A node report comes from another process: anything but a report is refused with a reason, never a crash. */
class NodeReportTest {
  private static JsonObject report(JsonObject wanted) {
    return new JsonObject().put("node", "node-b").put("boot", "b-1").put("seq", 3).put("wanted", wanted).put("clients", 2).put("refused", 1);
  }

  @Test
  void aReportReadsBack() {
    NodeReport r = NodeReport.fromJson(report(new JsonObject().put("trades", new JsonArray().add("AAPL").add("BRK.B")))
        .put("forgot", new JsonObject()));
    assertEquals(new NodeReport("node-b", "b-1", 3, WatchSet.fromJson(new JsonObject().put("trades", new JsonArray().add("AAPL").add("BRK.B"))), 2, 1), r);
    assertEquals(r, NodeReport.fromJson(r.toJson()));
  }

  @Test
  void countersThatAreNotNumbersAreRefused() {
    JsonObject wanted = new JsonObject();
    for (String field : new String[] {"clients", "refused", "seq"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> NodeReport.fromJson(report(wanted).put(field, "many")), field);
      assertTrue(e.getMessage().contains("node report"), e.getMessage());
    }
  }

  @Test
  void appliedRefusalsAreNumbersByRegistry() {
    NodeReport r = NodeReport.fromJson(report(new JsonObject()).put("forgot", new JsonObject().put("registry-1", 4)));
    assertEquals(4, r.forgotOf("registry-1"));
    assertEquals(0, r.forgotOf("registry-2"), "none applied from another registry");
    assertEquals(0, NodeReport.fromJson(report(new JsonObject()).put("forgot", new JsonObject())).forgotOf("registry-1"), "none applied");
    assertEquals(Long.MAX_VALUE, NodeReport.fromJson(report(new JsonObject())).forgotOf("registry-1"),
        "a node of an older version says nothing: its report is taken as it is");
    assertThrows(IllegalArgumentException.class,
        () -> NodeReport.fromJson(report(new JsonObject()).put("forgot", new JsonObject().put("registry-1", "four"))));
  }

  @Test
  void symbolsAreCheckedAsABrowsersAre() {
    for (String symbol : new String[] {"aapl", "A B", "", "X".repeat(Symbols.MAX_LENGTH + 1), "*"}) {
      assertThrows(IllegalArgumentException.class,
          () -> NodeReport.fromJson(report(new JsonObject().put("trades", new JsonArray().add(symbol)))), symbol);
    }
  }
}
