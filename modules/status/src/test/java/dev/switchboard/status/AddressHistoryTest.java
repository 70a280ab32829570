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
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    JsonObject answer = history.after(0, null, Long.MAX_VALUE, 0);
    assertEquals("gap", answer.getString("mode"), "seqs 1 and 2 were dropped for the count");
    assertEquals(3L, answer.getLong("oldest"));
    assertEquals(new JsonArray(sent.subList(2, 12)), answer.getJsonArray("messages"));
    assertEquals(new JsonArray(sent.subList(9, 12)), history.after(9, null, Long.MAX_VALUE, 0).getJsonArray("messages"));
    // At most the newest 'last': a page that shows a few need not download everything kept.
    JsonObject newest = history.after(0, null, 2, 0);
    assertEquals("gap", newest.getString("mode"));
    assertEquals(3L, newest.getLong("oldest"), "the oldest kept, whatever is answered");
    assertEquals(new JsonArray(sent.subList(10, 12)), newest.getJsonArray("messages"));
    JsonObject cut = history.after(5, null, 2, 0);
    assertEquals(new JsonArray(sent.subList(10, 12)), cut.getJsonArray("messages"));
    assertEquals("gap", cut.getString("mode"), "6 to 10 come after 5 and are not answered: not every message after it");
    JsonObject whole = history.after(11, null, 5, 0);
    assertEquals(new JsonArray(sent.subList(11, 12)), whole.getJsonArray("messages"));
    assertEquals("messages", whole.getString("mode"), "every one after 11, within the 5 asked");
    assertEquals(new JsonArray(), history.after(0, null, 0, 0).getJsonArray("messages"));
  }

  @Test
  @DisplayName("an answer carries at most 1 MB of envelopes, the newest (at least one); what it leaves out makes it a gap")
  void answersAreBounded() {
    AddressHistory history = new AddressHistory("upstream.feed.message", new HistoryRule("upstream.feed.message", 1_000, Duration.ofMinutes(5)));
    String pad = "x".repeat(60_000);
    for (long seq = 1; seq <= 200; seq++) {
      history.add(seq, new JsonObject().put("seq", seq).put("ts", seq).put("data", pad), 0);
    }
    JsonObject answer = history.after(0, null, Long.MAX_VALUE, 0);
    JsonArray messages = answer.getJsonArray("messages");
    assertEquals("gap", answer.getString("mode"));
    assertTrue(messages.encode().length() <= AddressHistory.MAX_ANSWER_BYTES + 2 * messages.size(), "bounded: " + messages.encode().length());
    assertTrue(messages.size() >= 15 && messages.size() < 200, "as many as fit: " + messages.size());
    assertEquals(200L, messages.getJsonObject(messages.size() - 1).getLong("seq"), "the newest last");
    assertEquals(201L - messages.size(), messages.getJsonObject(0).getLong("seq"), "the newest ones, without a hole");
    JsonObject recent = history.after(190, 190L, Long.MAX_VALUE, 0);
    assertEquals("messages", recent.getString("mode"), "ten fit: every one after 190");
    assertEquals(10, recent.getJsonArray("messages").size());

    history.add(201, new JsonObject().put("seq", 201).put("ts", 201).put("data", "y".repeat(2 * 1024 * 1024)), 0);
    JsonObject huge = history.after(200, 200L, Long.MAX_VALUE, 0);
    assertEquals(1, huge.getJsonArray("messages").size(), "the newest, over the bound alone, is still answered");
    assertEquals("messages", huge.getString("mode"));
  }

  @Test
  @DisplayName("a seq from another count of the source (it started over) is a gap: told by the envelope's ts, or by a seq that was never kept")
  void anotherCountIsAGap() {
    AddressHistory history = new AddressHistory("upstream.feed.message", new HistoryRule("upstream.feed.message", 100, Duration.ofMinutes(5)));
    for (int seq = 1; seq <= 10; seq++) {
      history.add(seq, new JsonObject().put("seq", seq).put("ts", 1_000L + seq), 0);
    }
    JsonObject same = history.after(5, 1_005L, Long.MAX_VALUE, 0);
    assertEquals("messages", same.getString("mode"));
    assertEquals(5, same.getJsonArray("messages").size());

    // The source starts over (the server restarted, the listener was defined again): 1, 2, ... with other stamps.
    for (int seq = 1; seq <= 20; seq++) {
      history.add(seq, new JsonObject().put("seq", seq).put("ts", 5_000L + seq), 0);
    }
    JsonObject other = history.after(5, 1_005L, Long.MAX_VALUE, 0);
    assertEquals("gap", other.getString("mode"), "seq 5 of the old count is not ours");
    assertEquals(20, other.getJsonArray("messages").size(), "everything kept");
    assertEquals("messages", history.after(5, 5_005L, Long.MAX_VALUE, 0).getString("mode"));

    // Seqs of one address need not be consecutive; one within the kept range that was never kept is another count's.
    AddressHistory sparse = new AddressHistory("market.m.trades.AAPL", new HistoryRule("market.m.trades.AAPL", 100, Duration.ofMinutes(5)));
    for (int seq : new int[] {3, 7, 12}) {
      sparse.add(seq, new JsonObject().put("seq", seq).put("ts", 1_000L + seq), 0);
    }
    assertEquals("messages", sparse.after(7, null, Long.MAX_VALUE, 0).getString("mode"));
    assertEquals("gap", sparse.after(8, null, Long.MAX_VALUE, 0).getString("mode"));
  }
}
