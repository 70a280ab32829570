package dev.switchboard.status;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * The encoded envelopes of one address, oldest first: their bytes one after another in one byte array
 * that wraps around, their seqs and times in primitive arrays. None of it is an object the collector
 * traces or copies. Kept as objects, every envelope received since the last young collection had to be
 * copied by it (a thousand at 10,000 messages/s), and that copy set the pause.
 *
 * <p>The arrays grow (doubling) when what is kept does not fit, never past what the caller keeps; the
 * bytes go back to their first size once the ring is empty.
 */
final class EnvelopeRing {
  private static final int FIRST_ENTRIES = 16;
  private static final int FIRST_BYTES = 4_096;

  private long[] seqs = new long[FIRST_ENTRIES];
  private long[] times = new long[FIRST_ENTRIES];
  private int[] offsets = new int[FIRST_ENTRIES];
  private int[] lengths = new int[FIRST_ENTRIES];
  /** The slot of the oldest entry, and how many there are. */
  private int first;
  private int count;
  private byte[] bytes = new byte[FIRST_BYTES];
  /** Where the newest entry's bytes end: the next one starts here, or at 0 when it does not fit before the end. */
  private int end;
  /** The bytes of every entry, without the gap a wrap leaves at the end of the array. */
  private long used;

  int size() {
    return count;
  }

  long seq(int i) {
    return seqs[slot(i)];
  }

  long time(int i) {
    return times[slot(i)];
  }

  /** The encoded size of the {@code i}th envelope, in bytes. */
  int length(int i) {
    return lengths[slot(i)];
  }

  /** The {@code i}th envelope (0 is the oldest), parsed again. */
  JsonObject json(int i) {
    int s = slot(i);
    return new JsonObject(Buffer.buffer(lengths[s]).appendBytes(bytes, offsets[s], lengths[s]));
  }

  void add(long seq, long time, Buffer encoded) {
    int length = encoded.length();
    if (count == seqs.length) {
      growEntries();
    }
    int start = place(length);
    if (start < 0) {
      growBytes(used + length);
      start = place(length);
    }
    encoded.getBytes(0, length, bytes, start);
    int s = slot(count);
    seqs[s] = seq;
    times[s] = time;
    offsets[s] = start;
    lengths[s] = length;
    count++;
    used += length;
    end = start + length;
  }

  void removeFirst() {
    used -= lengths[first];
    first = (first + 1) % seqs.length;
    count--;
    if (count == 0) {
      clear();
    }
  }

  void clear() {
    first = 0;
    count = 0;
    end = 0;
    used = 0;
    if (bytes.length > FIRST_BYTES) {
      bytes = new byte[FIRST_BYTES]; // a burst of large messages does not hold its memory once they are gone
    }
  }

  private int slot(int i) {
    return (first + i) % seqs.length;
  }

  /** Where {@code length} bytes fit without overwriting a kept entry; -1 when they do not. */
  private int place(int length) {
    if (count == 0) {
      return length <= bytes.length ? 0 : -1;
    }
    int oldest = offsets[first];
    if (oldest < end) { // not wrapped: free after the end, then before the oldest
      if (length <= bytes.length - end) {
        return end;
      }
      return length <= oldest ? 0 : -1;
    }
    return length <= oldest - end ? end : -1; // wrapped: free between the newest and the oldest
  }

  /** Twice the bytes (or what {@code needed} takes), the entries copied to the start in order. */
  private void growBytes(long needed) {
    long size = Math.max(2L * bytes.length, needed);
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("a message history cannot keep more than 2 GB for one address");
    }
    byte[] grown = new byte[(int) size];
    int at = 0;
    for (int i = 0; i < count; i++) {
      int s = slot(i);
      System.arraycopy(bytes, offsets[s], grown, at, lengths[s]);
      offsets[s] = at;
      at += lengths[s];
    }
    bytes = grown;
    end = at;
  }

  private void growEntries() {
    int size = seqs.length * 2;
    long[] newSeqs = new long[size];
    long[] newTimes = new long[size];
    int[] newOffsets = new int[size];
    int[] newLengths = new int[size];
    for (int i = 0; i < count; i++) {
      int s = slot(i);
      newSeqs[i] = seqs[s];
      newTimes[i] = times[s];
      newOffsets[i] = offsets[s];
      newLengths[i] = lengths[s];
    }
    seqs = newSeqs;
    times = newTimes;
    offsets = newOffsets;
    lengths = newLengths;
    first = 0;
  }
}
