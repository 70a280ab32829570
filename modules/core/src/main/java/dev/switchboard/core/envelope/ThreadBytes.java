package dev.switchboard.core.envelope;

/**
 * This thread's byte array, reused: a message's bytes are put together in it by plain stores, then
 * copied into a buffer with one call. A new array per message made the young collections at 10,000
 * messages/s about a tenth more frequent (docs/performance.md, "Tenth pass"). What a caller gets is
 * valid until its next call on the same thread: copy it out before anything else can ask.
 */
public final class ThreadBytes {
  private static final int MAX_KEPT = 4_096;
  private static final ThreadLocal<byte[]> KEPT = ThreadLocal.withInitial(() -> new byte[256]);

  private ThreadBytes() {
  }

  /** An array of at least {@code length} bytes: this thread's, or, past the longest kept, a new one. */
  public static byte[] atLeast(int length) {
    byte[] kept = KEPT.get();
    if (kept.length >= length) {
      return kept;
    }
    if (length > MAX_KEPT) {
      return new byte[length];
    }
    byte[] larger = new byte[Math.min(MAX_KEPT, Math.max(length, 2 * kept.length))];
    KEPT.set(larger);
    return larger;
  }
}
