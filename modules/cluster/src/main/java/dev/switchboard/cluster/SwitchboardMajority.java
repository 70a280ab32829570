package dev.switchboard.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionFunction;

import java.util.Collection;

/**
 * Hazelcast's split-brain protection for Switchboard's maps: present while a majority of the configured
 * Switchboard nodes are members. Only members that carry the Switchboard attribute count, so the
 * lite members of users' own applications never make a minority look like a majority.
 */
final class SwitchboardMajority implements SplitBrainProtectionFunction {
  static final String NODE_ATTRIBUTE = "switchboard.node";
  private final int majority;

  SwitchboardMajority(int majority) {
    this.majority = majority;
  }

  @Override
  public boolean apply(Collection<Member> members) {
    return count(members) >= majority;
  }

  static long count(Collection<Member> members) {
    return members.stream().filter(m -> Members.node(m) != null).count();
  }
}
