package dev.switchboard.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.splitbrainprotection.HeartbeatAware;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
 * Every node must count from the same {@code members}: each counts against its own list, and two lists can
 * make two majorities at once (three nodes still on a list of three, two started on a list of five, and one of
 * the three restarted on it: two of three on one side, three of five on the other). Every node must time the
 * cluster alike too: an owner stops its listener in time for the lease {@code duration} of <em>another</em> node,
 * and a node drops members silent for its own {@code maxSilence}, which must allow for their heartbeat. Each node
 * publishes its list ({@link #MEMBERS_ATTRIBUTE}) and its timing ({@link #TIMING_ATTRIBUTE}); while any
 * Switchboard member has another list or timing than this node, this node counts only itself, and so does that
 * member: nothing runs on either until they agree.
 * <p>
 * Hazelcast calls {@link #apply}, {@link #onHeartbeat} and the membership events on one thread, {@code apply}
 * at least every heartbeat interval; {@link #heard} and {@link #majorityHeardAt} are read from any thread.
 */
final class SwitchboardMajority implements SplitBrainProtectionFunction, HeartbeatAware, MembershipListener {
  static final String NODE_ATTRIBUTE = "switchboard.node";
  /** The members this node counts from, sorted and joined: {@link #membersAttribute}. */
  static final String MEMBERS_ATTRIBUTE = "switchboard.members";
  /** The cluster's timing as this node has it: {@link #timingAttribute}. */
  static final String TIMING_ATTRIBUTE = "switchboard.timing";
  private static final Logger LOG = LoggerFactory.getLogger(SwitchboardMajority.class);
  private final String membersList;
  private final String timing;
  private final int majority;
  private final long withinNanos;
  /** System.nanoTime, but for tests. */
  private final LongSupplier clock;
  /** When (nanoTime, on receipt) each other member was last heard from: a heartbeat, or its joining. */
  private final Map<Member, Long> heardAt = new ConcurrentHashMap<>();

  /**
   * @param members every Switchboard node's {@code host:port}: a majority of them must be heard
   * @param timing  this node's {@link #timingAttribute}: a node timed otherwise does not count
   * @param within  how recently another node must have been heard from to count
   */
  SwitchboardMajority(List<String> members, String timing, Duration within) {
    this(members, timing, within, System::nanoTime);
  }

  SwitchboardMajority(List<String> members, String timing, Duration within, LongSupplier clock) {
    this.membersList = membersAttribute(members);
    this.timing = timing;
    this.majority = members.size() / 2 + 1;
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

  /** What a node publishes as {@link #MEMBERS_ATTRIBUTE}: its members, in lower case (host names are), sorted, comma-separated. */
  static String membersAttribute(List<String> members) {
    return String.join(",", members.stream().map(m -> m.toLowerCase(Locale.ROOT)).sorted().toList());
  }

  /**
   * What a node publishes as {@link #TIMING_ATTRIBUTE}: every setting whose value the other nodes' safety rests on
   * ({@code heartbeat=1 s,maxSilence=5 s,lease.renewInterval=1 s,...}). {@code rebalanceAfter} is left out: it only
   * decides when this node moves a listener it runs.
   */
  static String timingAttribute(ClusterSettings settings) {
    return String.join(",", "heartbeat=" + ClusterSettings.seconds(settings.heartbeat()),
        "maxSilence=" + ClusterSettings.seconds(settings.maxSilence()),
        "lease.renewInterval=" + ClusterSettings.seconds(settings.lease().renewInterval()),
        "lease.renewDeadline=" + ClusterSettings.seconds(settings.lease().renewDeadline()),
        "lease.duration=" + ClusterSettings.seconds(settings.lease().duration()));
  }

  /**
   * The Switchboard nodes among {@code members} that count now: this one, and the others heard from recently;
   * this one alone while any of them has another members list or timing ({@link #disagreeing}).
   */
  List<String> heard(Collection<Member> members) {
    long now = clock.getAsLong();
    boolean agreed = disagreeing(members).isEmpty();
    return Members.names(members.stream().filter(m -> m.localMember() || agreed && now - lastHeard(m, now) < withinNanos).toList());
  }

  /** The Switchboard nodes among {@code members} that count from other members, or time the cluster otherwise, than this node, sorted. */
  List<String> disagreeing(Collection<Member> members) {
    return Members.names(members.stream().filter(m -> !m.localMember() && disagreement(m) != null).toList());
  }

  /**
   * How each Switchboard node among {@code members} that {@link #disagreeing disagrees} differs from this one, in words
   * ({@code node-b has lease.duration=15 s where this node has 12 s}), sorted by node.
   */
  List<String> disagreements(Collection<Member> members) {
    return members.stream().filter(m -> !m.localMember() && Members.node(m) != null).map(this::disagreement)
        .filter(d -> d != null).sorted().distinct().toList();
  }

  /**
   * How {@code member} differs from this node, or null. A node that publishes no list, or no timing, runs a version from
   * before that check: it cannot be checked, and is counted as it was then (refusing it would leave every upgraded
   * node without a majority until the last node of a rolling upgrade is upgraded).
   */
  private String disagreement(Member member) {
    String node = Members.node(member);
    if (node == null) {
      return null;
    }
    String theirMembers = member.getAttribute(MEMBERS_ATTRIBUTE);
    if (theirMembers != null && !membersList.equals(theirMembers)) {
      return node + " lists other cluster.members: [" + theirMembers + "] where this node has [" + membersList + "]";
    }
    String theirTiming = member.getAttribute(TIMING_ATTRIBUTE);
    if (theirTiming != null && !timing.equals(theirTiming)) {
      // Setting by setting, and only those both publish: a later version may publish more, and a rolling upgrade to it
      // must not find every old node disagreeing.
      Map<String, String> ours = settingsOf(timing);
      List<String> differ = new ArrayList<>();
      settingsOf(theirTiming).forEach((key, value) -> {
        if (ours.containsKey(key) && !ours.get(key).equals(value)) {
          differ.add(key + "=" + value + " where this node has " + ours.get(key));
        }
      });
      if (!differ.isEmpty()) {
        return node + " has " + String.join(", ", differ);
      }
    }
    return null;
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
    if (!disagreeing(members).isEmpty()) {
      return OptionalLong.empty(); // no other node counts: the majority is plainly absent
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

  /** {@code heartbeat=1 s,maxSilence=5 s,...} as a map, in order. */
  private static Map<String, String> settingsOf(String timing) {
    Map<String, String> settings = new LinkedHashMap<>();
    for (String setting : timing.split(",")) {
      int eq = setting.indexOf('=');
      if (eq > 0) {
        settings.put(setting.substring(0, eq), setting.substring(eq + 1));
      }
    }
    return settings;
  }

  @Override
  public void onHeartbeat(Member member, long timestamp) {
    // The sender's timestamp is its own clock's: receipt on this node's monotonic clock is what counts.
    heardAt.put(member, clock.getAsLong());
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    heardAt.put(event.getMember(), clock.getAsLong());
    Member member = event.getMember();
    String disagreement = disagreement(member);
    if (disagreement != null) {
      LOG.error("{} (at {}). No node counts another while they differ, so nothing runs on either: give every node the same "
          + "cluster.members, cluster.heartbeat, cluster.maxSilence and cluster.lease", disagreement, member.getAddress());
    } else if (Members.node(member) != null && member.getAttribute(MEMBERS_ATTRIBUTE) != null
        && member.getAttribute(TIMING_ATTRIBUTE) == null) {
      LOG.warn("node {} (at {}) runs a version that does not publish its timing: it is counted, but nothing checks that its "
          + "cluster.heartbeat, cluster.maxSilence and cluster.lease are this node's ({}); versions before 3 Dec 2026 default to "
          + "lease.renewDeadline 4 s and lease.duration 10 s", Members.node(member), member.getAddress(), timing);
    }
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    heardAt.remove(event.getMember());
  }
}
