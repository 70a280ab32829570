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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hazelcast's cluster manager as the event bus sees it, with one addition: {@link #refresh} reads again
 * the consumers of every address the event bus has cached.
 * <p>
 * The clustered event bus keeps, per address it sends to, the nodes that consume it, and changes that
 * only when Hazelcast reports a change to the address's registrations. Such a report can go missing
 * around a member joining or leaving: in the failover process tests (two cores, one busy), an owner kept
 * publishing its statuses to the two nodes it knew for minutes after a restarted third had registered,
 * while Hazelcast listed all three. A refresh does what the missing report would have done, for every
 * cached address; the stressed tests since log what it finds ("event-bus route to
 * switchboard.cluster.status was stale: 2 consumer(s) on record, 3 in the cluster; mended").
 */
public final class RouteRefreshingClusterManager implements ClusterManager {
  private static final Logger LOG = LoggerFactory.getLogger(RouteRefreshingClusterManager.class);
  /** A route given to the event bus more recently than this may differ from a read only by a report still on its way. */
  private static final long SETTLED_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** The consumers of an address as the event bus was last given them, and when. */
  private record Route(Set<RegistrationInfo> consumers, long at) {
    static Route of(List<RegistrationInfo> consumers) {
      return new Route(Set.copyOf(consumers), System.nanoTime());
    }
  }

  private final HazelcastClusterManager hazelcast;
  /** Every address the event bus has looked up (what it may have cached), with what it was given. */
  private final Map<String, Route> routes = new ConcurrentHashMap<>();
  private final AtomicLong mended = new AtomicLong();
  private volatile RegistrationListener eventBus;
  /** Where Hazelcast reports registration changes: each route is noted, then handed to the event bus. */
  private final RegistrationListener reports = new RegistrationListener() {
    @Override
    public void registrationsUpdated(RegistrationUpdateEvent event) {
      routes.computeIfPresent(event.address(), (address, before) -> Route.of(event.registrations()));
      eventBus.registrationsUpdated(event);
    }

    @Override
    public void registrationsLost() {
      eventBus.registrationsLost();
    }

    @Override
    public boolean wantsUpdatesFor(String address) {
      return eventBus.wantsUpdatesFor(address);
    }
  };

  public RouteRefreshingClusterManager(HazelcastClusterManager hazelcast) {
    this.hazelcast = hazelcast;
  }

  /**
   * Reads the consumers of every address the event bus has cached, one address at a time, and hands
   * each list to the event bus as a registration change would. Completes with how many were read; an
   * address that fails to read keeps what it had until the next refresh.
   */
  public Future<Integer> refresh() {
    RegistrationListener listener = eventBus;
    Future<Integer> done = Future.succeededFuture(0);
    if (listener == null) {
      return done;
    }
    for (String address : List.copyOf(routes.keySet())) {
      // Removed first, then kept if still cached: a lookup racing with this check puts it back itself.
      Route before = routes.remove(address);
      if (!listener.wantsUpdatesFor(address)) {
        continue;
      }
      if (before != null) { // null: a refresh running alongside (a resend) has it in hand too
        routes.putIfAbsent(address, before);
      }
      done = done.compose(n -> {
        Promise<List<RegistrationInfo>> read = Promise.promise();
        hazelcast.getRegistrations(address, read);
        return read.future()
            .map(consumers -> {
              Route now = Route.of(consumers);
              noteIfMended(address, now);
              routes.put(address, now);
              listener.registrationsUpdated(new RegistrationUpdateEvent(address, consumers));
              return n + 1;
            })
            .otherwise(n);
      });
    }
    return done;
  }

  /** How many routes a refresh found stale and mended since this node started. */
  public long mended() {
    return mended.get();
  }

  private void noteIfMended(String address, Route now) {
    Route given = routes.get(address);
    if (given != null && settled(address) && !given.consumers.equals(now.consumers)) {
      mended.incrementAndGet();
      LOG.info("event-bus route to {} was stale: {} consumer(s) on record, {} in the cluster; mended", address,
          given.consumers.size(), now.consumers.size());
    }
  }

  /** Where Hazelcast's reports of registration changes arrive: noted, then handed to the event bus. */
  RegistrationListener reports() {
    return reports;
  }

  /** True once the route to {@code address} was last given to the event bus long enough ago for a refresh to judge it. */
  boolean settled(String address) {
    Route route = routes.get(address);
    return route != null && System.nanoTime() - route.at > SETTLED_NANOS;
  }

  @Override
  public void registrationListener(RegistrationListener listener) {
    eventBus = listener;
    hazelcast.registrationListener(reports);
  }

  @Override
  public void getRegistrations(String address, Completable<List<RegistrationInfo>> promise) {
    hazelcast.getRegistrations(address, (consumers, err) -> {
      if (err == null) {
        routes.put(address, Route.of(consumers));
      }
      promise.complete(consumers, err);
    });
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
