package dev.switchboard.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The Switchboard nodes that are members now (users' own members left out), whether they are a
 * majority, and who should own a listener: rendezvous hashing, so that a node joining or leaving moves
 * only the listeners that rank it first.
 */
final class Members {
  private final HazelcastInstance hazelcast;
  private final int majority;

  Members(HazelcastInstance hazelcast, int majority) {
    this.hazelcast = hazelcast;
    this.majority = majority;
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
    return members.stream().filter(m -> !m.isLiteMember())
        .map(m -> m.<String>getAttribute(SwitchboardMajority.NODE_ATTRIBUTE))
        .filter(n -> n != null).sorted().distinct().toList();
  }

  boolean majorityPresent() {
    return nodes().size() >= majority;
  }

  int majority() {
    return majority;
  }

  /** The node that ranks first for {@code listener} among {@code candidates}; null when there are none. */
  static String first(String listener, List<String> candidates) {
    return candidates.stream().max(Comparator.comparingLong((String node) -> weight(node, listener)).thenComparing(n -> n))
        .orElse(null);
  }

  private static long weight(String node, String listener) {
    CRC32C crc = new CRC32C();
    crc.update((node + '\u0000' + listener).getBytes(StandardCharsets.UTF_8));
    long x = crc.getValue() * 0x9E3779B97F4A7C15L; // spread the 32 bits over 64
    return x ^ (x >>> 29);
  }
}
