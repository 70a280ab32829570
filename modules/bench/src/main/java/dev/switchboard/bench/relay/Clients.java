package dev.switchboard.bench.relay;

import io.vertx.core.Future;

/**
 * The benchmark's clients of one run: M WebSocket clients registered on one address, counting what
 * they receive. Two kinds read differently, and a relay is measured with both: {@link ClientFleet}
 * (Vert.x, many frames per read when the relay writes them that way) and {@link NodeFleet} (Node
 * {@code ws}, one frame per event and a {@code JSON.parse} of each, as a browser or a Node app).
 */
interface Clients {
  /** Connects every client to {@code ws://127.0.0.1:<port><path>} and registers each on {@code address}. */
  Future<Void> connect(int port, String path, String address);

  /** Every client has received at least one message. */
  boolean allReceiving();

  long connectedCount();

  /** A new measured window: seqs from {@code first} on count towards loss, duplicates and latency. */
  void openWindow(long first);

  void closeWindow(long last);

  /**
   * Deliveries so far, all clients together: seqs new to their client, duplicates not counted (read
   * often: the generator's closed loop at max rate uses it).
   */
  long delivered();

  /** Duplicates of the current window's seqs (a seq not above the last its client had), all clients together. */
  long duplicates();

  /** Expected deliveries of the window minus the distinct ones received. */
  long missing();

  /** Highest seq that every client has received. */
  long lowestLast();

  LatencyHistogram latencies();

  Future<Void> close();

  /** What {@code --clients} names: {@code java} or {@code node}. */
  String kind();
}
