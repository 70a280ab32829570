package dev.switchboard.upstream;

import java.util.concurrent.atomic.AtomicLong;

/**
 * When the last connection of a feed listener ended, kept across its instances (design invariant 6),
 * so that the next connection can say what window it may have missed.
 */
final class FeedOutages {
  /** Epoch millis when the last connection ended; 0 before the first one ended. */
  final AtomicLong lastEndedAt = new AtomicLong();
  /** In a cluster, the owner's epoch when it ended: under another epoch, another node had the stream in between. */
  final AtomicLong lastEpoch = new AtomicLong();
}
