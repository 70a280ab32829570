package dev.switchboard.status;

import dev.switchboard.core.envelope.EnvelopeView;
import dev.switchboard.core.envelope.JsonEnvelope;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;

/**
 * The last envelopes of one data address, bounded by count and by age. The seqs of one address need
 * not be consecutive (a market listener numbers all its symbols in one sequence), so a gap is known
 * from what was dropped, not from holes in the numbers.
 */
final class AddressHistory {
  /**
   * @param envelope the {@link JsonEnvelope} behind a view nobody has read (the upstream's bytes, a
   *                 few hundred bytes in a handful of objects), else the JsonObject itself. Envelopes
   *                 are kept for the history's whole span, so at high rates every young collection
   *                 copies the ones kept since the last: the smaller they are, the shorter the pause.
   */
  private record Kept(long seq, long receivedAt, Object envelope) {
    JsonObject json() {
      return envelope instanceof JsonEnvelope compact ? compact.asJsonObject() : (JsonObject) envelope;
    }
  }

  private final String address;
  private final int maxMessages;
  private final long maxAgeMillis;
  private final ArrayDeque<Kept> kept = new ArrayDeque<>();
  /** The highest seq received; 0 before the first. */
  private long lastSeq;
  /** The highest seq no longer kept (or never seen, before the first received): a client after it has lost nothing. */
  private long droppedUpTo;

  AddressHistory(String address, HistoryRule rule) {
    this.address = address;
    this.maxMessages = rule.maxMessages();
    this.maxAgeMillis = rule.maxAge().toMillis();
  }

  void add(long seq, JsonObject envelope, long now) {
    if (seq <= lastSeq) {
      // Numbers went back: the source started over. What is kept belongs to another life.
      kept.clear();
      lastSeq = 0;
    }
    if (lastSeq == 0) {
      // Whatever came before the first one we saw is unknown to us.
      droppedUpTo = seq - 1;
    }
    lastSeq = seq;
    JsonEnvelope compact = EnvelopeView.untouched(envelope);
    kept.addLast(new Kept(seq, now, compact != null ? compact : envelope));
    while (kept.size() > maxMessages) {
      droppedUpTo = kept.removeFirst().seq;
    }
    dropOld(now);
  }

  /** {@code {mode: messages, address, messages}}, or {@code {mode: gap, address, oldest, messages}} when some after {@code after} are lost. */
  JsonObject after(long after, long now) {
    dropOld(now);
    // A seq above any we received is from before a restart: the client must start over too.
    boolean gap = after < droppedUpTo || after > lastSeq;
    JsonArray messages = new JsonArray();
    for (Kept k : kept) {
      if (gap || k.seq > after) {
        messages.add(k.json());
      }
    }
    JsonObject answer = new JsonObject().put("mode", gap ? "gap" : "messages").put("address", address);
    if (gap) {
      answer.put("oldest", kept.isEmpty() ? null : kept.peekFirst().seq);
    }
    return answer.put("messages", messages);
  }

  private void dropOld(long now) {
    while (!kept.isEmpty() && now - kept.peekFirst().receivedAt > maxAgeMillis) {
      droppedUpTo = kept.removeFirst().seq;
    }
  }
}
