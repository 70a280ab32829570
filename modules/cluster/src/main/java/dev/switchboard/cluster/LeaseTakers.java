package dev.switchboard.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.util.UUID;

/**
 * The member processes that take leases now, in a majority-protected map keyed by member UUID: a node
 * is one from its first successful {@link #join} after {@link Ownership#begin()} (everything that consumes
 * its listeners' data is up, and it follows the cluster's records) until it leaves. A node that has joined
 * the cluster but is still starting is not one: a listener handed to it would run nowhere until its start
 * ends, and for a whole lease if that start fails.
 */
final class LeaseTakers implements MembershipListener {
  static final String MAP = "switchboard.takers";

  private final Context context;
  private final HazelcastInstance hazelcast;
  private final String node;
  private IMap<String, String> map;
  private UUID registration;
  /** The member UUID this process last said it takes leases as; null before it has, and once it has left. */
  private volatile String joinedAs;

  LeaseTakers(Context context, HazelcastInstance hazelcast, String node) {
    this.context = context;
    this.hazelcast = hazelcast;
    this.node = node;
  }

  void start() {
    map = hazelcast.getMap(MAP);
    registration = hazelcast.getCluster().addMembershipListener(this);
  }

  void stop() {
    if (registration != null && hazelcast.getLifecycleService().isRunning()) {
      hazelcast.getCluster().removeMembershipListener(registration);
    }
  }

  /** This process takes leases from now on. */
  Future<Void> join(long timeoutMs) {
    if (!hazelcast.getLifecycleService().isRunning()) {
      return Future.failedFuture("Hazelcast is not running");
    }
    String as = self();
    return HazelcastCalls.call(context, timeoutMs, () -> map.putAsync(as, node)).onSuccess(v -> joinedAs = as).mapEmpty();
  }

  /** This process is leaving: nothing is handed to it any more. */
  Future<Void> leave(long timeoutMs) {
    joinedAs = null;
    return HazelcastCalls.call(context, timeoutMs, () -> map.removeAsync(self())).mapEmpty();
  }

  /**
   * True while this process's last {@link #join} was made as the member it is now. Merging back after a split
   * gives a member a new UUID, which no entry names: it must join again, or nothing is handed to it.
   */
  boolean joinedAsThisMember() {
    return joinedAs != null && hazelcast.getLifecycleService().isRunning() && self().equals(joinedAs);
  }

  /** Whether the member that is Switchboard node {@code name} now takes leases; false when unsure. */
  Future<Boolean> takes(String name, long timeoutMs) {
    Member member = hazelcast.getCluster().getMembers().stream()
        .filter(m -> name.equals(Members.node(m)))
        .findFirst().orElse(null);
    if (member == null) {
      return Future.succeededFuture(false);
    }
    return HazelcastCalls.call(context, timeoutMs, () -> map.getAsync(member.getUuid().toString()))
        .map(name::equals)
        .otherwise(false);
  }

  private String self() {
    return hazelcast.getCluster().getLocalMember().getUuid().toString();
  }

  @Override
  public void memberAdded(MembershipEvent event) {
  }

  /**
   * A member that left without a word (killed) takes nothing either. Every node removes its entry, so one
   * failure is no matter; an entry a merge brings back names a process that is gone, and matches no member.
   */
  @Override
  public void memberRemoved(MembershipEvent event) {
    String gone = event.getMember().getUuid().toString();
    context.runOnContext(v -> HazelcastCalls.call(context, 5_000, () -> map.removeAsync(gone)));
  }
}
