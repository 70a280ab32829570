package dev.switchboard.cluster;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code cluster} section of the config file. Off unless {@code enabled}; then every Switchboard
 * node of the cluster lists the same {@code members} (their Hazelcast {@code host:port}) and has the same
 * {@code heartbeat}, {@code maxSilence} and {@code lease} ({@link SwitchboardMajority} counts no node that
 * differs), and a majority of them must be present for anything to run.
 *
 * @param node          this node's name, unique in the cluster: it is the {@code owner} in every status
 * @param name          the cluster's name: nodes with another name never join it
 * @param host          the interface Hazelcast binds and advertises
 * @param port          Hazelcast's member port on {@code host}
 * @param members       every Switchboard node's {@code host:port}; the majority is counted from this list
 * @param eventBusHost  where the event bus listens for other nodes
 * @param eventBusPort  its port (0: any free port, advertised through the cluster)
 * @param lease         how ownership is renewed, fenced and taken over
 * @param heartbeat     how often members say they are alive
 * @param maxSilence    how long a silent member stays a member: a frozen node is noticed after this
 * @param rebalanceAfter how long a connection must have been up before its listener moves to a node that
 *                      joined and ranks first for it (placement spreads listeners without flapping)
 */
public record ClusterSettings(boolean enabled, String node, String name, String host, int port, List<String> members,
                              String eventBusHost, int eventBusPort, LeaseTiming lease, Duration heartbeat,
                              Duration maxSilence, Duration rebalanceAfter) {

  private static final Pattern NODE = Pattern.compile("[A-Za-z0-9_-]{1,40}");
  private static final Pattern MEMBER = Pattern.compile("([A-Za-z0-9.\\-]+|\\[[0-9a-fA-F:]+\\]):([0-9]{1,5})");

  /**
   * @param renewInterval how often the owner renews each lease it holds
   * @param renewDeadline an owner that has not renewed for this long stops its listener by itself (one that has heard from
   *                      no majority stops after {@link ClusterSettings#majoritySilenceLimit()}, at most this and a heartbeat)
   * @param duration      how long a lease must look abandoned (unchanged) before another node takes it
   */
  public record LeaseTiming(Duration renewInterval, Duration renewDeadline, Duration duration) {
  }

  /**
   * The defaults. {@code renewDeadline} rides out a member that stops answering while it keeps leases of listeners other
   * nodes run ({@link #silentMemberWait()}: 8 s); the lease lasts past it by the margins {@link #from} requires.
   */
  public static final ClusterSettings OFF = new ClusterSettings(false, null, "switchboard", "127.0.0.1", 5701, List.of(),
      "127.0.0.1", 0, new LeaseTiming(Duration.ofSeconds(1), Duration.ofSeconds(8), Duration.ofSeconds(12)),
      Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(60));

  /**
   * How long an owner that has heard from no majority keeps its listeners: {@code maxSilence} less one heartbeat, so
   * that cut off one way (the others drop it up to {@code maxSilence} and a heartbeat into the cut, and count its lease
   * unrenewed from the cut) it still stops before they may take the lease; never under the three heartbeats within
   * which a node counts as heard ({@link SwitchboardMajority#within}); and no longer than {@code renewDeadline} and a
   * heartbeat, which {@link #from} makes the lease outlast. 4 s with the defaults.
   */
  public Duration majoritySilenceLimit() {
    Duration oneWay = maxSilence.minus(heartbeat);
    Duration heard = SwitchboardMajority.within(heartbeat);
    Duration floor = oneWay.compareTo(heard) < 0 ? heard : oneWay;
    Duration ceiling = lease.renewDeadline().plus(heartbeat);
    return floor.compareTo(ceiling) < 0 ? floor : ceiling;
  }

  /**
   * How long a lease call may wait on a member that stopped answering (frozen, or its machine gone without closing its
   * connections) which keeps the lease, as Hazelcast's primary copy, of a listener this node runs: until the others
   * remove it ({@code maxSilence}, checked every heartbeat) and the copy on a live member answers, then up to two
   * renewal intervals for the next renewal to be sent. A {@code renewDeadline} shorter than this stops such listeners
   * along with the silent member's own.
   */
  public Duration silentMemberWait() {
    return maxSilence.plus(heartbeat).plus(lease.renewInterval().multipliedBy(2));
  }

  /** How many Switchboard nodes make a majority: nothing runs, and nothing is acknowledged, with fewer. */
  public int majority() {
    return members.size() / 2 + 1;
  }

  /** Reads and validates the section; absent or {@code enabled: false} is {@link #OFF}. */
  public static ClusterSettings from(ConfigSection section) {
    boolean enabled = section.bool("enabled", false);
    if (!enabled) {
      section.accept("node", "name", "host", "port", "members", "eventBus", "lease", "heartbeat", "maxSilence", "rebalanceAfter");
      section.finish();
      return OFF;
    }
    String node = section.requiredString("node");
    if (!NODE.matcher(node).matches()) {
      throw new ConfigException(section.field("node"), "must be 1 to 40 letters, digits, '-' or '_'");
    }
    String name = section.optionalString("name", "switchboard");
    if (!NODE.matcher(name).matches()) {
      throw new ConfigException(section.field("name"), "must be 1 to 40 letters, digits, '-' or '_'");
    }
    String host = section.optionalString("host", "127.0.0.1");
    if (host.contains(":") || host.startsWith("[")) {
      // Hazelcast's interface and public address, the event bus and the members check would each need it written
      // another way (bracketed or not); not supported rather than half working.
      throw new ConfigException(section.field("host"), "must be an IPv4 address or a host name; IPv6 is not supported, not \"" + host + "\"");
    }
    int port = section.integer("port", 5701, 1, 65_535);
    List<String> members = members(section);
    ConfigSection eventBus = section.section("eventBus");
    String eventBusHost = eventBus.optionalString("host", host);
    int eventBusPort = eventBus.integer("port", 0, 0, 65_535);
    eventBus.finish();
    LeaseTiming lease = lease(section.section("lease"));
    Duration heartbeat = wholeSeconds(section, "heartbeat", OFF.heartbeat);
    Duration maxSilence = wholeSeconds(section, "maxSilence", OFF.maxSilence);
    if (maxSilence.compareTo(heartbeat.multipliedBy(2)) < 0) {
      throw new ConfigException(section.field("maxSilence"), "must be at least twice heartbeat (" + heartbeat.toSeconds() + " s)");
    }
    if (lease.duration().compareTo(maxSilence) <= 0) {
      throw new ConfigException(section.field("lease") + ".duration", "must be longer than maxSilence (" + maxSilence.toSeconds()
          + " s): a frozen owner is removed from the cluster before its lease is taken");
    }
    // Ownership stops a listener once its lease has not been renewed for renewDeadline, or once no majority has been heard
    // from for majoritySilenceLimit(), at most renewDeadline + heartbeat (a node cut off by the network, whose renewals of
    // leases on its own partitions succeed until its majority is counted gone). The others count the lease from the last
    // renewal they saw, a renewInterval or so before the cut; the second renewInterval is the slack of the check, and of a
    // late renewal. (A cut one way only is covered when the lease is longer than maxSilence + heartbeat +
    // majoritySilenceLimit() + renewInterval and a check, as the defaults' is: docs/cluster.md. Warned about at start, not
    // refused: a test's long maxSilence would need a far longer lease.)
    if (lease.renewDeadline().compareTo(heartbeat.multipliedBy(2)) < 0) {
      throw new ConfigException(section.field("lease") + ".renewDeadline", "must be at least twice heartbeat (" + seconds(heartbeat)
          + "): one late heartbeat must not stop a listener");
    }
    Duration stopped = lease.renewDeadline().plus(heartbeat).plus(lease.renewInterval().multipliedBy(2));
    if (lease.duration().compareTo(stopped) <= 0) {
      throw new ConfigException(section.field("lease") + ".duration", "must be longer than renewDeadline + heartbeat + 2 x renewInterval ("
          + seconds(stopped) + "): an owner that is frozen, or cut off from the others, must have stopped by itself before another node"
          + " can take its lease");
    }
    Duration rebalanceAfter = section.duration("rebalanceAfter", OFF.rebalanceAfter);
    section.finish();
    String self = host + ":" + port;
    if (!members.contains(self)) {
      throw new ConfigException(section.field("members"), "must list this node itself as \"" + self + "\" (host:port): "
          + "the majority is counted from this list");
    }
    return new ClusterSettings(true, node, name, host, port, List.copyOf(members), eventBusHost, eventBusPort, lease, heartbeat,
        maxSilence, rebalanceAfter);
  }

  private static List<String> members(ConfigSection section) {
    if (!section.has("members")) {
      throw new ConfigException(section.field("members"), "is required: every Switchboard node's \"host:port\", this one included");
    }
    List<String> members = new ArrayList<>();
    List<String> listed = section.strings("members");
    for (int i = 0; i < listed.size(); i++) {
      String m = listed.get(i).trim();
      var match = MEMBER.matcher(m);
      if (!match.matches() || Integer.parseInt(match.group(2)) > 65_535 || Integer.parseInt(match.group(2)) == 0) {
        throw new ConfigException(section.field("members") + "[" + i + "]", "must be \"host:port\" (one port, no range), not \"" + m + "\"");
      }
      if (members.contains(m)) {
        throw new ConfigException(section.field("members") + "[" + i + "]", "lists \"" + m + "\" twice");
      }
      members.add(m);
    }
    if (members.isEmpty()) {
      throw new ConfigException(section.field("members"), "must list at least this node");
    }
    return members;
  }

  private static LeaseTiming lease(ConfigSection section) {
    Duration renewInterval = section.duration("renewInterval", OFF.lease.renewInterval());
    Duration renewDeadline = section.duration("renewDeadline", OFF.lease.renewDeadline());
    Duration duration = section.duration("duration", OFF.lease.duration());
    section.finish();
    if (renewInterval.toMillis() < 50) {
      throw new ConfigException(section.field("renewInterval"), "must be at least 50ms");
    }
    if (renewDeadline.compareTo(renewInterval.multipliedBy(2)) < 0) {
      throw new ConfigException(section.field("renewDeadline"), "must be at least twice renewInterval: one late renewal must not stop a listener");
    }
    return new LeaseTiming(renewInterval, renewDeadline, duration);
  }

  /** "8.5 s", "10 s". */
  static String seconds(Duration d) {
    return java.math.BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString() + " s";
  }

  private static Duration wholeSeconds(ConfigSection section, String key, Duration fallback) {
    Duration d = section.duration(key, fallback);
    if (d.toMillis() % 1000 != 0 || d.isZero()) {
      throw new ConfigException(section.field(key), "must be a whole number of seconds (Hazelcast counts in seconds)");
    }
    return d;
  }
}
