package dev.switchboard.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Builds a clustered Vert.x on Vert.x's Hazelcast cluster manager from {@link ClusterSettings}: TCP-IP
 * join with the listed members only (no multicast, no auto-detection), bound to one interface, failure
 * detection from the settings, and split-brain protection on Switchboard's maps.
 */
public final class ClusteredVertx {
  /** Leases and listener records: a minority can neither read nor write them. */
  static final String PROTECTED_MAPS = "switchboard.*";
  static final String MAJORITY = "switchboard-majority";
  private static final Logger LOG = LoggerFactory.getLogger(ClusteredVertx.class);
  /** How long one Hazelcast call may wait; ours add their own, shorter, timeouts on top. */
  private static final String CALL_TIMEOUT_MS = "5000";

  private ClusteredVertx() {
  }

  /**
   * The started node: its Vert.x, its cluster manager (which holds the Hazelcast instance), and the same
   * manager as the event bus sees it, whose routes can be read again.
   */
  public record Node(Vertx vertx, HazelcastClusterManager clusterManager, RouteRefreshingClusterManager routes) {
  }

  public static Future<Node> start(ClusterSettings settings, VertxOptions options) {
    if (settings.lease().renewDeadline().compareTo(settings.silentMemberWait()) < 0) {
      LOG.warn("cluster.lease.renewDeadline ({}) is shorter than maxSilence + heartbeat + 2 x renewInterval ({}): a node that stops"
              + " answering (frozen, or its machine gone) stops, until the others remove it, the listeners of other nodes whose leases"
              + " it keeps as well as its own. Raise renewDeadline, and lease.duration with it, to ride that out",
          ClusterSettings.seconds(settings.lease().renewDeadline()), ClusterSettings.seconds(settings.silentMemberWait()));
    }
    Duration oneWay = settings.maxSilence().plus(settings.heartbeat()).plus(settings.majoritySilenceLimit())
        .plus(settings.lease().renewInterval());
    if (settings.lease().duration().compareTo(oneWay) <= 0) {
      LOG.warn("cluster.lease.duration ({}) is not longer than maxSilence + heartbeat + the silence limit + renewInterval ({}): an owner"
              + " cut off one way (it hears the others, they do not hear it) may still run its listeners when another node takes"
              + " their leases (docs/cluster.md, A network partition that cuts the owner off)",
          ClusterSettings.seconds(settings.lease().duration()), ClusterSettings.seconds(oneWay));
    }
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcastConfig(settings));
    RouteRefreshingClusterManager routes = new RouteRefreshingClusterManager(manager);
    options.setEventBusOptions(new EventBusOptions().setHost(settings.eventBusHost()).setPort(settings.eventBusPort()));
    return Vertx.builder().with(options).withClusterManager(routes).buildClustered().map(vertx -> new Node(vertx, manager, routes));
  }

  static Config hazelcastConfig(ClusterSettings settings) {
    // Vert.x's own configuration first: it keeps the settings of the __vertx.* structures.
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(settings.name());
    config.setInstanceName("switchboard-" + settings.node() + "-" + System.nanoTime());
    // The advanced network's member endpoint, not the default network: the default one serves members
    // and clients on one port through Hazelcast's unified protocol encoder, which, on a connection to a
    // peer that accepts but never answers (a frozen process), re-queues its write task for ever and so
    // starves every other connection on that I/O thread (Hazelcast issue #26473; docs/cluster.md).
    // The member endpoint's encoder waits for the answer instead. Its socket defaults differ from the
    // default network's: those are kept (a 10 s connect timeout, not none; address reuse for a restart
    // on the same port; a normal close, not a reset).
    ServerSocketEndpointConfig member = new ServerSocketEndpointConfig();
    member.setPort(settings.port()).setPortAutoIncrement(false).setReuseAddress(true)
        .setPublicAddress(settings.host() + ":" + settings.port())
        .setSocketConnectTimeoutSeconds(10).setSocketLingerSeconds(-1);
    member.getInterfaces().setEnabled(true).addInterface(settings.host());
    config.getAdvancedNetworkConfig().setEnabled(true).setMemberEndpointConfig(member);
    // Hazelcast listens on every interface unless told otherwise, whatever the interface above says: a
    // member port answers anyone who knows the cluster name.
    config.setProperty("hazelcast.socket.server.bind.any", "false");
    JoinConfig join = config.getAdvancedNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(settings.members());
    config.getMemberAttributeConfig().setAttribute(SwitchboardMajority.NODE_ATTRIBUTE, settings.node());
    config.getMemberAttributeConfig().setAttribute(SwitchboardMajority.MEMBERS_ATTRIBUTE, SwitchboardMajority.membersAttribute(settings.members()));
    config.getMemberAttributeConfig().setAttribute(SwitchboardMajority.TIMING_ATTRIBUTE, SwitchboardMajority.timingAttribute(settings));
    long heartbeat = settings.heartbeat().toSeconds();
    long silence = settings.maxSilence().toSeconds();
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.heartbeat.interval.seconds", String.valueOf(heartbeat));
    config.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(silence));
    // A member that froze and woke up alone merges back after this, not after Hazelcast's 5 minutes.
    config.setProperty("hazelcast.merge.first.run.delay.seconds", String.valueOf(Math.max(5, silence)));
    config.setProperty("hazelcast.merge.next.run.delay.seconds", String.valueOf(Math.max(5, silence)));
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.operation.call.timeout.millis", CALL_TIMEOUT_MS);
    // A write waits for its backups' acknowledgements; one whose backup was on a member that just died
    // would wait 5 s by default, and a lease renewal that late fences a healthy owner. The write itself
    // is done on the primary: waiting a quarter of the renew deadline for the backups is enough, and no longer than
    // one renewal interval (Hazelcast looks for overdue backups once a second, so a write may wait up to a second
    // more: up to the two intervals Ownership gives a lease call, with the defaults; one that times out is made again).
    config.setProperty("hazelcast.operation.backup.timeout.millis", String.valueOf(Math.max(250,
        Math.min(settings.lease().renewDeadline().toMillis() / 4, settings.lease().renewInterval().toMillis()))));
    config.setProperty("hazelcast.shutdownhook.enabled", "false"); // Switchboard leaves the cluster itself, in order
    config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(MAJORITY, true, settings.majority())
        .setProtectOn(SplitBrainProtectionOn.READ_WRITE)
        .setFunctionImplementation(new SwitchboardMajority(settings.members(), SwitchboardMajority.timingAttribute(settings),
            SwitchboardMajority.within(settings.heartbeat()))));
    config.addMapConfig(new MapConfig(PROTECTED_MAPS).setBackupCount(Math.min(2, settings.members().size() - 1))
        .setSplitBrainProtectionName(MAJORITY));
    return config;
  }
}
