package dev.switchboard.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.splitbrainprotection.HeartbeatAware;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionFunction;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

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
 * The same heartbeats tell {@link Ownership} since when a majority has not been heard from
 * ({@link #majorityHeardAt}): an owner cut off that long stops its listeners whatever its renewals say.
 * <p>
 * Hazelcast calls {@link #apply}, {@link #onHeartbeat} and the membership events on one thread, {@code apply}
 * at least every heartbeat interval; {@link #heard} and {@link #majorityHeardAt} are read from any thread.
 */
final class SwitchboardMajority implements SplitBrainProtectionFunction, HeartbeatAware, MembershipListener {
  static final String NODE_ATTRIBUTE = "switchboard.node";
  private final int majority;
  private final long withinNanos;
  /** System.nanoTime, but for tests. */
  private final LongSupplier clock;
  /** When (nanoTime, on receipt) each other member was last heard from: a heartbeat, or its joining. */
  private final Map<Member, Long> heardAt = new ConcurrentHashMap<>();

  /**
   * @param majority how many Switchboard nodes make a majority
   * @param within   how recently another node must have been heard from to count
   */
  SwitchboardMajority(int majority, Duration within) {
    this(majority, within, System::nanoTime);
  }

  SwitchboardMajority(int majority, Duration within, LongSupplier clock) {
    this.majority = majority;
    this.withinNanos = within.toNanos();
    this.clock = clock;
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
    long now = clock.getAsLong();
    heardAt.keySet().retainAll(members); // a member gone, or back from a merge under a new identity
    members.forEach(m -> heardAt.putIfAbsent(m, now)); // one listed before its first heartbeat here: just heard
    return heard(members).size() >= majority;
  }

  /** The Switchboard nodes among {@code members} that count now: this one, and the others heard from recently. */
  List<String> heard(Collection<Member> members) {
    long now = clock.getAsLong();
    return Members.names(members.stream().filter(m -> m.localMember() || now - lastHeard(m, now) < withinNanos).toList());
  }

  /**
   * Since when (nanoTime) this node has not heard from a majority: the latest heartbeat of the other Switchboard node
   * that completes the majority (this node counts itself; a node listed twice, restarted under its name, counts
   * once). {@code now} when this node alone is a majority; empty when too few others are listed to make one, where
   * the majority is plainly absent and renewals fail.
   */
  OptionalLong majorityHeardAt(Collection<Member> members) {
    long now = clock.getAsLong();
    int others = majority - 1;
    if (others <= 0) {
      return OptionalLong.of(now);
    }
    Map<String, Long> byNode = new HashMap<>();
    members.stream().filter(m -> !m.localMember() && Members.node(m) != null)
        .forEach(m -> byNode.merge(Members.node(m), lastHeard(m, now), (a, b) -> a - b > 0 ? a : b));
    // Ages, not raw nanoTime values, are ordered: nanoTime may wrap.
    long[] youngestFirst = byNode.values().stream().mapToLong(t -> now - t).sorted().toArray();
    return youngestFirst.length >= others ? OptionalLong.of(now - youngestFirst[others - 1]) : OptionalLong.empty();
  }

  /** Reads only: a member not yet seen by {@link #apply} counts as just heard, as it will there. */
  private long lastHeard(Member member, long now) {
    return heardAt.getOrDefault(member, now);
  }

  @Override
  public void onHeartbeat(Member member, long timestamp) {
    // The sender's timestamp is its own clock's: receipt on this node's monotonic clock is what counts.
    heardAt.put(member, clock.getAsLong());
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    heardAt.put(event.getMember(), clock.getAsLong());
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    heardAt.remove(event.getMember());
  }
}
