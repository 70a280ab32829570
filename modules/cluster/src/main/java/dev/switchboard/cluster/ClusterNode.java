package dev.switchboard.cluster;

import com.hazelcast.core.HazelcastInstance;
import dev.switchboard.core.Addresses;
import dev.switchboard.core.ControlEndpoint;
import dev.switchboard.core.ControlPlane;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.core.Supervisor;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * This node's part of the cluster, on one event loop: the cluster's listener records
 * ({@link ClusterState}), the leases ({@link Ownership}), the epoch on the data path
 * ({@link EpochGuard}), this node's view of every status ({@link ClusterStatusView}) and the control
 * plane every face of this node wraps ({@link #control()}). Deployed after the supervisor, which it
 * drives.
 */
public final class ClusterNode extends VerticleBase {
  /**
   * Every route the event bus has cached, and every consumer of this node's, is read again this often (and a
   * second after each change of members): a lost registration report, or a registration the registry lost, mends
   * within it.
   */
  private static final long ROUTE_REFRESH_MS = 10_000;

  private final ClusterSettings settings;
  private final HazelcastInstance hazelcast;
  private final RouteRefreshingClusterManager routes;
  private final Supervisor supervisor;
  private final ListenerKinds kinds;
  private final List<ListenerDefinition> seeds;
  private final Path dataDir;
  private final Map<String, String> env;
  private Members members;
  private ClusterState state;
  private Ownership ownership;
  private LeaseTakers takers;
  private EpochGuard guard;
  private ClusterControl control;
  private NodeEvents nodeEvents;
  private PartitionSafety safety;
  private long routeRefresh;

  /**
   * What {@code /metrics}, {@code /api/cluster} and the dashboard read of this node.
   *
   * @param nodes        the Switchboard nodes that are members now, as this node sees them
   * @param heard        those that count toward the majority: this node, and the others heard from within three
   *                     heartbeats (a member cut off stays in {@code nodes} until {@code maxSilence})
   * @param configured   how many Switchboard nodes the config lists
   * @param safe         every partition has its backup and none is migrating: another node may stop now
   * @param takesLeases  this node takes listeners: it has started, is not leaving, and has told the others so
   * @param staleDropped messages of a replaced owner's epoch dropped here (sent or received)
   * @param routesMended event-bus routes a refresh found stale and mended, consumers of this node's (or its entry) it put
   *                     back into the registry, and ghost registrations it took out ({@link RouteRefreshingClusterManager})
   */
  public record Facts(String node, List<String> nodes, List<String> heard, int configured, int majority, boolean majorityPresent,
                      boolean safe, boolean takesLeases, int leasesHeld, long takeovers, long fenced, long staleDropped, long routesMended) {
    public JsonObject toJson() {
      return new JsonObject().put("clustered", true).put("node", node).put("nodes", new JsonArray(nodes)).put("heard", new JsonArray(heard))
          .put("configured", configured)
          .put("majority", majority).put("majority_present", majorityPresent).put("safe", safe)
          .put("takes_leases", takesLeases).put("leases_held", leasesHeld)
          .put("takeovers", takeovers).put("fenced", fenced).put("stale_dropped", staleDropped)
          .put("routes_mended", routesMended);
    }
  }

  /** @param seeds the config file's listeners: they define the cluster's listeners when no node has any yet */
  public ClusterNode(ClusterSettings settings, HazelcastInstance hazelcast, RouteRefreshingClusterManager routes, Supervisor supervisor,
                     ListenerKinds kinds, List<ListenerDefinition> seeds, Path dataDir, Map<String, String> env) {
    this.settings = settings;
    this.hazelcast = hazelcast;
    this.routes = routes;
    this.supervisor = supervisor;
    this.kinds = kinds;
    this.seeds = seeds;
    this.dataDir = dataDir;
    this.env = env;
  }

  @Override
  public Future<?> start() {
    members = new Members(hazelcast, settings.majority());
    state = new ClusterState(context, hazelcast, members, settings.node(), supervisor, seeds, dataDir);
    takers = new LeaseTakers(context, hazelcast, settings.node());
    takers.start();
    ownership = new Ownership(context, hazelcast, members, settings, state, supervisor, takers);
    guard = new EpochGuard(ownership);
    guard.install(vertx.eventBus());
    nodeEvents = new NodeEvents(context, hazelcast);
    nodeEvents.start();
    safety = new PartitionSafety(vertx, hazelcast, settings.lease().renewInterval().toMillis());
    ClusterStatusView view = new ClusterStatusView(context, settings, members, state, ownership, guard, supervisor, routes);
    routeRefresh = vertx.setPeriodic(ROUTE_REFRESH_MS, id -> routes.refresh()); // one at a time: at most one waits behind
    control = new ClusterControl(context, state, view, kinds, env, dataDir);
    // Any node takes any command: the control address is served here as on every other node.
    vertx.eventBus().<Object>consumer(Addresses.CONTROL, new ControlEndpoint(control)::handle);
    // Vert.x calls no stop() after a failed start: what registered with Hazelcast goes here.
    return view.start().compose(v -> state.start()).compose(v -> ownership.start()).onFailure(err -> stop());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(routeRefresh);
    if (nodeEvents != null) {
      nodeEvents.stop();
    }
    if (safety != null) {
      safety.stop();
    }
    if (takers != null) {
      takers.stop();
    }
    return Future.succeededFuture();
  }

  /** From now on this node runs the listeners it wins: call it once what consumes their data is deployed. */
  public void startListeners() {
    ownership.begin();
  }

  public ControlPlane control() {
    return control;
  }

  /** True once this node follows the cluster's listeners and a majority of Switchboard nodes is present. */
  public boolean ready() {
    return state != null && state.loaded().isComplete() && members.majorityPresent();
  }

  /** Called before the supervisor stops: every listener run here closes, then its lease goes to another node. */
  public Future<Void> leave() {
    return ownership == null ? Future.succeededFuture() : ownership.releaseAll();
  }

  public Facts facts() {
    List<String> heard = members.heard();
    return new Facts(settings.node(), members.nodes(), heard, settings.members().size(), settings.majority(),
        heard.size() >= settings.majority(), safety.safe(), ownership.takesLeases(), ownership.held(), ownership.takeovers(),
        ownership.fenced(), guard.droppedInbound() + guard.droppedOutbound(), routes.mended());
  }
}
