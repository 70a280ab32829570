package dev.switchboard.cluster;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.impl.MemberImpl;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The arithmetic of the majority counted from heartbeats, on a clock the test moves: who counts, and
 * since when this node has heard from a majority (what {@link Ownership} fences on). The members are
 * Hazelcast's own member objects; a real cluster cut off is {@code ClusterPartitionIT}'s (server module).
 */
class SwitchboardMajorityTest {
  private static final long S = 1_000_000_000L;
  /** Where nanoTime wraps within the tests' few seconds: ages must be compared, never raw values. */
  private final AtomicLong now = new AtomicLong(Long.MAX_VALUE - 3 * S);
  private int port = 5701;
  private static final List<String> THREE = List.of("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703");
  private static final List<String> FIVE = List.of("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703", "127.0.0.1:5704", "127.0.0.1:5705");
  /** The members list every member the tests make publishes, unless a test says otherwise. */
  private List<String> listed = THREE;
  private static final String DEFAULT_TIMING = SwitchboardMajority.timingAttribute(LoopbackSettings.of("node-a", "t", 5701, THREE));
  /** The timing every member the tests make publishes, unless a test says otherwise. */
  private String timed = DEFAULT_TIMING;

  @Test
  @DisplayName("another node counts while heard from within three heartbeats; this node always; a lite member never")
  void whoCounts() throws Exception {
    SwitchboardMajority majority = new SwitchboardMajority(THREE, DEFAULT_TIMING, Duration.ofSeconds(3), now::get);
    Member a = member("node-a", true, false);
    Member b = member("node-b", false, false);
    Member c = member("node-c", false, false);
    Member lite = member("node-d", false, true); // named like a node: only being lite keeps it out
    List<Member> members = List.of(a, b, c, lite);
    assertEquals(List.of("node-a", "node-b", "node-c"), majority.heard(members), "not yet seen: just heard, as it joined");
    assertTrue(majority.apply(members));

    majority.onHeartbeat(b, 0);
    advance(2);
    majority.onHeartbeat(c, 0);
    advance(1);
    assertEquals(List.of("node-a", "node-c"), majority.heard(members), "node-b's heartbeat is 3 s old");
    assertTrue(majority.apply(members));
    advance(2);
    assertEquals(List.of("node-a"), majority.heard(members));
    assertFalse(majority.apply(members), "this node alone is no majority of three");
    majority.onHeartbeat(b, 0);
    assertTrue(majority.apply(members), "heard again");
  }

  @Test
  @DisplayName("since when a majority has been heard from: the heartbeat that completes it, a node counted once under its name")
  void majorityHeardAt() throws Exception {
    // Five nodes: this one and two others make a majority.
    SwitchboardMajority majority = new SwitchboardMajority(FIVE, DEFAULT_TIMING, Duration.ofSeconds(3), now::get);
    listed = FIVE;
    Member a = member("node-a", true, false);
    Member b = member("node-b", false, false);
    Member c = member("node-c", false, false);
    Member bRestarted = member("node-b", false, false); // listed beside its old identity until Hazelcast drops that
    long start = now.get();
    majority.apply(List.of(a, b, c, bRestarted));
    majority.onHeartbeat(c, 0);
    advance(5);
    majority.onHeartbeat(b, 0);
    advance(1);
    majority.onHeartbeat(bRestarted, 0);
    advance(1);
    assertEquals(OptionalLong.of(start), majority.majorityHeardAt(List.of(a, b, c, bRestarted)),
        "node-b's two identities are one node: the majority's second other is node-c, heard at the start");
    majority.onHeartbeat(c, 0);
    assertEquals(OptionalLong.of(start + 6 * S), majority.majorityHeardAt(List.of(a, b, c, bRestarted)));
    assertEquals(OptionalLong.empty(), majority.majorityHeardAt(List.of(a, b, bRestarted)), "too few listed to make a majority");
  }

  @Test
  @DisplayName("a majority of one is always heard; a member no longer listed is forgotten")
  void aloneAndRemoved() throws Exception {
    listed = List.of("127.0.0.1:5701");
    Member a = member("node-a", true, false);
    assertEquals(OptionalLong.of(now.get()), new SwitchboardMajority(List.of("127.0.0.1:5701"), DEFAULT_TIMING, Duration.ofSeconds(3), now::get).majorityHeardAt(List.of(a)));

    SwitchboardMajority majority = new SwitchboardMajority(THREE, DEFAULT_TIMING, Duration.ofSeconds(3), now::get);
    listed = THREE;
    a = member("node-a", true, false);
    Member b = member("node-b", false, false);
    majority.apply(List.of(a, b));
    advance(4);
    assertEquals(List.of("node-a"), majority.heard(List.of(a, b)));
    majority.apply(List.of(a)); // Hazelcast's view without node-b
    assertEquals(List.of("node-a", "node-b"), majority.heard(List.of(a, b)), "forgotten: listed again, it counts as just heard");
  }

  private void advance(long seconds) {
    now.addAndGet(seconds * S);
  }

  private Member member(String node, boolean local, boolean lite) throws UnknownHostException {
    return new MemberImpl.Builder(new Address("127.0.0.1", port++)).uuid(UUID.randomUUID()).localMember(local).liteMember(lite)
        .attributes(node == null ? Map.of() : Map.of(SwitchboardMajority.NODE_ATTRIBUTE, node,
            SwitchboardMajority.MEMBERS_ATTRIBUTE, SwitchboardMajority.membersAttribute(listed),
            SwitchboardMajority.TIMING_ATTRIBUTE, timed)).build();
  }

  @Test
  @DisplayName("while any node lists other members, no node counts another: two lists cannot make two majorities")
  void membersListsDisagree() throws Exception {
    // Three nodes on a list of three; node-d started on a list of five that holds them all, node-a restarted on it.
    SwitchboardMajority onThree = new SwitchboardMajority(THREE, DEFAULT_TIMING, Duration.ofSeconds(3), now::get);
    Member b = member("node-b", true, false);
    Member c = member("node-c", false, false);
    listed = FIVE;
    Member a = member("node-a", false, false);
    Member d = member("node-d", false, false);
    List<Member> seenByB = List.of(a, b, c, d);
    assertEquals(List.of("node-a", "node-d"), onThree.disagreeing(seenByB));
    assertEquals(List.of("node-b"), onThree.heard(seenByB), "only itself");
    assertFalse(onThree.apply(seenByB), "node-b and node-c alone would be two of three");
    assertEquals(OptionalLong.empty(), onThree.majorityHeardAt(seenByB));

    SwitchboardMajority onFive = new SwitchboardMajority(FIVE, DEFAULT_TIMING, Duration.ofSeconds(3), now::get);
    Member aLocal = member("node-a", true, false);
    listed = THREE;
    Member b3 = member("node-b", false, false);
    Member c3 = member("node-c", false, false);
    assertFalse(onFive.apply(List.of(aLocal, b3, c3, d)), "node-a, node-d and another would be three of five");
    listed = FIVE;
    Member e = member("node-e", false, false);
    assertTrue(onFive.apply(List.of(aLocal, d, e)), "once the nodes on the old list are gone, the lists agree: three of five");
  }

  @Test
  @DisplayName("a node that publishes no members list (a version from before it, in a rolling upgrade) is counted as before")
  void aNodeWithoutAListCounts() throws Exception {
    SwitchboardMajority majority = new SwitchboardMajority(THREE, DEFAULT_TIMING, Duration.ofSeconds(3), now::get);
    Member a = member("node-a", true, false);
    Member old = new MemberImpl.Builder(new Address("127.0.0.1", port++)).uuid(UUID.randomUUID())
        .attributes(Map.of(SwitchboardMajority.NODE_ATTRIBUTE, "node-b")).build();
    assertEquals(List.of(), majority.disagreeing(List.of(a, old)));
    assertTrue(majority.apply(List.of(a, old)));
  }

  @Test
  @DisplayName("while any node times the cluster otherwise (a lease taken sooner than this owner stops), no node counts another")
  void timingsDisagree() throws Exception {
    assertEquals("heartbeat=1 s,maxSilence=5 s,lease.renewInterval=1 s,lease.renewDeadline=8 s,lease.duration=12 s", DEFAULT_TIMING);
    SwitchboardMajority majority = new SwitchboardMajority(THREE, DEFAULT_TIMING, Duration.ofSeconds(3), now::get);
    Member a = member("node-a", true, false);
    Member b = member("node-b", false, false);
    ClusterSettings defaults = LoopbackSettings.of("node-c", "t", 5703, THREE);
    timed = SwitchboardMajority.timingAttribute(new ClusterSettings(true, "node-c", "t", "127.0.0.1", 5703, THREE, "127.0.0.1", 0,
        new ClusterSettings.LeaseTiming(defaults.lease().renewInterval(), defaults.lease().renewDeadline(), Duration.ofSeconds(13)),
        defaults.heartbeat(), defaults.maxSilence(), defaults.rebalanceAfter()));
    Member c = member("node-c", false, false);
    List<Member> all = List.of(a, b, c);
    assertEquals(List.of("node-c"), majority.disagreeing(all));
    assertEquals(List.of("node-c has lease.duration=13 s where this node has 12 s"), majority.disagreements(all));
    assertEquals(List.of("node-a"), majority.heard(all), "only itself");
    assertFalse(majority.apply(all), "node-a and node-b would be two of three");
    assertEquals(OptionalLong.empty(), majority.majorityHeardAt(all));
    assertTrue(majority.apply(List.of(a, b)), "once node-c is gone, the others agree");

    listed = FIVE;
    Member d = member("node-d", false, false);
    assertEquals(List.of("node-c has lease.duration=13 s where this node has 12 s",
        "node-d lists other cluster.members: [" + SwitchboardMajority.membersAttribute(FIVE) + "] where this node has ["
            + SwitchboardMajority.membersAttribute(THREE) + "]"), majority.disagreements(List.of(a, b, c, d)));
  }

  @Test
  @DisplayName("timings are compared setting by setting, over the settings both publish: a later version's extra setting is no disagreement")
  void timingsComparedOverWhatBothPublish() throws Exception {
    SwitchboardMajority majority = new SwitchboardMajority(THREE, DEFAULT_TIMING, Duration.ofSeconds(3), now::get);
    Member a = member("node-a", true, false);
    timed = DEFAULT_TIMING + ",lease.somethingNew=3 s";
    Member b = member("node-b", false, false);
    timed = DEFAULT_TIMING.replace("heartbeat=1 s", "heartbeat=2 s") + ",lease.somethingNew=3 s";
    Member c = member("node-c", false, false);
    assertEquals(List.of("node-c has heartbeat=2 s where this node has 1 s"), majority.disagreements(List.of(a, b, c)));
  }

  @Test
  @DisplayName("a node that publishes a members list but no timing (the version before the timing check) is counted as before")
  void aNodeWithoutATimingCounts() throws Exception {
    SwitchboardMajority majority = new SwitchboardMajority(THREE, DEFAULT_TIMING, Duration.ofSeconds(3), now::get);
    Member a = member("node-a", true, false);
    Member old = new MemberImpl.Builder(new Address("127.0.0.1", port++)).uuid(UUID.randomUUID())
        .attributes(Map.of(SwitchboardMajority.NODE_ATTRIBUTE, "node-b", SwitchboardMajority.MEMBERS_ATTRIBUTE,
            SwitchboardMajority.membersAttribute(THREE))).build();
    assertEquals(List.of(), majority.disagreements(List.of(a, old)));
    assertTrue(majority.apply(List.of(a, old)));
  }
}
