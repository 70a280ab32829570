package dev.switchboard.status;

import dev.switchboard.core.envelope.EnvelopeView;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The last envelopes of one data address, bounded by count and by age. The seqs of one address need
 * not be consecutive (a market listener numbers all its symbols in one sequence), so a gap is known
 * from what was dropped, not from holes in the numbers.
 */
final class AddressHistory {
  private static final int SCRATCH_BYTES = 1024;

  private final String address;
  private final int maxMessages;
  private final long maxAgeMillis;
  /** Encoded: what a client is sent is what was received then, whoever holds the envelope since. */
  private final EnvelopeRing kept = new EnvelopeRing();
  /**
   * The most one answer carries, in encoded envelopes: it is one event-bus message, parsed, copied and
   * encoded again on one event loop, and any browser may ask (1,000 kept envelopes of 64 KB were 64 MB).
   * Well under the bridge's default queue bound per client (4 MB), which a larger answer would pass.
   */
  static final int MAX_ANSWER_BYTES = 1024 * 1024;
  /** Where an envelope is encoded for the ring to copy: reused, so keeping one allocates nothing. */
  private final ByteBuf scratch = Unpooled.buffer(SCRATCH_BYTES);
  private final Buffer scratchBuffer = BufferInternal.buffer(scratch);
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
    while (kept.size() >= maxMessages) {
      dropFirst();
    }
    scratch.clear();
    kept.add(seq, now, EnvelopeView.appendJson(envelope, scratchBuffer)); // the upstream's own bytes, for the feed's
    if (scratch.capacity() > 64 * SCRATCH_BYTES) {
      scratch.clear().capacity(SCRATCH_BYTES); // one large message does not keep a large buffer
    }
    dropOld(now);
  }

  /**
   * {@code {mode: messages, address, messages}}: every kept envelope after {@code after}; or
   * {@code {mode: gap, address, oldest, messages}} when the client does not get some after {@code after}:
   * lost, or left out of this answer. {@code ts} (null: not given) is the client's envelope's: with it, a
   * seq of another count (the server restarted, the listener was defined again) is told from ours. At most
   * the newest {@code last} messages are answered (a page that shows 50 need not download 1,000), and at
   * most {@link #MAX_ANSWER_BYTES} of them (always the newest one): an answer is one event-bus message.
   */
  JsonObject after(long after, Long ts, long last, long now) {
    dropOld(now);
    // A seq above any we received is from before a restart: the client must start over too. One within
    // what we keep names an envelope we hold, or it was counted by another life of the source.
    boolean gap = after < droppedUpTo || after > lastSeq || (after > droppedUpTo && !holds(after, ts));
    int wanted = kept.size(); // the oldest of the envelopes the client should get
    while (wanted > 0 && (gap || kept.seq(wanted - 1) > after)) {
      wanted--;
    }
    int from = (int) Math.max(wanted, kept.size() - Math.min(last, kept.size()));
    long bytes = 0;
    int start = kept.size();
    while (start > from && (start == kept.size() || bytes + kept.length(start - 1) <= MAX_ANSWER_BYTES)) {
      bytes += kept.length(--start);
    }
    gap |= start > wanted;
    JsonArray messages = new JsonArray();
    for (int i = start; i < kept.size(); i++) {
      messages.add(kept.json(i));
    }
    JsonObject answer = new JsonObject().put("mode", gap ? "gap" : "messages").put("address", address);
    if (gap) {
      answer.put("oldest", kept.size() == 0 ? null : kept.seq(0));
    }
    return answer.put("messages", messages);
  }

  /** Whether the envelope numbered {@code seq} is kept, and, when {@code ts} is given, stamped {@code ts}. */
  private boolean holds(long seq, Long ts) {
    int low = 0;
    int high = kept.size() - 1;
    while (low <= high) { // kept in the order received, which is the order of the seqs
      int middle = (low + high) >>> 1;
      long at = kept.seq(middle);
      if (at < seq) {
        low = middle + 1;
      } else if (at > seq) {
        high = middle - 1;
      } else {
        return ts == null || (kept.json(middle).getValue("ts") instanceof Number stamped && stamped.longValue() == ts);
      }
    }
    return false;
  }

  private void dropOld(long now) {
    while (kept.size() > 0 && now - kept.time(0) > maxAgeMillis) {
      dropFirst();
    }
  }

  private void dropFirst() {
    droppedUpTo = kept.seq(0);
    kept.removeFirst();
  }
}
