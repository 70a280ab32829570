package dev.switchboard.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.switchboard.core.BurstLog;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.ListenerStatus;
import dev.switchboard.core.Supervisor;
import io.vertx.core.Future;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which listeners this node runs: one lease per listener, with an epoch, in a majority-protected map.
 * <ul>
 *   <li>The owner renews every {@code renewInterval}. One that has not renewed within
 *   {@code renewDeadline} (a monotonic clock, never the wall clock of another node) stops the listener
 *   by itself, and everything the listener still publishes under that epoch is dropped
 *   ({@link #valid}, checked on the data path). So does one that has heard from no majority for
 *   {@link ClusterSettings#majoritySilenceLimit()}, whatever its renewals say.</li>
 *   <li>A candidate takes a lease at once when it is free or released, and otherwise only after it has
 *   seen the same record, unrenewed, for a whole {@code duration}: by then the owner has stopped.</li>
 *   <li>Placement: rendezvous hashing over the Switchboard nodes heard from; the first-ranked node claims (a
 *   free lease: passing over one that has been heard for a whole {@code duration} and still does not take
 *   leases, so a node whose start takes long does not hold it up). An
 *   owner hands a listener to a node that joined and ranks first only once the connection has been up
 *   for {@code rebalanceAfter}, so a join never makes listeners flap, and only once that node takes
 *   leases ({@link LeaseTakers}): one still starting would leave the listener running nowhere.</li>
 * </ul>
 */
public final class Ownership {
  private static final Logger LOG = LoggerFactory.getLogger(Ownership.class);
  static final String MAP = "switchboard.leases";
  /** Publish: {@code {name}} when a lease has just been released, so that the next owner need not wait for its tick. */
  static final String RELEASED = "switchboard.cluster.released";
  private static final long ADVERTISE_AGAIN_NS = TimeUnit.SECONDS.toNanos(30);

  /** A lease this node holds: the epoch, and when (nanoTime) its last successful renewal was sent. */
  private record Held(long epoch, long renewedAt) {
  }

  /** A lease as this node first saw it unchanged, and when. */
  private record Observed(Lease lease, long since) {
  }

  private final Vertx vertx;
  private final Context context;
  private final HazelcastInstance hazelcast;
  private final Members members;
  private final ClusterSettings settings;
  private final ClusterState state;
  private final Supervisor supervisor;
  private final LeaseTakers takers;
  private final String boot = UUID.randomUUID().toString();
  /** Read on the data path, from any thread. */
  private final Map<String, Held> held = new ConcurrentHashMap<>();
  private final Map<String, Lease> leases = new ConcurrentHashMap<>();
  private final Map<String, Observed> observed = new HashMap<>();
  private final Map<String, Long> seen = new ConcurrentHashMap<>();
  private final Set<String> busy = new HashSet<>();
  /** The held lease last seen of each listener whose entry then vanished: judged as that lease, unrenewed, until one comes back. */
  private final Map<String, Lease> vanishedHeld = new ConcurrentHashMap<>(); // read by the status view too
  /** Listeners whose epoch is being written into their record: one write at a time each. */
  private final Set<String> recording = new HashSet<>();
  /** When (nanoTime) this node began to hear each other node, this time: how long one may still be starting. */
  private final Map<String, Long> heardSince = new HashMap<>();
  private final AtomicLong takeovers = new AtomicLong();
  private final AtomicLong fenced = new AtomicLong();
  /**
   * When (nanoTime) this node last heard from a majority, as {@link #fenceOverdue} last saw it; null before it ever did.
   * Kept while no majority is heard, and when Hazelcast drops the silent members (which leaves nothing to measure from).
   */
  private Long majorityLastHeard;
  private final BurstLog lateRenewals = new BurstLog(LOG, TimeUnit.SECONDS.toMillis(10));
  private IMap<String, Lease> map;
  /** Read from other threads too ({@link #takesLeases()}, for {@code /api/cluster} and metrics). */
  private volatile boolean leaving;
  /** When (nanoTime) this node last said that it takes leases. */
  private long advertisedAt;
  /** The advertisement under way; null when none. */
  private Future<Void> advertising;
  /** Set by {@link #begin()}: until then this node takes no lease (what consumes the listeners' data starts first). */
  private volatile boolean begun;

  Ownership(Context context, HazelcastInstance hazelcast, Members members, ClusterSettings settings, ClusterState state,
            Supervisor supervisor, LeaseTakers takers) {
    this.vertx = context.owner();
    this.context = context;
    this.hazelcast = hazelcast;
    this.members = members;
    this.settings = settings;
    this.state = state;
    this.supervisor = supervisor;
    this.takers = takers;
  }

  Future<?> start() {
    map = hazelcast.getMap(MAP);
    long tick = settings.lease().renewInterval().toMillis();
    vertx.setPeriodic(tick, id -> tick());
    // The deadline is checked more often than leases are renewed: a late renewal stops the listener promptly.
    vertx.setPeriodic(Math.max(10, tick / 4), id -> fenceOverdue());
    vertx.eventBus().<JsonObject>consumer(RELEASED, msg -> evaluate(msg.body().getString("name")));
    return Future.succeededFuture();
  }

  // ---- what others ask ------------------------------------------------------------------------------

  /**
   * True while this node holds {@code listener}'s lease with {@code epoch} and has renewed it within the
   * deadline. Any thread; an expired lease found here is given up at once.
   */
  public boolean valid(String listener, long epoch) {
    Held h = held.get(listener);
    if (h == null || h.epoch != epoch) {
      return false;
    }
    if (System.nanoTime() - h.renewedAt > settings.lease().renewDeadline().toNanos()) {
      context.runOnContext(v -> fenceOverdue());
      return false;
    }
    return true;
  }

  /** The lease as last read here; null when never read. */
  public Lease lease(String listener) {
    return leases.get(listener);
  }

  /** The held lease last seen here of a listener whose lease entry has since vanished from the map; null otherwise. */
  Lease vanished(String listener) {
    return vanishedHeld.get(listener);
  }

  /** How long (nanos) {@code listener}'s lease has been seen here unchanged: a live owner renews it every interval. */
  long unrenewedFor(String listener) {
    Observed o = observed.get(listener);
    Lease now = leases.get(listener);
    return o == null || now == null || !now.equals(o.lease) ? 0 : System.nanoTime() - o.since;
  }

  public int held() {
    return held.size();
  }

  /** True while this node takes leases: it has begun, is not leaving, and the others have been told so as the member it is now. */
  public boolean takesLeases() {
    return begun && !leaving && takers.joinedAsThisMember();
  }

  public long takeovers() {
    return takeovers.get();
  }

  /** How many times this node stopped a listener because it could not renew its lease, or heard from no majority, in time. */
  public long fenced() {
    return fenced.get();
  }

  /**
   * The node is leaving: every listener it runs closes its connection, then its lease is released so
   * that the next owner connects at once. Never the other way round: two connections would overlap.
   */
  public Future<Void> releaseAll() {
    return Future.<Void>future(p -> context.runOnContext(v -> {
      leaving = true;
      // No longer a taker, so that nothing is handed to this node: beside the releases, not before them (a
      // slow map call must not use up the time they have). After an advertisement under way, never under it.
      Future<Void> advertised = advertising == null ? Future.succeededFuture() : advertising.otherwiseEmpty();
      List<Future<Void>> released = new ArrayList<>();
      released.add(advertised.compose(done -> takers.leave(callTimeout())).otherwiseEmpty());
      new ArrayList<>(held.keySet()).forEach(name -> released.add(release(name, "this node is shutting down")));
      Future.join(released).onComplete(ar -> p.complete());
    })).timeout(settings.lease().renewDeadline().toMillis(), TimeUnit.MILLISECONDS).otherwiseEmpty();
  }

  // ---- the tick ---------------------------------------------------------------------------------------

  /** From now on this node takes leases. */
  void begin() {
    context.runOnContext(v -> {
      begun = true;
      tick();
    });
  }

  private void tick() {
    if (!begun || leaving || !state.loaded().isComplete()) {
      return;
    }
    advertise();
    noteHeard(members.heard());
    Set<String> defined = state.listeners().keySet();
    defined.forEach(this::evaluate);
    for (String name : new ArrayList<>(held.keySet())) {
      if (!defined.contains(name)) {
        release(name, "the listener was removed");
      }
    }
    observed.keySet().retainAll(defined);
    vanishedHeld.keySet().retainAll(defined);
  }

  /**
   * Tells the other nodes that this one takes leases: tried every tick until it worked, at once after a merge
   * (the member's new UUID has no entry), and again every {@link #ADVERTISE_AGAIN_NS} in case the entry's every
   * copy was lost.
   */
  private void advertise() {
    long now = System.nanoTime();
    if (advertising != null || (takers.joinedAsThisMember() && now - advertisedAt < ADVERTISE_AGAIN_NS)) {
      return;
    }
    advertising = takers.join(callTimeout());
    advertising.onComplete(ar -> {
      advertising = null;
      if (ar.succeeded()) {
        advertisedAt = now;
      } else {
        LOG.debug("could not say that this node takes leases (tried again): {}", ar.cause().toString());
      }
    });
  }

  /**
   * Stops every listener whose lease this node could not renew in time, and every one it holds while it has heard from
   * no majority for {@link ClusterSettings#majoritySilenceLimit()}. Cut off by the network, a node's renewals of leases
   * kept on its own partitions go on succeeding until its majority is counted gone, which Hazelcast re-checks only every
   * heartbeat and which a slow renewal may outlast: the second rule stops it at a time fixed from the last heartbeat it
   * had, whatever its renewals did ({@link ClusterSettings} requires the lease to last longer). The silence is counted
   * from the last time a majority was heard, also once Hazelcast has dropped the silent members from this node's list
   * (then {@link Members#majorityHeardAt} has nothing to measure from, and the renewals, failing from then on, would
   * stop the listener only {@code renewDeadline} after the last one that worked: too late).
   */
  private void fenceOverdue() {
    long now = System.nanoTime();
    OptionalLong heardAt = members.majorityHeardAt();
    if (heardAt.isPresent() && (majorityLastHeard == null || heardAt.getAsLong() - majorityLastHeard > 0)) {
      majorityLastHeard = heardAt.getAsLong(); // compared as a difference: nanoTime may wrap
    }
    if (held.isEmpty()) {
      return;
    }
    long deadline = settings.lease().renewDeadline().toNanos();
    long silence = majorityLastHeard == null ? 0 : now - majorityLastHeard;
    long silenceLimit = settings.majoritySilenceLimit().toNanos();
    held.forEach((name, h) -> {
      boolean late = now - h.renewedAt > deadline;
      if ((late || silence > silenceLimit) && held.remove(name, h)) {
        fenced.incrementAndGet();
        if (late) {
          LOG.warn("[{}] lease (epoch {}) not renewed for {} ms (renewDeadline {} ms): stopping the listener here",
              name, h.epoch, (now - h.renewedAt) / 1_000_000, deadline / 1_000_000);
        } else {
          LOG.warn("[{}] lease (epoch {}) held while no majority of nodes was heard from for {} ms (the limit {} ms):"
              + " stopping the listener here", name, h.epoch, silence / 1_000_000, silenceLimit / 1_000_000);
        }
        supervisor.disown(name, late ? "lease not renewed in time" : "no majority of nodes heard from");
      }
    });
  }

  private void evaluate(String name) {
    // Not before this node follows the cluster's records: until then record() may be provisional (its file, the config's).
    if (!begun || leaving || name == null || !state.loaded().isComplete() || state.record(name) == null || !busy.add(name)) {
      return;
    }
    HazelcastCalls.call(context, callTimeout(), () -> map.getAsync(name))
        .compose(lease -> decide(name, lease))
        .onComplete(ar -> {
          busy.remove(name);
          if (ar.failed()) {
            LOG.debug("[{}] lease check failed: {}", name, ar.cause().toString());
            if (ar.cause() instanceof TimeoutException && held.containsKey(name)) {
              // A call on a held lease that timed out is made again at once, not at the next tick: when it waited on a
              // member that stopped answering, a call is then under way when Hazelcast drops that member and a backup
              // answers, and the renewal comes a tick sooner (ClusterSettings#silentMemberWait counts on it).
              context.runOnContext(v -> evaluate(name));
            }
          }
        });
  }

  private Future<Void> decide(String name, Lease lease) {
    if (leaving) {
      return Future.succeededFuture(); // releaseAll() has the leases now: a renewal sent now could race its release
    }
    // An entry is never deleted (a lease let go stays, released): one gone after this node saw it held was lost
    // (every member holding a copy died at once), not never made, and its owner may still be connected.
    Lease last = leases.get(name);
    Lease gone = lease != null ? null : last != null && last.held() ? last : vanishedHeld.get(name);
    if (gone != null) {
      if (vanishedHeld.put(name, gone) == null) {
        observed.remove(name); // the gap is timed from now: an Observed(null) from before this node's own claim is stale
      }
    } else {
      vanishedHeld.remove(name);
    }
    if (lease == null) {
      leases.remove(name);
    } else {
      leases.put(name, lease);
      saw(name, lease.epoch());
    }
    Held h = held.get(name);
    if (lease == null && h != null && members.majorityPresent()) {
      return restore(name, h); // this node still holds it: it writes its lease back, as a renewal
    }
    boolean namesThisNode = lease != null && lease.heldBy(settings.node(), boot);
    if (namesThisNode && h != null && h.epoch != lease.epoch()) {
      // The map names this node under another epoch than the one it runs under (a later claim of its own whose
      // answer was lost): the listener it runs is not that lease's, so it stops, and the lease is let go below.
      lose(name, "the map gives this node the lease of epoch " + lease.epoch() + ", not of " + h.epoch);
    } else if (namesThisNode && h != null) {
      // Nothing here runs under this lease: the listener was removed and defined again since the claim (a new
      // entry that no lease was given to), or this node could not define it at all. The lease is let go, and
      // taken anew (a new epoch) by the next claim.
      return supervisor.holdsUnder(name, h.epoch).compose(ours -> ours ? renew(name, lease)
          : release(name, "nothing runs it here under this lease (defined again, or not definable on this node)"));
    }
    // Not when cut off from a majority: what this node writes then reaches at best a copy of the map.
    if (namesThisNode && !held.containsKey(name) && members.majorityPresent()) {
      return letGoOfUnheld(name, lease);
    }
    // A lease still ours in the map that this node stopped (its renewal came too late) is judged like anyone
    // else's. What this node reads may be its own stale copy: after a pause, its reads and writes are served
    // from its old partitions until Hazelcast notices that the others removed it (measured: kill -STOP 18 s,
    // then a write "succeeded" beside the new owner). A write that reached only that copy renews nothing.
    if (held.containsKey(name)) {
      lose(name, "the lease is now " + describe(lease));
    }
    // Placement is over the nodes heard from: one cut off but still listed ranks nowhere.
    List<String> candidates = new ArrayList<>(members.heard());
    if (!members.majorityPresent()) {
      return Future.succeededFuture(); // a minority takes nothing (and its writes would fail anyway)
    }
    if (gone != null) {
      // Judged as a held lease that stopped changing: its owner, if it lives, writes it back within a renewal.
      candidates.remove(gone.owner());
      long unchanged = unchangedFor(name, null);
      boolean first = settings.node().equals(Placement.first(name, candidates));
      return unchanged >= settings.lease().duration().toNanos() && (first || unchanged >= 2 * settings.lease().duration().toNanos())
          ? claim(name, null) : Future.succeededFuture();
    }
    if (lease == null || !lease.held()) {
      if (lease != null && candidates.size() > 1) {
        candidates.remove(lease.owner()); // it let go: it is leaving, or handing over
      }
      return firstAmongTakers(name, candidates).compose(first -> first
          || unchangedFor(name, lease) >= settings.lease().duration().toNanos() ? claim(name, lease) : Future.succeededFuture());
    }
    long unchanged = unchangedFor(name, lease);
    candidates.remove(lease.owner());
    // Should the first-ranked candidate be unable to take it, any other does one lease later.
    long wait = (settings.node().equals(Placement.first(name, candidates)) ? 1 : 2) * settings.lease().duration().toNanos();
    if (unchanged < wait) {
      checkAgainWhenRunOut(name, wait - unchanged);
      return Future.succeededFuture(); // a live owner, or not abandoned for long enough to be sure
    }
    return claim(name, lease);
  }

  /**
   * Checks {@code name} again the moment its lease will have been unchanged for long enough, when that comes before the
   * next tick. The count starts at a tick's read, and the read at the tick a whole lease later usually finds it a few
   * milliseconds short (the reads take differently long): waiting for the next tick made nearly every takeover a renew
   * interval late (a build that logged it without this: 12.9-13.0 s unchanged at the claim with a 12 s lease).
   */
  private void checkAgainWhenRunOut(String name, long remainingNanos) {
    long tick = settings.lease().renewInterval().toNanos();
    if (remainingNanos < tick) {
      vertx.setTimer(remainingNanos / 1_000_000 + 1, id -> evaluate(name));
    }
  }

  /**
   * Whether this node ranks first for a free lease among the candidates that take leases now, or may soon.
   * One that does not take leases yet is waited for while it has been heard for less than a lease
   * {@code duration} (on a cold start of the whole cluster every node is still starting: a listener waits
   * for its node rather than being moved there later); past that it ranks nowhere until it does:
   * a node whose start takes long no longer holds a new or released listener up (it gets it later by a
   * hand-over). Should two nodes both think they rank first (a takers read that failed counts as "does not
   * take"), the claim's compare-and-set lets one win.
   */
  private Future<Boolean> firstAmongTakers(String name, List<String> candidates) {
    String first = Placement.first(name, candidates);
    if (first == null || first.equals(settings.node())) {
      return Future.succeededFuture(first != null);
    }
    return takers.takes(first, callTimeout()).compose(takes -> {
      if (takes || heardFor(first) < settings.lease().duration().toNanos()) {
        return Future.succeededFuture(false);
      }
      List<String> rest = new ArrayList<>(candidates);
      rest.remove(first);
      return firstAmongTakers(name, rest);
    });
  }

  private void noteHeard(List<String> heard) {
    long now = System.nanoTime();
    heardSince.keySet().retainAll(heard); // one heard again after a silence may be starting again
    heard.forEach(node -> heardSince.putIfAbsent(node, now));
  }

  private long heardFor(String node) {
    Long since = heardSince.get(node);
    return since == null ? 0 : System.nanoTime() - since;
  }

  /** The highest epoch this node knows of for {@code name}, besides the lease itself: recorded, or seen on the bus. */
  private long epochFloor(String name) {
    ListenerRecord r = state.record(name);
    return Math.max(r == null ? 0 : r.epoch(), seen.getOrDefault(name, 0L));
  }

  /** Notes an epoch seen in a status or an envelope: a claim made here is always above it. */
  void saw(String name, long epoch) {
    seen.merge(name, epoch, Math::max);
  }

  private long unchangedFor(String name, Lease lease) {
    long now = System.nanoTime();
    Observed o = observed.get(name);
    if (o == null || !java.util.Objects.equals(o.lease, lease)) {
      observed.put(name, new Observed(lease, now));
      return 0;
    }
    return now - o.since;
  }

  private Future<Void> claim(String name, Lease previous) {
    if (leaving) {
      return Future.succeededFuture(); // releaseAll() may have listed what it releases already
    }
    Lease next = Lease.claimedAfter(previous, epochFloor(name), settings.node(), boot);
    long sent = System.nanoTime();
    return swap(name, previous, next).compose(now -> {
      if (!next.equals(now)) {
        return Future.succeededFuture(); // another node was quicker
      }
      leases.put(name, next);
      held.put(name, new Held(next.epoch(), sent));
      if (leaving) { // the stop began while the claim was on its way: releaseAll() did not list it
        return release(name, "this node is shutting down");
      }
      recordEpoch(name, next.epoch());
      if (previous != null && previous.held()) {
        takeovers.incrementAndGet();
        Observed o = observed.get(name);
        LOG.info("[{}] took over from {} (epoch {} -> {}): its lease was seen here unrenewed for {} ms (lease.duration {} ms)",
            name, previous.owner(), previous.epoch(), next.epoch(), o == null ? "?" : (sent - o.since) / 1_000_000,
            settings.lease().duration().toMillis());
      } else {
        LOG.info("[{}] owned here from now (epoch {})", name, next.epoch());
      }
      return supervisor.own(name, next.epoch());
    });
  }

  /**
   * Writes back the lease of a listener this node holds, lost from the map (every copy of its entry gone at once):
   * the same owner and epoch, as a renewal would, so the others see a live owner again, not a free listener.
   */
  private Future<Void> restore(String name, Held h) {
    long sent = System.nanoTime();
    if (sent - h.renewedAt > settings.lease().renewDeadline().toNanos()) {
      fenceOverdue();
      return Future.succeededFuture();
    }
    // Its renewals go on past the last one seen: a taker whose reads failed across the loss must not find a record it saw
    // before (the claim's, renewals 0, or one renewal further than this node read: a renewal whose answer timed out may
    // have landed), and count the lease as unchanged since then.
    Lease seen = vanishedHeld.getOrDefault(name, leases.get(name));
    long renewals = seen != null && seen.epoch() == h.epoch ? seen.renewals() + 2 : 2;
    Lease restored = new Lease(settings.node(), boot, h.epoch, renewals, true);
    return swap(name, null, restored).compose(now -> {
      if (!restored.equals(now)) {
        lose(name, "the lease is now " + describe(now));
        return Future.succeededFuture();
      }
      LOG.warn("[{}] the lease map had lost this listener's lease (epoch {}): written back", name, h.epoch);
      leases.put(name, now);
      held.replace(name, h, new Held(h.epoch, sent));
      return Future.succeededFuture();
    });
  }

  private Future<Void> renew(String name, Lease lease) {
    Lease next = lease.renewed();
    long sent = System.nanoTime();
    Held before = held.get(name);
    if (before != null && sent - before.renewedAt > settings.lease().renewDeadline().toNanos()) {
      // Overdue already (this node was paused): a renewal now could succeed against this node's own stale copy
      // of the map, and must never extend a lease that another node may have taken meanwhile.
      fenceOverdue();
      return Future.succeededFuture();
    }
    return swap(name, lease, next).compose(now -> {
      Held h = held.get(name);
      if (next.equals(now)) {
        leases.put(name, now);
        if (h != null && h.epoch == next.epoch()) {
          held.replace(name, h, new Held(h.epoch, sent));
          long since = sent - h.renewedAt;
          if (since > settings.lease().renewInterval().toNanos() * 3) {
            // In time, but late: the map was slow to answer (a member silent, a loaded machine). Near a fencing.
            // Once per burst: a member gone silent delays the renewals of every lease it kept, a third of them in a cluster of three.
            lateRenewals.warn("[" + name + "] lease (epoch " + h.epoch + ") renewed " + since / 1_000_000 + " ms after the renewal"
                + " before it (renewDeadline " + settings.lease().renewDeadline().toMillis() + " ms): the lease map was slow to answer");
          }
        }
        recordEpoch(name, next.epoch());
        return handOverIfSettled(name);
      }
      if (now == null && h != null && members.majorityPresent()) {
        return restore(name, h); // the entry was lost while the renewal was on its way
      }
      lose(name, "the lease is now " + describe(now));
      return Future.succeededFuture();
    });
  }

  /**
   * Raises {@code name}'s record to {@code epoch}, on every node's disk too: the next claim starts above it whatever
   * happens to the lease map. Checked against this node's copy of the record (which follows the map's events, and
   * its re-read every 5 s) at the claim and at every renewal: a write that failed, or a record that lost the epoch,
   * is mended while this node holds the lease. One write at a time per listener.
   */
  private void recordEpoch(String name, long epoch) {
    ListenerRecord r = state.record(name);
    if (r == null || r.epoch() >= epoch || !recording.add(name)) {
      return;
    }
    state.change(name, new RecordChange(RecordChange.Action.EPOCH, null, false, epoch))
        .onComplete(ar -> recording.remove(name))
        .onFailure(err -> LOG.debug("[{}] epoch {} not recorded yet (tried again at the next renewal): {}", name, epoch, err.toString()));
  }

  /**
   * A node that joined ranks first: once this connection has proved itself, and that node takes leases,
   * the listener moves there.
   */
  private Future<Void> handOverIfSettled(String name) {
    String first = Placement.first(name, members.heard());
    if (first == null || first.equals(settings.node())) {
      return Future.succeededFuture();
    }
    return supervisor.status(name).compose(result -> {
      ListenerStatus s = result.listener();
      boolean settled = !s.active() || (s.state() == ListenerState.CONNECTED && s.connectedSince() != null
          && Duration.between(s.connectedSince(), Instant.now()).compareTo(settings.rebalanceAfter()) >= 0);
      return settled ? takers.takes(first, callTimeout()) : Future.succeededFuture(false);
    }).compose(ready -> {
      if (!ready) {
        LOG.debug("[{}] {} ranks first but does not take leases (yet): kept here", name, first);
        return Future.<Void>succeededFuture();
      }
      return release(name, "handing over to " + first + ", which ranks first for it");
    });
  }

  private void lose(String name, String why) {
    if (held.remove(name) != null) {
      supervisor.disown(name, why);
    }
  }

  /**
   * The map says this node holds a lease it does not hold here: its claim went through but the answer was lost
   * (a timeout), or it lost the lease (a renewal too late) and is closing the listener. Nothing will run under
   * it, so once the listener has closed here the lease is marked released, and the next claim need not wait a
   * whole lease for it to look abandoned. Should the read be this node's stale copy (after a pause), the write
   * reaches only that copy and changes nothing.
   */
  private Future<Void> letGoOfUnheld(String name, Lease lease) {
    return supervisor.settled(name)
        .compose(v -> swap(name, lease, lease.released()))
        .onSuccess(now -> {
          if (lease.released().equals(now)) {
            LOG.info("[{}] let go of the lease of epoch {}: the map named this node, which did not hold it", name, lease.epoch());
            vertx.eventBus().publish(RELEASED, new JsonObject().put("name", name));
          }
        })
        .mapEmpty();
  }

  /** Stops the listener here, then marks its lease released and says so. */
  private Future<Void> release(String name, String why) {
    Held h = held.get(name);
    if (h == null) {
      return Future.succeededFuture();
    }
    // Held until the listener has closed: what it publishes meanwhile is still the owner's.
    return supervisor.disown(name, why)
        .onComplete(ar -> held.remove(name, h))
        .compose(v -> HazelcastCalls.call(context, callTimeout(), () -> map.getAsync(name)))
        .compose(lease -> releaseIfOurs(name, lease, h.epoch))
        // A renewal sent before the stop may land between the read and the swap: the swap then answers that
        // renewed lease, still ours, and is made again on it (once is enough: nothing renews it any more).
        .compose(lease -> releaseIfOurs(name, lease, h.epoch))
        .onSuccess(lease -> {
          if (lease != null && !lease.held()) { // not when another node had it already
            vertx.eventBus().publish(RELEASED, new JsonObject().put("name", name));
          }
        })
        .onFailure(err -> LOG.warn("[{}] could not release the lease ({}); another node takes it after the lease", name, err.getMessage()))
        .mapEmpty();
  }

  /** Marks {@code lease} released if it is still this node's under {@code epoch}; answers the lease as it is then. */
  private Future<Lease> releaseIfOurs(String name, Lease lease, long epoch) {
    return lease != null && lease.held() && lease.heldBy(settings.node(), boot) && lease.epoch() == epoch
        ? swap(name, lease, lease.released()) : Future.succeededFuture(lease);
  }

  private Future<Lease> swap(String name, Lease expected, Lease next) {
    return HazelcastCalls.call(context, callTimeout(), () -> map.submitToKey(name, new LeaseSwap(expected, next)));
  }

  /** A lease call that takes longer than two renewal intervals is as good as failed. */
  private long callTimeout() {
    return settings.lease().renewInterval().toMillis() * 2;
  }

  private static String describe(Lease lease) {
    if (lease == null) {
      return "gone";
    }
    return (lease.held() ? "held by " : "released by ") + lease.owner() + " (epoch " + lease.epoch() + ")";
  }
}
