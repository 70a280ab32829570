package dev.switchboard.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
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

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hazelcast's cluster manager as the event bus sees it, with one addition: {@link #refresh} reads again
 * the consumers of every address the event bus has cached, and of every address this node consumes.
 * <p>
 * The clustered event bus keeps, per address it sends to, the nodes that consume it, and changes that
 * only when Hazelcast reports a change to the address's registrations. Such a report can go missing
 * around a member joining or leaving: in the failover process tests (two cores, one busy), an owner kept
 * publishing its statuses to the two nodes it knew for minutes after a restarted third had registered,
 * while Hazelcast listed all three. A refresh does what the missing report would have done, for every
 * cached address; the stressed tests since log what it finds ("event-bus route to
 * switchboard.cluster.status was stale: 2 consumer(s) on record, 3 in the cluster; mended").
 * <p>
 * A node's own registrations can go from Hazelcast's registry too, and then no report will ever bring
 * them back. A node that merges back after a partition drops its copy of the registry, and Hazelcast's
 * cluster manager is meant to register the node's consumers again. In the partition and failover
 * process tests it did not always: a node that had been cut off or frozen came back with neither its
 * consumers nor its entry in the registry of nodes, and so never heard its own statuses, nor anyone
 * else's. One cause is known (its membership handling fails, "Null key is not allowed", once a member
 * that did not join through Vert.x has been in the cluster); a frozen node lost them without one. So a
 * refresh also puts back this node's entry and any consumer of this node's that the registry lacks, and
 * takes out any registration of this node's with no consumer behind it.
 */
public final class RouteRefreshingClusterManager implements ClusterManager {
  private static final Logger LOG = LoggerFactory.getLogger(RouteRefreshingClusterManager.class);
  /** A route given to the event bus more recently than this may differ from a read only by a report still on its way. */
  private static final long SETTLED_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** How long after a change of members the refresh it brings comes: Hazelcast's manager registers again first. */
  static final long AFTER_CHANGE_OF_MEMBERS_MS = 1_000;
  /** Where Vert.x's Hazelcast cluster manager keeps each node's event-bus address, by node id. */
  static final String NODE_REGISTRY = "__vertx.nodeInfo";

  /** The consumers of an address as the event bus was last given them, and when. */
  private record Route(Set<RegistrationInfo> consumers, long at) {
    static Route of(List<RegistrationInfo> consumers) {
      return new Route(Set.copyOf(consumers), System.nanoTime());
    }
  }

  private final HazelcastClusterManager hazelcast;
  /** Every address the event bus has looked up (what it may have cached), with what it was given. */
  private final Map<String, Route> routes = new ConcurrentHashMap<>();
  /**
   * This node's consumers that Hazelcast holds (local-only ones never reach it), each with when Hazelcast
   * had it ({@link #PENDING} until then). Noted when the event bus asks to add one and forgotten when it
   * asks to remove one, before Hazelcast is told: so a registration of this node's that is not here is
   * one the event bus removed, and a refresh never undoes a removal.
   */
  private final Map<String, Map<RegistrationInfo, Long>> own = new ConcurrentHashMap<>();
  private static final long PENDING = Long.MAX_VALUE;
  /** A registration of this node's that the registry has and the event bus does not: no consumer is behind it. */
  private record Ghost(String address, RegistrationInfo registration) {
  }
  /**
   * The ghosts refreshes have read, with when one first did. One whose removal is on its way looks the same for a
   * moment, and refreshes may run back to back: a ghost is taken out only when read again this long after.
   */
  private final Map<Ghost, Long> ghosts = new ConcurrentHashMap<>();
  static final long GHOST_AFTER_NANOS = TimeUnit.SECONDS.toNanos(5);
  /** A refresh that has not ended by then is given up: the next one must not wait behind it for ever. */
  private static final long REFRESH_TIMEOUT_MS = 30_000;
  /** This node's entry in the registry of nodes, as given to Hazelcast, whose own getter waits for its membership handling. */
  private volatile NodeInfo nodeInfo;
  private final AtomicLong mended = new AtomicLong();
  private final AtomicLong refreshes = new AtomicLong();
  /** The last refresh started or queued; one asked for while it runs waits for it (guarded by this). */
  private Future<Integer> last = Future.succeededFuture(0);
  /** The refresh queued behind the one under way, which every caller until it starts shares (guarded by this). */
  private Future<Integer> waiting;
  private Vertx vertx;
  /** The listeners that bring a refresh after a change of members, removed when this node leaves. */
  private volatile UUID membersWatch;
  private volatile UUID mergesWatch;
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
   * Puts this node's own entry back into the cluster's registry of nodes if it is gone, then reads the
   * consumers of every address the event bus has cached or this node consumes, one address at a time:
   * hands each list to the event bus as a registration change would, registers again any consumer of this
   * node's the list lacks, and takes out any of this node's the event bus has removed (read for 5 s).
   * Completes with how many addresses were read; an address that fails to read keeps what it had until the
   * next refresh. One at a time: a call while a refresh is under way gets the next, which starts when it
   * ends and which every call until then shares.
   */
  public Future<Integer> refresh() {
    Promise<Integer> next = Promise.promise();
    Future<Integer> before;
    synchronized (this) {
      if (waiting != null) {
        return waiting;
      }
      before = last;
      last = next.future();
      if (!before.isComplete()) {
        waiting = next.future();
      }
    }
    // Outside the lock: a future that completes at once runs its callbacks here.
    before.onComplete(ar -> {
      synchronized (this) {
        if (waiting == next.future()) { // it starts now: a later call waits for it
          waiting = null;
        }
      }
      refreshOnce().onComplete(next);
    });
    return next.future();
  }

  private Future<Integer> refreshOnce() {
    Future<Integer> done;
    try {
      done = readAll();
    } catch (RuntimeException e) { // Hazelcast throws at once when it is shutting down
      done = Future.failedFuture(e);
    }
    return done.timeout(REFRESH_TIMEOUT_MS, TimeUnit.MILLISECONDS).onComplete(ar -> refreshes.incrementAndGet());
  }

  private Future<Integer> readAll() {
    RegistrationListener listener = eventBus;
    if (listener == null) {
      return Future.succeededFuture(0);
    }
    Set<Ghost> ghostsRead = ConcurrentHashMap.newKeySet();
    Future<Integer> done = putBackNodeInfoIfLost().map(0);
    Set<String> addresses = new LinkedHashSet<>(routes.keySet());
    addresses.addAll(own.keySet());
    for (String address : addresses) {
      boolean cached = stillCached(address, listener);
      done = done.compose(n -> {
        long readAt = System.nanoTime();
        Promise<List<RegistrationInfo>> read = Promise.promise();
        hazelcast.getRegistrations(address, read);
        return read.future()
            .compose(consumers -> {
              if (cached) {
                Route now = Route.of(consumers);
                noteIfMended(address, now);
                routes.put(address, now);
                listener.registrationsUpdated(new RegistrationUpdateEvent(address, consumers));
              }
              return matchOwn(address, consumers, readAt, ghostsRead);
            })
            .map(n + 1)
            .otherwise(n);
      });
    }
    // A ghost this refresh did not read is gone: its clock starts again should it come back.
    return done.onComplete(ar -> ghosts.keySet().retainAll(ghostsRead));
  }

  /** True if the event bus still caches {@code address}; one it no longer wants is forgotten here too. */
  private boolean stillCached(String address, RegistrationListener listener) {
    // Removed first, then kept if still cached: a lookup racing with this check puts it back itself.
    Route before = routes.remove(address);
    if (!listener.wantsUpdatesFor(address)) {
      return false;
    }
    if (before != null) { // null: the event bus is looking it up now, and puts it back itself
      routes.putIfAbsent(address, before);
    }
    return true;
  }

  /**
   * Puts this node's entry (where its event bus listens) back into the cluster's registry of nodes if the
   * registry lacks it: it goes with the consumers (below), and without it no other node can reach this one.
   */
  private Future<Void> putBackNodeInfoIfLost() {
    NodeInfo mine = nodeInfo;
    if (mine == null) { // not joined yet
      return Future.succeededFuture();
    }
    IMap<String, Object> nodes = hazelcast.getHazelcastInstance().getMap(NODE_REGISTRY);
    return Future.fromCompletionStage(nodes.getAsync(getNodeId())).compose(entry -> {
      if (entry != null) {
        return Future.<Void>succeededFuture();
      }
      // On a worker: Hazelcast's manager holds its lock while it handles a change of members, which a merge brings.
      Promise<Void> put = Promise.promise();
      vertx.executeBlocking(() -> {
        hazelcast.setNodeInfo(mine, put);
        return null;
      }).onFailure(put::tryFail);
      return put.future().onSuccess(v -> {
        mended.incrementAndGet();
        LOG.warn("this node's entry in the cluster's registry of nodes had gone (dropped while this node was cut off or frozen,"
            + " or lost in a merge); put back");
      });
    }).otherwiseEmpty();
  }

  /**
   * Makes the registry's consumers of {@code address}, read at {@code readAt}, agree with this node's own: registers
   * again each that Hazelcast had before the read and the read lacks, and takes out each of this node's that the event
   * bus has removed, once refreshes have read it for {@link #GHOST_AFTER_NANOS}.
   */
  private Future<Void> matchOwn(String address, List<RegistrationInfo> consumers, long readAt, Set<Ghost> ghostsRead) {
    Map<RegistrationInfo, Long> mine = Map.copyOf(own.getOrDefault(address, Map.of()));
    Future<Void> done = Future.succeededFuture();
    for (Map.Entry<RegistrationInfo, Long> registration : mine.entrySet()) {
      if (registration.getValue() < readAt && !consumers.contains(registration.getKey())) {
        done = done.compose(v -> registerAgain(address, registration.getKey()));
      }
    }
    for (RegistrationInfo registration : consumers) {
      if (registration.nodeId().equals(getNodeId()) && !registration.localOnly() && !isOwn(address, registration)) {
        Ghost ghost = new Ghost(address, registration);
        ghostsRead.add(ghost);
        long firstRead = ghosts.computeIfAbsent(ghost, g -> readAt);
        if (readAt - firstRead >= GHOST_AFTER_NANOS) {
          done = done.compose(v -> takeOut(address, registration));
        }
      }
    }
    return done;
  }

  private Future<Void> registerAgain(String address, RegistrationInfo registration) {
    Promise<Void> added = Promise.promise();
    hazelcast.addRegistration(address, registration, added);
    return added.future().transform(ar -> {
      if (!isOwn(address, registration)) { // removed while this was on its way (or the add failed): out again
        return removeFromRegistry(address, registration);
      }
      if (ar.failed()) {
        return Future.failedFuture(ar.cause()); // tried again at the next refresh
      }
      mended.incrementAndGet();
      LOG.warn("this node's consumer of {} had gone from the cluster's registry (dropped while this node was cut off or frozen,"
          + " or lost in a merge); registered again", address);
      return Future.succeededFuture();
    });
  }

  /** Takes out a registration of this node's that the event bus removed and the registry still has: no handler is behind it. */
  private Future<Void> takeOut(String address, RegistrationInfo registration) {
    return removeFromRegistry(address, registration).onSuccess(v -> {
      mended.incrementAndGet();
      LOG.warn("a consumer of {} this node no longer has was still in the cluster's registry; taken out", address);
    });
  }

  /** Straight to Hazelcast's manager: the event bus asked for no removal, so {@link #own} has nothing to forget. */
  private Future<Void> removeFromRegistry(String address, RegistrationInfo registration) {
    Promise<Void> removed = Promise.promise();
    hazelcast.removeRegistration(address, registration, removed);
    return removed.future();
  }

  private boolean isOwn(String address, RegistrationInfo registration) {
    return own.getOrDefault(address, Map.of()).containsKey(registration);
  }

  /**
   * How many routes a refresh found stale and mended since this node started: cached routes that differed
   * from Hazelcast's, consumers of this node's, or its own entry, that Hazelcast had lost, and registrations
   * of this node's with no consumer behind them.
   */
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

  /** How many refreshes have ended since this node started. */
  long refreshes() {
    return refreshes.get();
  }

  /** The consumers of {@code address} as the event bus was last given them; empty if it has none cached. */
  Set<RegistrationInfo> onRecord(String address) {
    Route route = routes.get(address);
    return route == null ? Set.of() : route.consumers;
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
    this.vertx = vertx;
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
    this.nodeInfo = nodeInfo;
    hazelcast.setNodeInfo(nodeInfo, promise);
  }

  @Override
  public NodeInfo getNodeInfo() {
    NodeInfo mine = nodeInfo;
    return mine != null ? mine : hazelcast.getNodeInfo();
  }

  @Override
  public void getNodeInfo(String nodeId, Completable<NodeInfo> promise) {
    hazelcast.getNodeInfo(nodeId, promise);
  }

  @Override
  public void join(Completable<Void> promise) {
    hazelcast.join((v, err) -> {
      if (err == null) {
        refreshOnChangesOfMembers();
      }
      promise.complete(v, err);
    });
  }

  /**
   * A change of members is when registrations go (the others drop a node's when they drop it; a merge loses
   * them): a refresh follows each, a moment later, instead of at the next periodic one.
   */
  private void refreshOnChangesOfMembers() {
    HazelcastInstance instance = hazelcast.getHazelcastInstance();
    membersWatch = instance.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        refreshSoon();
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        refreshSoon();
      }
    });
    mergesWatch = instance.getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
        refreshSoon();
      }
    });
  }

  /** Called on a Hazelcast thread. */
  private void refreshSoon() {
    try {
      vertx.setTimer(AFTER_CHANGE_OF_MEMBERS_MS, id -> refresh());
    } catch (RuntimeException closed) {
      LOG.debug("no refresh after a change of members: Vert.x is closing", closed);
    }
  }

  @Override
  public void leave(Completable<Void> promise) {
    HazelcastInstance instance = hazelcast.getHazelcastInstance();
    if (instance != null && membersWatch != null && instance.getLifecycleService().isRunning()) {
      // A Hazelcast instance of one's own may outlive this Vert.x: nothing of it calls back here after.
      instance.getCluster().removeMembershipListener(membersWatch);
      instance.getLifecycleService().removeLifecycleListener(mergesWatch);
    }
    hazelcast.leave(promise);
  }

  @Override
  public boolean isActive() {
    return hazelcast.isActive();
  }

  @Override
  public void addRegistration(String address, RegistrationInfo registrationInfo, Completable<Void> promise) {
    if (registrationInfo.localOnly()) {
      hazelcast.addRegistration(address, registrationInfo, promise);
      return;
    }
    own.compute(address, (a, mine) -> {
      Map<RegistrationInfo, Long> registrations = mine == null ? new ConcurrentHashMap<>() : mine;
      registrations.put(registrationInfo, PENDING);
      return registrations;
    });
    hazelcast.addRegistration(address, registrationInfo, (v, err) -> {
      // Kept only if still wanted: a removal asked for meanwhile has forgotten it.
      own.computeIfPresent(address, (a, mine) -> {
        mine.computeIfPresent(registrationInfo, (r, at) -> System.nanoTime());
        return mine;
      });
      promise.complete(v, err);
    });
  }

  @Override
  public void removeRegistration(String address, RegistrationInfo registrationInfo, Completable<Void> promise) {
    own.computeIfPresent(address, (a, mine) -> {
      mine.remove(registrationInfo);
      return mine.isEmpty() ? null : mine;
    });
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
