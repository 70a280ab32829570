package dev.switchboard.bench.relay;

/**
 * Latencies in 10 µs buckets up to 2 s, everything above in the last bucket. Not thread-safe:
 * one per event loop, merged at the end.
 */
final class LatencyHistogram {
  private static final long BUCKET_NANOS = 10_000;
  private final long[] counts = new long[200_001];
  private long total;

  void record(long nanos) {
    int bucket = (int) Math.min(counts.length - 1, Math.max(0, nanos / BUCKET_NANOS));
    counts[bucket]++;
    total++;
  }

  /** Adds {@code n} latencies to one bucket (a histogram read from another process). */
  void record(int bucket, long n) {
    counts[Math.min(counts.length - 1, Math.max(0, bucket))] += n;
    total += n;
  }

  void add(LatencyHistogram other) {
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
    total += other.total;
  }

  long total() {
    return total;
  }

  /** The upper edge of the bucket holding the given quantile, in milliseconds; NaN when empty. */
  double quantileMillis(double q) {
    if (total == 0) {
      return Double.NaN;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return (i + 1) * BUCKET_NANOS / 1e6;
      }
    }
    return counts.length * BUCKET_NANOS / 1e6;
  }
}
