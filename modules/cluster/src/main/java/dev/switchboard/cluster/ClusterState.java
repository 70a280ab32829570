package dev.switchboard.cluster;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import dev.switchboard.core.ControlException;
import dev.switchboard.core.JsonFile;
import dev.switchboard.core.JsonSyntax;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.Supervisor;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The listeners as the whole cluster wants them (definition, started or stopped, restarts), kept in a
 * majority-protected Hazelcast map and mirrored by every node to its own data dir. A change is
 * acknowledged once a majority of nodes has it on disk ({@link #awaitSaved}); at boot, once a majority
 * has joined, every node offers its file and the highest version of each listener wins, so the cluster
 * survives a restart of all its nodes, and a lone node with a stale file starts nothing. Every change
 * is applied to this node's supervisor, which runs the listeners this node owns.
 */
final class ClusterState {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterState.class);
  static final String MAP = "switchboard.listeners";
  /**
   * The nodes that have offered their file to the cluster's records since those were last empty (majority-protected
   * like every switchboard.* map). A node follows the records only once a majority of nodes are in it.
   */
  static final String OFFERED = "switchboard.offered";
  /** Publish: {@code {node, name, version}} once a node has that version of a record on disk. */
  static final String SAVED = "switchboard.cluster.saved";
  static final long CALL_TIMEOUT_MS = 4_000;
  private static final long JOIN_POLL_MS = 200;
  private static final long REOFFER_MS = 5_000;

  private final Vertx vertx;
  private final Context context;
  private final HazelcastInstance hazelcast;
  private final Members members;
  private final String node;
  private final Supervisor supervisor;
  private final List<ListenerDefinition> seeds;
  private final Path file;
  private final Map<String, ListenerRecord> known = new LinkedHashMap<>();
  /** Whether the periodic read of the records is still in flight. */
  private boolean reading;
  /** This node found the cluster empty and seeds it with the config file's listeners: until it has, every retry does. */
  private boolean seeding;
  /** Per listener, per node: the highest version that node has on disk. */
  private final Map<String, Map<String, Long>> saved = new HashMap<>();
  private final List<Consumer<String>> watchers = new ArrayList<>();
  private final Map<String, List<Runnable>> savedWaiters = new HashMap<>();
  private final Promise<Void> loaded = Promise.promise();
  private IMap<String, ListenerRecord> map;
  private IMap<String, Boolean> offers;
  private JsonFile mirror;
  private boolean listening;

  ClusterState(Context context, HazelcastInstance hazelcast, Members members, String node, Supervisor supervisor,
               List<ListenerDefinition> seeds, Path dataDir) {
    this.vertx = context.owner();
    this.context = context;
    this.hazelcast = hazelcast;
    this.members = members;
    this.node = node;
    this.supervisor = supervisor;
    this.seeds = List.copyOf(seeds);
    this.file = dataDir.resolve("cluster-state.json");
  }

  Future<?> start() {
    map = hazelcast.getMap(MAP);
    offers = hazelcast.getMap(OFFERED);
    mirror = new JsonFile(vertx, file, true);
    vertx.eventBus().<JsonObject>consumer(SAVED, msg -> onSaved(msg.body()));
    // Offered to the cluster once a majority is here; the deploy does not wait for that.
    vertx.setPeriodic(REOFFER_MS, id -> reoffer());
    // Until a majority is here, this node shows what it last knew (or the config file's listeners), as
    // provisional: nothing runs from it, and the cluster's records replace it once they can be read.
    return mirror.read()
        .map(buffer -> buffer == null ? null : parse(buffer.toJsonObject()))
        .onSuccess(mine -> {
          boolean fresh = mine == null;
          Map<String, ListenerRecord> known = fresh ? provisionalSeeds() : mine;
          known.forEach(this::learn);
          joinWhenMajority(fresh ? Map.of() : mine, fresh);
        })
        .recover(err -> Future.failedFuture(new IllegalStateException("cannot read " + file + ": " + JsonSyntax.describe(err)
            + " (move it away to let this node take the cluster's state as it is)", err)))
        .mapEmpty();
  }

  private Map<String, ListenerRecord> provisionalSeeds() {
    Map<String, ListenerRecord> out = new LinkedHashMap<>();
    seeds.forEach(d -> out.put(d.name(), ListenerRecord.created(d.source().encode(), d.spec().autoStart(), 0)));
    return out;
  }

  /**
   * Reads the cluster's records and takes any newer than this node's: a change made while this node was
   * cut off or frozen reaches it no other way (a merge back into the cluster replays no entry events).
   * Then offers every record known here again (the highest version still wins): the map is in memory, and
   * should all the members that held an entry die at once, the nodes' copies restore it.
   */
  private void reoffer() {
    if (!loaded.future().isComplete() || !members.majorityPresent() || reading) {
      return; // a read still in flight (Hazelcast slow, during a merge): no second one queued behind it
    }
    reading = true;
    // Unordered, and "reading" cleared only once the worker is done: a read that outlasts its timeout still holds a
    // worker, and an ordered one would queue every later read behind it.
    Future<Map<String, ListenerRecord>> whole = vertx.executeBlocking(() -> new LinkedHashMap<>(map), false);
    whole.onComplete(done -> reading = false);
    whole.timeout(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).onComplete(read -> {
      if (read.succeeded()) {
        read.result().forEach(this::learn); // only a higher version changes anything
      } else {
        LOG.debug("re-reading the cluster's listeners failed (tried again in {} ms): {}", REOFFER_MS, read.cause().toString());
      }
      known.forEach((name, r) -> {
        if (r.version() > 0) {
          HazelcastCalls.call(context, CALL_TIMEOUT_MS, () -> map.submitToKey(name, new KeepNewer(r)))
              .onFailure(err -> LOG.debug("[{}] offering version {} again failed: {}", name, r.version(), err.toString()));
        }
      });
    });
  }

  /** Completes once this node has offered its file and follows the cluster's records. */
  Future<Void> loaded() {
    return loaded.future();
  }

  /** Called on this verticle's loop with a listener's name whenever its record changes (or it is removed). */
  void watch(Consumer<String> watcher) {
    watchers.add(watcher);
  }

  /** The records known here: every defined listener, tombstones left out. */
  Map<String, ListenerRecord> listeners() {
    Map<String, ListenerRecord> out = new LinkedHashMap<>();
    known.forEach((name, r) -> {
      if (!r.removed()) {
        out.put(name, r);
      }
    });
    return out;
  }

  ListenerRecord record(String name) {
    ListenerRecord r = known.get(name);
    return r == null || r.removed() ? null : r;
  }

  /** Applies {@code change} to {@code name}'s record, cluster-wide (fails without a majority). */
  Future<RecordChange.Outcome> change(String name, RecordChange change) {
    return HazelcastCalls.call(context, CALL_TIMEOUT_MS, () -> map.submitToKey(name, change))
        .onSuccess(outcome -> {
          if (outcome.after() != null) {
            learn(name, outcome.after()); // do not wait for the event to answer with it
          }
        });
  }

  /**
   * Completes with the number of nodes that have {@code version} (or newer) of {@code name} on disk, once
   * a majority has it; fails after {@code timeoutMs} saying how many had it.
   */
  Future<Integer> awaitSaved(String name, long version, long timeoutMs) {
    Promise<Integer> done = Promise.promise();
    Runnable check = () -> {
      int count = savedCount(name, version);
      if (count >= members.majority()) {
        done.tryComplete(count);
      }
    };
    check.run();
    if (done.future().isComplete()) {
      return done.future();
    }
    savedWaiters.computeIfAbsent(name, n -> new ArrayList<>()).add(check);
    long timer = vertx.setTimer(timeoutMs, id -> done.tryFail("on disk on " + savedCount(name, version) + " of "
        + members.majority() + " nodes needed (a majority) after " + timeoutMs + " ms"));
    return done.future().onComplete(ar -> {
      vertx.cancelTimer(timer);
      List<Runnable> waiting = savedWaiters.get(name);
      if (waiting != null) {
        waiting.remove(check);
        if (waiting.isEmpty()) {
          savedWaiters.remove(name);
        }
      }
    });
  }

  private int savedCount(String name, long version) {
    return (int) saved.getOrDefault(name, Map.of()).values().stream().filter(v -> v >= version).count();
  }

  private void onSaved(JsonObject ack) {
    String name = ack.getString("name");
    saved.computeIfAbsent(name, n -> new HashMap<>()).merge(ack.getString("node"), ack.getLong("version"), Math::max);
    List<Runnable> waiting = savedWaiters.get(name);
    if (waiting != null) {
      new ArrayList<>(waiting).forEach(Runnable::run);
    }
  }

  // ---- boot ------------------------------------------------------------------------------------

  /** @param fresh this node has no file: it has never been part of a cluster that had listeners */
  private void joinWhenMajority(Map<String, ListenerRecord> mine, boolean fresh) {
    if (!members.majorityPresent()) {
      vertx.setTimer(JOIN_POLL_MS, id -> joinWhenMajority(mine, fresh));
      return;
    }
    // Listen first, then read: no change can fall between the two.
    vertx.executeBlocking(() -> listening ? null : map.addEntryListener(new Changes(), true))
        .onSuccess(id -> listening = true)
        .compose(v -> {
          List<Future<ListenerRecord>> offered = new ArrayList<>();
          mine.forEach((name, r) -> {
            if (r.version() > 0) {
              offered.add(HazelcastCalls.call(context, CALL_TIMEOUT_MS, () -> map.submitToKey(name, new KeepNewer(r))));
            }
          });
          return Future.all(offered);
        })
        // The highest version wins only among the files offered: a majority of members is not yet a majority of
        // files. Measured: after a restart of all three nodes, the stale node read the records before the other
        // had offered its newer file, and connected a listener that file had stopped, for 0.5 s.
        .compose(v -> HazelcastCalls.call(context, CALL_TIMEOUT_MS, () -> offers.putAsync(node, Boolean.TRUE)))
        .compose(v -> offersFromMajority())
        .compose(v -> vertx.executeBlocking(() -> new LinkedHashMap<>(map)))
        .compose(all -> {
          // Once decided, every retry offers the seeds again: a seeding that failed part way leaves the map not
          // empty, and the listeners it missed would otherwise never be defined (KeepNewer keeps any newer record).
          if (!seeds.isEmpty() && (seeding || all.isEmpty() && fresh)) {
            seeding = true;
            LOG.info("the cluster has no listeners yet: seeding it with the config file's {}", seeds.size());
            List<Future<ListenerRecord>> seeded = new ArrayList<>();
            for (ListenerDefinition d : seeds) {
              ListenerRecord r = ListenerRecord.created(d.source().encode(), d.spec().autoStart(), 1);
              seeded.add(HazelcastCalls.call(context, CALL_TIMEOUT_MS, () -> map.submitToKey(d.name(), new KeepNewer(r))));
            }
            return Future.all(seeded).compose(v -> vertx.executeBlocking(() -> new LinkedHashMap<>(map)));
          }
          return Future.succeededFuture(all);
        })
        .onSuccess(all -> {
          // Provisional records the cluster does not have are not the cluster's: they go.
          new ArrayList<>(known.keySet()).stream().filter(name -> !all.containsKey(name) && known.get(name).version() == 0)
              .forEach(name -> learn(name, new ListenerRecord(known.get(name).definition(), false, 0, 0, true, 0, 0)));
          all.forEach(this::learn);
          LOG.info("following the cluster's {} listener record(s)", all.size());
          loaded.tryComplete();
        })
        .onFailure(err -> {
          LOG.warn("could not load the cluster's listeners ({}); trying again", err.getMessage());
          vertx.setTimer(1_000, id -> joinWhenMajority(mine, fresh));
        });
  }

  /** Completes once a majority of nodes have offered their files (at once in a running cluster: they did at its start). */
  private Future<Void> offersFromMajority() {
    Promise<Void> done = Promise.promise();
    pollOffers(done);
    return done.future();
  }

  private void pollOffers(Promise<Void> done) {
    vertx.executeBlocking(() -> offers.size()).onComplete(ar -> {
      if (ar.succeeded() && ar.result() >= members.majority()) {
        done.tryComplete();
      } else {
        vertx.setTimer(JOIN_POLL_MS, id -> pollOffers(done));
      }
    });
  }

  private static Map<String, ListenerRecord> parse(JsonObject json) {
    Map<String, ListenerRecord> out = new LinkedHashMap<>();
    JsonObject records = json.getJsonObject("listeners", new JsonObject());
    records.forEach(e -> out.put(e.getKey(), ListenerRecord.fromJson((JsonObject) e.getValue())));
    return out;
  }

  // ---- following the cluster --------------------------------------------------------------------

  /** Hazelcast's events, moved onto this verticle's loop (one key's events keep their order). */
  private final class Changes implements EntryAddedListener<String, ListenerRecord>, EntryUpdatedListener<String, ListenerRecord>,
      EntryMergedListener<String, ListenerRecord> {
    @Override
    public void entryAdded(EntryEvent<String, ListenerRecord> event) {
      context.runOnContext(v -> learn(event.getKey(), event.getValue()));
    }

    @Override
    public void entryUpdated(EntryEvent<String, ListenerRecord> event) {
      context.runOnContext(v -> learn(event.getKey(), event.getValue()));
    }

    @Override
    public void entryMerged(EntryEvent<String, ListenerRecord> event) {
      context.runOnContext(v -> learn(event.getKey(), event.getMergingValue() == null ? event.getValue() : event.getMergingValue()));
    }
  }

  /** A record seen here: newer than what is known, it is mirrored, acknowledged and applied. */
  private void learn(String name, ListenerRecord r) {
    if (r == null) {
      return;
    }
    ListenerRecord before = known.get(name);
    if (before != null && before.version() >= r.version() && r.epoch() > before.epoch() && r.version() > 0) {
      r = before.withEpoch(r.epoch()); // not newer, but a higher epoch (KeepNewer raised it): only the epoch is taken
    } else if (before != null && before.version() >= r.version() && !(r.removed() && r.version() == 0)) {
      return;
    }
    known.put(name, r);
    if (r.version() > 0) {
      saveMirror(name, r.version()); // provisional records (version 0) are never written: they are not the cluster's
    }
    apply(name, before, r);
    watchers.forEach(w -> w.accept(name));
  }

  private void saveMirror(String name, long version) {
    JsonObject records = new JsonObject();
    known.forEach((n, r) -> {
      if (r.version() > 0) {
        records.put(n, r.toJson());
      }
    });
    mirror.write(new JsonObject().put("node", node).put("listeners", records))
        .onSuccess(v -> vertx.eventBus().publish(SAVED, new JsonObject().put("node", node).put("name", name).put("version", version)))
        .onFailure(err -> LOG.error("[{}] version {} could not be saved to {}: {}", name, version, file, err.getMessage()));
  }

  /** Makes this node's supervisor agree with the record: defined, removed, started, stopped, restarted. */
  private void apply(String name, ListenerRecord before, ListenerRecord r) {
    if (r.removed()) {
      if (before != null && !before.removed()) {
        supervisor.remove(name).onFailure(err -> LOG.debug("[{}] remove: {}", name, err.getMessage()));
      }
      return;
    }
    boolean sameDefinition = before != null && !before.removed() && before.definition().equals(r.definition());
    if (sameDefinition && before.active() == r.active() && before.restarts() == r.restarts()) {
      return; // only the epoch (or the version) moved: a listener that gave up (FAILED) is not started by it
    }
    Future<?> defined = sameDefinition ? Future.succeededFuture() : supervisor.define(name, r.definitionJson());
    defined
        .onFailure(err -> {
          if (err instanceof ControlException refused && refused.code() == 503) {
            LOG.debug("[{}] version {} not applied: {}", name, r.version(), err.getMessage()); // this node is shutting down
          } else {
            // Unreadable here (a 400), the supervisor has dropped the definition it replaced as well: another node runs this one.
            LOG.error("[{}] the cluster's definition (version {}) cannot run on this node: {}", name, r.definitionVersion(), err.getMessage());
          }
        })
        .onSuccess(v -> {
          // The newest record, not r: a stop learned while this define ran was queued behind it, and r's older
          // "active" would otherwise land after it and start the listener again. A newer definition has its own define.
          ListenerRecord latest = known.get(name);
          if (latest != null && !latest.removed() && latest.definition().equals(r.definition())) {
            supervisor.desire(name, latest.active(), latest.restarts());
          }
        });
  }
}
