package dev.switchboard.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;

import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;

/**
 * The Switchboard nodes that are members now (users' own members left out), and whether they are a
 * majority: counted as the protected maps count them ({@link SwitchboardMajority}), from the nodes
 * heard from recently.
 */
final class Members {
  private final HazelcastInstance hazelcast;
  private final int majority;
  private final SwitchboardMajority function;

  Members(HazelcastInstance hazelcast, int majority) {
    this.hazelcast = hazelcast;
    this.majority = majority;
    this.function = SwitchboardMajority.of(hazelcast);
  }

  /** The names of the Switchboard nodes in this member's view of the cluster, sorted. */
  List<String> nodes() {
    if (!hazelcast.getLifecycleService().isRunning()) {
      return List.of();
    }
    return names(hazelcast.getCluster().getMembers());
  }

  /** The names of the Switchboard nodes among {@code members}, sorted; users' lite members are left out. */
  static List<String> names(Collection<Member> members) {
    return members.stream().map(Members::node).filter(n -> n != null).sorted().distinct().toList();
  }

  /** The Switchboard node a member is; null for a lite member or a member of another application. */
  static String node(Member member) {
    return member.isLiteMember() ? null : member.getAttribute(SwitchboardMajority.NODE_ATTRIBUTE);
  }

  /** The Switchboard nodes that count toward the majority now: this one, and the members heard from recently. */
  List<String> heard() {
    if (!hazelcast.getLifecycleService().isRunning()) {
      return List.of();
    }
    return function.heard(hazelcast.getCluster().getMembers());
  }

  /**
   * How the Switchboard nodes that count from other {@code members}, or time the cluster otherwise, differ from this one,
   * in words: none of them counts here.
   */
  List<String> disagreements() {
    if (!hazelcast.getLifecycleService().isRunning()) {
      return List.of();
    }
    return function.disagreements(hazelcast.getCluster().getMembers());
  }

  /** Since when (nanoTime) no majority has been heard from ({@link SwitchboardMajority#majorityHeardAt}); empty without one listed. */
  OptionalLong majorityHeardAt() {
    if (!hazelcast.getLifecycleService().isRunning()) {
      return OptionalLong.empty();
    }
    return function.majorityHeardAt(hazelcast.getCluster().getMembers());
  }

  boolean majorityPresent() {
    return heard().size() >= majority;
  }

  int majority() {
    return majority;
  }
}
