package dev.switchboard.cluster;

import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.Counter;
import io.vertx.core.shareddata.Lock;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;
import io.vertx.core.spi.cluster.NodeListener;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationListener;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hazelcast's cluster manager as the event bus sees it, with one addition: {@link #refresh} reads again
 * the consumers of every address the event bus has cached.
 * <p>
 * The clustered event bus keeps, per address it sends to, the nodes that consume it, and changes that
 * only when Hazelcast reports a change to the address's registrations. Such a report can go missing
 * around a member joining: in the failover process tests (two cores, one busy), an owner kept
 * publishing its statuses to the two nodes it knew for minutes after a restarted third had registered,
 * while Hazelcast listed all three; a registration change on that address mended it at once. A refresh
 * does what that report would have done, for every cached address.
 */
public final class RouteRefreshingClusterManager implements ClusterManager {
  private final HazelcastClusterManager hazelcast;
  /** Addresses the event bus has looked up: what it may have cached. */
  private final Set<String> looked = ConcurrentHashMap.newKeySet();
  private volatile RegistrationListener routes;

  public RouteRefreshingClusterManager(HazelcastClusterManager hazelcast) {
    this.hazelcast = hazelcast;
  }

  /**
   * Reads the consumers of every address the event bus has cached, one address at a time, and hands
   * each list to the event bus as a registration change would. Completes with how many were read; an
   * address that fails to read keeps what it had until the next refresh.
   */
  public Future<Integer> refresh() {
    RegistrationListener listener = routes;
    Future<Integer> done = Future.succeededFuture(0);
    if (listener == null) {
      return done;
    }
    for (String address : List.copyOf(looked)) {
      // Removed first, then kept if still cached: a lookup racing with this check adds it back itself.
      looked.remove(address);
      if (!listener.wantsUpdatesFor(address)) {
        continue;
      }
      looked.add(address);
      done = done.compose(n -> {
        Promise<List<RegistrationInfo>> read = Promise.promise();
        hazelcast.getRegistrations(address, read);
        return read.future()
            .map(list -> {
              listener.registrationsUpdated(new RegistrationUpdateEvent(address, list));
              return n + 1;
            })
            .otherwise(n);
      });
    }
    return done;
  }

  /** What the event bus gave to hear of registration changes (its node selector); null before it starts. */
  RegistrationListener eventBusRoutes() {
    return routes;
  }

  @Override
  public void registrationListener(RegistrationListener listener) {
    routes = listener;
    hazelcast.registrationListener(listener);
  }

  @Override
  public void getRegistrations(String address, Completable<List<RegistrationInfo>> promise) {
    looked.add(address);
    hazelcast.getRegistrations(address, promise);
  }

  // Everything else is Hazelcast's.

  @Override
  public void init(Vertx vertx) {
    hazelcast.init(vertx);
  }

  @Override
  public <K, V> void getAsyncMap(String name, Completable<AsyncMap<K, V>> promise) {
    hazelcast.getAsyncMap(name, promise);
  }

  @Override
  public <K, V> Map<K, V> getSyncMap(String name) {
    return hazelcast.getSyncMap(name);
  }

  @Override
  public void getLockWithTimeout(String name, long timeout, Completable<Lock> promise) {
    hazelcast.getLockWithTimeout(name, timeout, promise);
  }

  @Override
  public void getCounter(String name, Completable<Counter> promise) {
    hazelcast.getCounter(name, promise);
  }

  @Override
  public String getNodeId() {
    return hazelcast.getNodeId();
  }

  @Override
  public List<String> getNodes() {
    return hazelcast.getNodes();
  }

  @Override
  public void nodeListener(NodeListener listener) {
    hazelcast.nodeListener(listener);
  }

  @Override
  public void setNodeInfo(NodeInfo nodeInfo, Completable<Void> promise) {
    hazelcast.setNodeInfo(nodeInfo, promise);
  }

  @Override
  public NodeInfo getNodeInfo() {
    return hazelcast.getNodeInfo();
  }

  @Override
  public void getNodeInfo(String nodeId, Completable<NodeInfo> promise) {
    hazelcast.getNodeInfo(nodeId, promise);
  }

  @Override
  public void join(Completable<Void> promise) {
    hazelcast.join(promise);
  }

  @Override
  public void leave(Completable<Void> promise) {
    hazelcast.leave(promise);
  }

  @Override
  public boolean isActive() {
    return hazelcast.isActive();
  }

  @Override
  public void addRegistration(String address, RegistrationInfo registrationInfo, Completable<Void> promise) {
    hazelcast.addRegistration(address, registrationInfo, promise);
  }

  @Override
  public void removeRegistration(String address, RegistrationInfo registrationInfo, Completable<Void> promise) {
    hazelcast.removeRegistration(address, registrationInfo, promise);
  }

  @Override
  public String clusterHost() {
    return hazelcast.clusterHost();
  }

  @Override
  public String clusterPublicHost() {
    return hazelcast.clusterPublicHost();
  }
}
