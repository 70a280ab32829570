package dev.switchboard.cluster;

import java.io.Serializable;

/**
 * One listener's ownership, as kept in the lease map. Changed only by compare-and-set
 * ({@link LeaseSwap}), so two nodes can never both believe a claim of theirs succeeded.
 *
 * @param owner    the node that holds (or last held) it
 * @param boot     the owner process's boot id: a restarted node with the same name is another owner
 * @param epoch    grows by one with every new owner; everything the owner says carries it
 * @param renewals grows with every renewal: a candidate sees a live owner by this changing
 * @param held     false once the owner has let it go (shut down, handed over, or the listener removed)
 */
public record Lease(String owner, String boot, long epoch, long renewals, boolean held) implements Serializable {

  Lease renewed() {
    return new Lease(owner, boot, epoch, renewals + 1, true);
  }

  Lease released() {
    return new Lease(owner, boot, epoch, renewals, false);
  }

  /** A new owner's lease: the epoch after both the previous lease's and {@code floor} (the highest known elsewhere). */
  static Lease claimedAfter(Lease previous, long floor, String owner, String boot) {
    return new Lease(owner, boot, Math.max(previous == null ? 0 : previous.epoch, floor) + 1, 0, true);
  }

  boolean heldBy(String node, String bootId) {
    return held && owner.equals(node) && boot.equals(bootId);
  }
}
