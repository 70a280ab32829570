package dev.switchboard.bench.relay;

/**
 * What one Java client has received: its highest seq, and the distinct seqs of the window it last
 * counted in. A seq not above its highest is a duplicate, counted in the window only if it is one
 * of the window's seqs, and no delivery. Touched by one thread (its connection's event loop);
 * read by others, racy but final once the stream drained.
 */
final class ClientTally {
  private volatile long last;
  private volatile long inWindow;
  private volatile MeasuringWindow countedIn = MeasuringWindow.NONE;

  /**
   * Counts one received seq, with its send-to-receive latency.
   *
   * @return whether it was new to this client: a delivery, not a duplicate
   */
  boolean receive(long seq, long latencyNanos, MeasuringWindow window) {
    if (seq <= last) {
      if (window.contains(seq)) {
        window.duplicate();
      }
      return false;
    }
    last = seq;
    if (window.contains(seq)) {
      if (countedIn != window) {
        countedIn = window;
        inWindow = 0;
      }
      inWindow++;
      window.latency(latencyNanos);
    }
    return true;
  }

  long last() {
    return last;
  }

  /** Distinct seqs of {@code window} this client received. */
  long inWindow(MeasuringWindow window) {
    return countedIn == window ? inWindow : 0;
  }
}
