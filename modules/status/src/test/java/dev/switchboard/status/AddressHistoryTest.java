package dev.switchboard.status;

import dev.switchboard.core.envelope.JsonEnvelope;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AddressHistoryTest {
  @Test
  @DisplayName("the feed's envelopes (the upstream's bytes) and plain ones, small and large, come back as they were received")
  void keptAsReceived() {
    AddressHistory history = new AddressHistory("upstream.feed.message", new HistoryRule("upstream.feed.message", 10, Duration.ofMinutes(5)));
    List<JsonObject> sent = new ArrayList<>();
    for (int seq = 1; seq <= 12; seq++) {
      // Now and then far larger than the history's scratch buffer, then small again.
      String text = seq % 4 == 0 ? "x".repeat(200_000) : "msg " + seq;
      JsonObject envelope = seq % 2 == 0
          ? new JsonEnvelope(seq, 1_000L + seq, "feed", "json", 0, Buffer.buffer(new JsonObject().put("text", text).encode())).asJsonObject()
          : new JsonObject().put("seq", seq).put("ts", 1_000L + seq).put("source", "feed").put("type", "json")
              .put("data", new JsonObject().put("text", text));
      sent.add(envelope.copy());
      history.add(seq, envelope, 0);
    }
    JsonObject answer = history.after(0, 0);
    assertEquals("gap", answer.getString("mode"), "seqs 1 and 2 were dropped for the count");
    assertEquals(3L, answer.getLong("oldest"));
    assertEquals(new JsonArray(sent.subList(2, 12)), answer.getJsonArray("messages"));
    assertEquals(new JsonArray(sent.subList(9, 12)), history.after(9, 0).getJsonArray("messages"));
  }
}
