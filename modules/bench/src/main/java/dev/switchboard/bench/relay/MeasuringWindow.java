package dev.switchboard.bench.relay;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * One round's measured window of the Java client fleet: the seqs from {@code first} to {@code last}
 * count towards loss, duplicates and latency. Each round opens a new one, so nothing a warm-up or an
 * earlier round received is counted in it.
 */
final class MeasuringWindow {
  /** Before the first round: contains no seq. */
  static final MeasuringWindow NONE = new MeasuringWindow(Long.MAX_VALUE);

  private final long first;
  private volatile long last = Long.MAX_VALUE;
  private final LongAdder duplicates = new LongAdder();
  /** One histogram per event loop (not thread-safe), merged when read. */
  private final List<LatencyHistogram> histograms = new CopyOnWriteArrayList<>();
  private final ThreadLocal<LatencyHistogram> histogram = ThreadLocal.withInitial(() -> {
    LatencyHistogram h = new LatencyHistogram();
    histograms.add(h);
    return h;
  });

  MeasuringWindow(long first) {
    this.first = first;
  }

  /** The window ends at {@code last}, the generator's last seq of the round. */
  void close(long last) {
    this.last = last;
  }

  boolean contains(long seq) {
    return seq >= first && seq <= last;
  }

  /** How many seqs each client should have of this window (once closed). */
  long expectedPerClient() {
    return last - first + 1;
  }

  void duplicate() {
    duplicates.increment();
  }

  void latency(long nanos) {
    histogram.get().record(nanos);
  }

  /** Duplicates of this window's seqs, all clients together. */
  long duplicates() {
    return duplicates.sum();
  }

  LatencyHistogram latencies() {
    LatencyHistogram all = new LatencyHistogram();
    histograms.forEach(all::add);
    return all;
  }
}
