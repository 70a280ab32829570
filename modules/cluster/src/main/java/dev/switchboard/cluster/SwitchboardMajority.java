package dev.switchboard.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.splitbrainprotection.HeartbeatAware;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionFunction;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hazelcast's split-brain protection for Switchboard's maps: present while a majority of the configured
 * Switchboard nodes are members <em>and have been heard from recently</em>. Only members that carry the
 * Switchboard attribute count, so the lite members of users' own applications never make a minority
 * look like a majority.
 * <p>
 * Why heard from, not only listed: a node cut off from the others (a network partition) keeps them in
 * its member list for {@code maxSilence}, and meanwhile its lease renewals succeed on the map
 * partitions it holds itself. Counting only members whose heartbeat arrived within {@link #within}
 * takes the majority away from it a few heartbeats into the cut, so it stops its listeners well before
 * the others may take their leases ({@link ClusterSettings} checks that the timing allows it).
 * <p>
 * Hazelcast calls {@link #apply} and {@link #onHeartbeat} on one thread, and again every heartbeat
 * interval; {@link #heard} is read from any thread.
 */
final class SwitchboardMajority implements SplitBrainProtectionFunction, HeartbeatAware, MembershipListener {
  static final String NODE_ATTRIBUTE = "switchboard.node";
  private final int majority;
  private final long withinNanos;
  /** When (nanoTime, on receipt) each other member was last heard from: a heartbeat, or its joining. */
  private final Map<Member, Long> heardAt = new ConcurrentHashMap<>();

  /**
   * @param majority how many Switchboard nodes make a majority
   * @param within   how recently another node must have been heard from to count
   */
  SwitchboardMajority(int majority, Duration within) {
    this.majority = majority;
    this.withinNanos = within.toNanos();
  }

  /** The function Hazelcast runs for {@code hazelcast}'s protected maps. */
  static SwitchboardMajority of(HazelcastInstance hazelcast) {
    return (SwitchboardMajority) hazelcast.getConfig().getSplitBrainProtectionConfig(ClusteredVertx.MAJORITY).getFunctionImplementation();
  }

  /** How recently another node must have been heard from to count toward the majority. */
  static Duration within(Duration heartbeat) {
    return heartbeat.multipliedBy(3);
  }

  @Override
  public boolean apply(Collection<Member> members) {
    return heard(members).size() >= majority;
  }

  /** The Switchboard nodes among {@code members} that count now: this one, and the others heard from recently. */
  List<String> heard(Collection<Member> members) {
    long now = System.nanoTime();
    return Members.names(members.stream().filter(m -> m.localMember() || now - heardAt.computeIfAbsent(m, x -> now) < withinNanos).toList());
  }

  @Override
  public void onHeartbeat(Member member, long timestamp) {
    // The sender's timestamp is its own clock's: receipt on this node's monotonic clock is what counts.
    heardAt.put(member, System.nanoTime());
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    heardAt.put(event.getMember(), System.nanoTime());
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    heardAt.remove(event.getMember());
  }
}
