package dev.switchboard.core;

import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Owns every listener's lifecycle and definition: it is the only one that deploys or undeploys
 * listener instances and their companions, and the {@link ControlPlane} that REST, the event bus and
 * the dashboard wrap. It runs on one event loop, and every command for a listener name (start, stop,
 * restart, define, remove, and its own retries) goes through that name's queue, so they are
 * serialized without locks: each waits for the previous one. It drives the actual state toward the
 * desired one, which it persists with the definitions.
 */
public class Supervisor extends VerticleBase implements ControlPlane {
  private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
  /** How often a desired state that could not be saved is tried again. */
  static final long UNSAVED_RETRY_MS = 2_000;

  /**
   * Options that are the supervisor's own, not any listener's.
   *
   * @param env  where {@code ${VAR}} placeholders of definitions sent at run time are resolved
   * @param node in a cluster, this node's name; null in a single process. A clustered supervisor runs
   *             only the listeners it is told it owns ({@link #own}), takes definitions and desired
   *             states from the cluster ({@link #define}, {@link #desire}) and keeps no file of its own,
   *             and publishes its owned listeners' status on {@link Addresses#CLUSTER_STATUS}.
   */
  public record Options(Path dataDir, Duration statusInterval, Map<String, String> env, String node) {
    public Options(Path dataDir, Duration statusInterval, Map<String, String> env) {
      this(dataDir, statusInterval, env, null);
    }

    boolean clustered() {
      return node != null;
    }
  }

  private final ListenerKinds kinds;
  private final List<ListenerDefinition> seeds;
  private final Options options;
  private final Map<String, ListenerEntry> entries = new LinkedHashMap<>();
  /** Which bridge sockets listen to which listener, defined or not: a listener defined later counts them at once. */
  private final BridgeClients clients = new BridgeClients();
  /** What is (being) persisted: updated before each save, so concurrent changes never drop each other. */
  private final Map<String, ListenerDefinition> defined = new LinkedHashMap<>();
  /** The tail of each listener name's command queue. */
  private final Map<String, Future<Void>> queues = new HashMap<>();
  /** Per name with queued commands: the number of the latest start, stop or restart asked for. */
  private final Map<String, Long> lifecycleTickets = new HashMap<>();
  private Context context;
  private DesiredStateStore desiredStore;
  private DefinitionStore definitionStore;
  private long statusSeq;
  /**
   * Which stream {@link #statusSeq} counts in, given with the snapshot: a seq is only comparable with one
   * of the same view, so a client that comes back after a restart (a new view) is answered with a snapshot.
   */
  private final String statusView = java.util.UUID.randomUUID().toString();
  private long definitionSeq;
  /** Supervisor-wide, so that an instance of a removed listener can never pass for one of its successor. */
  private long generations;
  /** Set by {@link #shutDown()}: nothing is deployed any more, and reports are not acted on. */
  private boolean shuttingDown;
  /** Completed by {@link #startListeners()} when {@link #holdListeners()} was called; started at once otherwise. */
  private Promise<Void> released;

  /**
   * @param seeds the config file's listeners: the definitions on the first start (no
   *              {@code definitions.json} in the data dir yet); afterwards the data dir is the truth
   */
  public Supervisor(ListenerKinds kinds, List<ListenerDefinition> seeds, Options options) {
    this.kinds = kinds;
    this.seeds = List.copyOf(seeds);
    this.options = options;
  }

  @Override
  public Future<?> start() {
    context = vertx.getOrCreateContext();
    LocalCodec.register(vertx, ListenerReport.class);
    LocalCodec.register(vertx, BridgeActivity.class);
    // Registered on every node: a cluster's data envelopes arrive here from whichever node owns the listener.
    dev.switchboard.core.envelope.JsonEnvelopeCodec.register(vertx);
    vertx.eventBus().<ListenerReport>localConsumer(Addresses.LISTENER_REPORTS, msg -> onReport(msg.body()));
    vertx.eventBus().<BridgeActivity>localConsumer(Addresses.BRIDGE_EVENTS, msg -> {
      String listener = clients.apply(msg.body());
      if (listener != null && entries.containsKey(listener)) {
        entries.get(listener).stats.connectedClients(clients.count(listener));
      }
    });
    vertx.eventBus().<String>localConsumer(Addresses.BRIDGE_REGISTRATIONS, msg -> msg.reply(clients.registrations(msg.body())));
    vertx.setPeriodic(options.statusInterval().toMillis(), id -> publishCounters());
    if (options.clustered()) {
      return Future.succeededFuture(); // the cluster defines the listeners, and keeps them
    }
    desiredStore = new DesiredStateStore(vertx, options.dataDir());
    definitionStore = new DefinitionStore(vertx, options.dataDir());
    vertx.eventBus().<Object>consumer(Addresses.CONTROL, new ControlEndpoint(this)::handle);
    vertx.eventBus().<Object>consumer(Addresses.STATUS_SNAPSHOT, msg -> msg.reply(currentSnapshot().toJson().put("view", statusView)));
    vertx.setPeriodic(UNSAVED_RETRY_MS, id -> retryUnsaved());
    return definitionStore.load()
        .compose(this::initialDefinitions)
        .compose(definitions -> desiredStore.load().compose(persisted -> {
          List<Future<Void>> companions = new ArrayList<>();
          for (ListenerDefinition d : definitions) {
            ListenerEntry e = new ListenerEntry(d);
            // auto_start applies only to a listener with no persisted desired state
            e.desired = persisted.getOrDefault(d.name(), d.spec().autoStart());
            entries.put(d.name(), e);
            defined.put(d.name(), d);
            // One whose parts cannot start is FAILED with the reason; the others, and the process, go on.
            companions.add(deployParts(e).otherwiseEmpty());
          }
          return Future.all(companions);
        }))
        .onSuccess(v -> (released == null ? Future.<Void>succeededFuture() : released.future())
            .onSuccess(go -> context.runOnContext(x -> List.copyOf(entries.values())
                .forEach(e -> enqueue(e.name(), () -> startHeld(e))))));
  }

  /**
   * A listener's start after the hold, in its queue: judged when its turn comes, since commands taken
   * during the hold may be ahead of it (a stop, a removal, a start that already deployed it).
   */
  private Future<Void> startHeld(ListenerEntry e) {
    boolean untouched = entries.get(e.name()) == e && e.state == ListenerState.STOPPED && e.deploymentId == null;
    return untouched && e.desired ? deploy(e) : Future.succeededFuture();
  }

  /**
   * Call before deploying: the listeners wanted at start wait for {@link #startListeners()}, so that
   * what consumes their first messages (the status module's history, your verticles) is deployed first.
   */
  public Supervisor holdListeners() {
    released = Promise.promise();
    return this;
  }

  /** Starts the listeners held by {@link #holdListeners()}. */
  public void startListeners() {
    if (released != null) {
      released.tryComplete();
    }
  }

  /** The stored definitions when there are some; otherwise the config file's, stored from now on. */
  private Future<List<ListenerDefinition>> initialDefinitions(Optional<Map<String, DefinitionStore.Stored>> stored) {
    if (stored.isEmpty()) {
      return definitionStore.put(seeds).map(seeds);
    }
    List<ListenerDefinition> out = new ArrayList<>();
    Map<String, JsonObject> seedSources = new LinkedHashMap<>();
    seeds.forEach(d -> seedSources.put(d.name(), d.source()));
    Map<String, JsonObject> storedSources = new LinkedHashMap<>();
    for (Map.Entry<String, DefinitionStore.Stored> s : stored.get().entrySet()) {
      storedSources.put(s.getKey(), s.getValue().definition());
      try {
        out.add(kinds.read("", s.getValue().definition(), options.env(), options.dataDir(), s.getValue().version()));
      } catch (ConfigException e) {
        return Future.failedFuture(new IllegalStateException(definitionStore.file() + ": listener '" + s.getKey() + "': "
            + Secrets.global().redact(e.getMessage()) + " (fix it over the API after removing the file's entry, or delete the file to start again from the config file)"));
      }
    }
    if (!storedSources.equals(seedSources)) {
      LOG.warn("the config file's listeners differ from {}, which has been the truth since the first start; "
          + "POST /api/reload (or SIGHUP) applies the file", definitionStore.file());
    }
    return Future.succeededFuture(out);
  }

  /**
   * The process is stopping: every listener closes its connection (close frame), no retry or command
   * deploys anything after this, and the desired states stay as they are (a shutdown is not a stop).
   * Called before this verticle is undeployed, so that no instance is deployed while Vert.x undeploys
   * the others (it would outlive its parent and fail at close).
   */
  public Future<Void> shutDown() {
    return onLoop(() -> {
      shuttingDown = true; // from now on, a queued retry or start deploys nothing
      List<Future<Void>> down = new ArrayList<>();
      // A definition still on its way (its file being written) finishes first: it may have deployed parts by then.
      List.copyOf(queues.keySet()).stream().filter(name -> !entries.containsKey(name))
          .forEach(name -> down.add(enqueue(name, () -> Future.<Void>succeededFuture())));
      for (ListenerEntry e : entries.values()) {
        // In the listener's queue: a deploy in flight (a retry a moment ago) has its id by then, and is undeployed
        // with the others; one already being undeployed (after an exit) finishes before Vert.x closes.
        down.add(enqueue(e.name(), () -> {
          cancelTimers(e);
          return e.undeploying.compose(v -> undeployCurrent(e));
        }));
      }
      // And the saves of the desired states those commands changed: their answers wait for them.
      return Future.join(down).otherwiseEmpty()
          .compose(v -> desiredStore == null ? Future.succeededFuture() : desiredStore.flush().otherwiseEmpty()).mapEmpty();
    });
  }

  @Override
  public Future<?> stop() {
    // Listener instances and companions are our children: Vert.x has undeployed them (with their close frames) already.
    return desiredStore == null ? Future.succeededFuture() : Future.all(desiredStore.flush(), definitionStore.flush());
  }

  private Future<Void> deployCompanions(ListenerEntry e) {
    if (!e.owned || !e.companions.isEmpty()) {
      return Future.succeededFuture(); // in a cluster, companions run where the listener runs
    }
    // The epoch in their context: what they send carries it, and is dropped once this node has lost the lease.
    DeploymentOptions deployment = new DeploymentOptions().setConfig(partConfig(e).put(ListenerVerticle.EPOCH, e.epoch));
    List<Future<String>> deployed = new ArrayList<>();
    for (Deployable companion : e.definition.factory().companions(e.spec(), e.stats)) {
      deployed.add(vertx.deployVerticle(companion, deployment).onSuccess(e.companions::add));
    }
    return settled(deployed);
  }

  /**
   * Fails if any deployment failed, but only once all have ended: what is undeployed after a failure must include a
   * slower part that started after it (left behind, it would be taken for the whole set at the next start).
   */
  private static Future<Void> settled(List<Future<String>> deployments) {
    return Future.join(deployments).mapEmpty();
  }

  /**
   * The kind's long-lived parts for this listener: those on every node, then the companions. When one
   * cannot start, none is left half-deployed, and the listener is FAILED with the reason until a start
   * tries them again (a running instance without its companions would serve half a kind).
   */
  private Future<Void> deployParts(ListenerEntry e) {
    return deployNodeParts(e).compose(v -> deployCompanions(e)).recover(err -> undeployCompanions(e)
        .compose(v -> undeployNodeParts(e))
        .compose(v -> {
          String why = "its companions could not start: " + Secrets.global().redact(String.valueOf(err.getMessage()));
          e.state = ListenerState.FAILED;
          e.taskStatus = "failed";
          e.connectedSince = null;
          e.lastError = new LastError(Instant.now(), why, "companion");
          publish(e);
          log(e, "failed: " + why);
          return Future.failedFuture(new ControlException(500, "listener '" + e.name() + "': " + why
              + "; it is FAILED until a start, once the cause is fixed"));
        }));
  }

  /** The parts of the listener's kind that run on every node, owner or not; a no-op when they run already. */
  private Future<Void> deployNodeParts(ListenerEntry e) {
    if (!e.nodeParts.isEmpty()) {
      return Future.succeededFuture();
    }
    DeploymentOptions deployment = new DeploymentOptions().setConfig(partConfig(e));
    List<Future<String>> deployed = new ArrayList<>();
    for (Deployable part : e.definition.factory().everyNode(e.spec(), e.stats)) {
      deployed.add(vertx.deployVerticle(part, deployment).onSuccess(e.nodeParts::add));
    }
    return settled(deployed);
  }

  private Future<Void> undeployNodeParts(ListenerEntry e) {
    List<Future<Void>> undeployed = e.nodeParts.stream().map(id -> vertx.undeploy(id)).toList();
    e.nodeParts.clear();
    return Future.join(undeployed).otherwiseEmpty().mapEmpty();
  }

  private JsonObject partConfig(ListenerEntry e) {
    JsonObject config = new JsonObject().put(ListenerVerticle.LISTENER, e.name());
    return options.clustered() ? config.put(ListenerVerticle.NODE, options.node()) : config;
  }

  private Future<Void> undeployCompanions(ListenerEntry e) {
    List<Future<Void>> undeployed = e.companions.stream().map(id -> vertx.undeploy(id)).toList();
    e.companions.clear();
    return Future.join(undeployed).otherwiseEmpty().mapEmpty();
  }

  // ---- in a cluster: what the node's ownership and the cluster's state tell this supervisor --------

  /**
   * This node now holds the listener's lease, with {@code epoch}: its companions are deployed and, if it
   * is wanted, its instance, whose status and data carry the epoch. Cluster only.
   */
  public Future<Void> own(String name, long epoch) {
    return onLoop(() -> {
      ListenerEntry claimed = entries.get(name);
      if (claimed != null) {
        claimed.leaseEpoch = epoch;
      }
      return enqueue(name, () -> ownNow(name, epoch));
    });
  }

  /**
   * Whether this node's entry for {@code name} is the one the lease of {@code epoch} was given to: not
   * when the listener was removed and defined again meanwhile (a new entry, which no lease was given to).
   * Cluster only.
   */
  public Future<Boolean> holdsUnder(String name, long epoch) {
    return onLoop(() -> {
      ListenerEntry e = entries.get(name);
      return Future.succeededFuture(e != null && e.leaseEpoch == epoch);
    });
  }

  /**
   * Completes once everything queued for {@code name} so far has run: a listener this node was told to let go of
   * has closed. Cluster only.
   */
  public Future<Void> settled(String name) {
    return onLoop(() -> enqueue(name, () -> Future.<Void>succeededFuture()));
  }

  private Future<Void> ownNow(String name, long epoch) {
    ListenerEntry e = entries.get(name);
    // Not when the lease was taken back (disowned) while this waited its turn, nor for an entry it was not given to.
    if (e == null || shuttingDown || e.leaseEpoch != epoch) {
      return Future.succeededFuture();
    }
    e.owned = true;
    e.epoch = epoch;
    e.attempt = 0;
    e.state = ListenerState.STOPPED;
    log(e, "owned here (epoch " + epoch + ")");
    if (!e.desired) {
      publish(e); // wanted, it says STARTING at once instead: never a STOPPED that nobody asked for
    }
    return deployCompanions(e).compose(v -> e.desired ? deploy(e) : Future.succeededFuture());
  }

  /**
   * This node no longer holds the listener's lease (it handed it over, lost it, or could not renew it in
   * time): the instance closes its connection and the companions go. Its last status from here says
   * so ({@code UNASSIGNED}, under its epoch); the next owner speaks for it from then on. Cluster only.
   */
  public Future<Void> disown(String name, String why) {
    return onLoop(() -> {
      ListenerEntry e = entries.get(name);
      if (e == null || (!e.owned && e.leaseEpoch == 0)) {
        return Future.succeededFuture();
      }
      boolean pending = !e.owned; // owned, but its own() still waits in the queue: it now finds the lease gone
      e.owned = false; // at once, not in the queue: a deploy queued behind this must find it gone
      e.leaseEpoch = 0;
      if (pending) {
        LOG.info("[{}] no longer owned here before it ran: {}", name, why);
        // Answered in the queue: whatever an earlier lease left to close is closed before the lease is let go.
        return enqueue(name, () -> Future.succeededFuture());
      }
      LOG.info("[{}] no longer owned here (epoch {}): {}", name, e.epoch, why);
      return enqueue(name, () -> closeHere(e, why));
    });
  }

  /** Drops a listener's entry on this node, its instance, companions and node parts; its kind's state stays (the cluster's). */
  private Future<Void> dropHere(ListenerEntry e, String why) {
    boolean owned = e.owned;
    e.owned = false; // an own() queued behind this finds no entry
    e.desired = false;
    // The lease epoch stays until the connection has closed: till then this node still holds the lease (holdsUnder),
    // and renews it rather than letting another node connect beside the closing one.
    return (owned ? closeHere(e, why) : Future.<Void>succeededFuture())
        .compose(v -> undeployNodeParts(e))
        .map(v -> {
          e.leaseEpoch = 0;
          entries.remove(e.name());
          defined.remove(e.name());
          LOG.warn("[{}] dropped on this node: {}", e.name(), why);
          return null;
        });
  }

  /** Closes what ran here under the lease, and says so: the last word under its epoch. Supervisor loop, in the name's queue. */
  private Future<Void> closeHere(ListenerEntry e, String why) {
    cancelTimers(e);
    e.nextRetryAt = null;
    return undeployCurrent(e).compose(v -> undeployCompanions(e)).map(v -> {
      e.state = ListenerState.UNASSIGNED;
      e.connectedSince = null;
      // No longer running here (views keep it until a newer epoch speaks).
      ListenerStatus last = status(e).unassigned(options.node() + " stopped it: " + why);
      vertx.eventBus().publish(Addresses.CLUSTER_STATUS, new JsonObject().put("node", options.node()).put("epoch", e.epoch)
          .put("status", last.toJson()));
      return null;
    });
  }

  /**
   * The cluster's desired state of a listener: started or stopped, and how many restarts were asked
   * for. The owner acts on a change; every node keeps it, so that a new owner starts from it. Cluster only.
   */
  public Future<Void> desire(String name, boolean active, long restarts) {
    return onLoop(() -> enqueue(name, () -> {
      ListenerEntry e = entries.get(name);
      if (e == null) {
        return Future.succeededFuture();
      }
      boolean restart = restarts > e.restarts;
      e.restarts = Math.max(e.restarts, restarts);
      if (!e.owned) {
        e.desired = active;
        return Future.succeededFuture();
      }
      if (active && (restart || !e.desired || e.state == ListenerState.FAILED || e.state == ListenerState.STOPPED)) {
        return (restart ? restart(e) : start(e)).mapEmpty();
      }
      if (!active && (e.desired || e.state != ListenerState.STOPPED)) {
        return stop(e).mapEmpty();
      }
      return Future.succeededFuture();
    }));
  }

  /** Publishes the status of every listener owned here again: a node that has just joined asks for it. Cluster only. */
  public void republish() {
    context.runOnContext(v -> entries.values().stream().filter(e -> e.owned).forEach(this::publish));
  }

  // ---- the control plane: every call hops onto the supervisor's loop and into the name's queue ----

  @Override
  public Future<Result> start(String name) {
    return lifecycle(name, Lifecycle.START);
  }

  @Override
  public Future<Result> stop(String name) {
    return lifecycle(name, Lifecycle.STOP);
  }

  @Override
  public Future<Result> restart(String name) {
    return lifecycle(name, Lifecycle.RESTART);
  }

  @Override
  public Future<Result> status(String name) {
    return onLoop(() -> {
      ListenerEntry e = entries.get(name);
      return e == null ? Future.failedFuture(notFound(name)) : Future.succeededFuture(result("ok", e));
    });
  }

  @Override
  public Future<Snapshot> snapshot() {
    return onLoop(() -> Future.succeededFuture(currentSnapshot()));
  }

  @Override
  public Future<Definition> definition(String name) {
    return onLoop(() -> {
      ListenerDefinition d = defined.get(name);
      return d == null ? Future.failedFuture(notFound(name))
          : Future.succeededFuture(new Definition(name, d.version(), kinds.masked(d.source())));
    });
  }

  @Override
  public Future<Result> define(String name, JsonObject definition, long expected) {
    return onLoop(() -> shuttingDown ? Future.failedFuture(shuttingDownRefusal())
        : answerOnceSaved(name, enqueue(name, () -> shuttingDown ? Future.failedFuture(shuttingDownRefusal())
            : applyDefinition(name, definition, expected))));
  }

  @Override
  public Future<Void> validate(JsonObject definition) {
    return onLoop(() -> {
      try {
        String name = definition.getValue("name") instanceof String n ? n : null;
        kinds.check(definition, sourceOf(name), options.env(), options.dataDir());
        return Future.succeededFuture();
      } catch (ConfigException e) {
        return Future.failedFuture(ControlException.invalid(e, Secrets.drawsOnServer(definition)));
      }
    });
  }

  @Override
  public Future<Result> remove(String name) {
    return command(name, this::remove);
  }

  @Override
  public Future<Map<String, String>> replaceAll(List<JsonObject> definitions) {
    return onLoop(() -> {
      Map<String, JsonObject> wanted = new LinkedHashMap<>();
      for (int i = 0; i < definitions.size(); i++) {
        JsonObject source = definitions.get(i);
        String path = "listeners[" + i + "]";
        try {
          ListenerDefinition d = kinds.read(path, kinds.keepMaskedSecrets(source, sourceOf(source.getString("name"))),
              options.env(), options.dataDir(), 1);
          if (wanted.put(d.name(), source) != null) {
            throw new ConfigException(path + ".name", "duplicate listener name '" + d.name() + "'");
          }
        } catch (ConfigException e) {
          return Future.failedFuture(ControlException.invalid(e));
        }
      }
      Map<String, Future<Result>> outcomes = new LinkedHashMap<>();
      wanted.forEach((name, source) -> outcomes.put(name, define(name, source)));
      new ArrayList<>(entries.keySet()).stream().filter(name -> !wanted.containsKey(name))
          .forEach(name -> outcomes.put(name, remove(name)));
      return Future.join(new ArrayList<>(outcomes.values())).transform(ignored -> {
        Map<String, String> answer = new LinkedHashMap<>();
        outcomes.forEach((name, f) -> answer.put(name, f.succeeded() ? f.result().outcome() : "failed: " + f.cause().getMessage()));
        return Future.succeededFuture(answer);
      });
    });
  }

  @Override
  public Future<HealthReport> health() {
    return onLoop(() -> {
      Map<String, HealthReport.ListenerHealth> each = new LinkedHashMap<>();
      boolean healthy = true;
      for (ListenerEntry e : entries.values()) {
        ListenerStatus status = status(e);
        Optional<String> problem = healthProblem(e, status);
        healthy &= problem.isEmpty();
        each.put(e.name(), new HealthReport.ListenerHealth(problem.isEmpty(), status.state(), status.active(), problem.orElse(null)));
      }
      return Future.succeededFuture(new HealthReport(healthy, each));
    });
  }

  /** Runs {@code action} on the supervisor's loop; the future completes on the caller's context. */
  private <T> Future<T> onLoop(Supplier<Future<T>> action) {
    if (context == null) {
      return Future.failedFuture(new ControlException(503, "the supervisor is not started"));
    }
    return LoopCall.on(context, action);
  }

  private enum Lifecycle { START, STOP, RESTART }

  /**
   * A start, stop or restart. Queued ones coalesce: when its turn comes, a command behind which a later
   * start, stop or restart of the same listener waits does nothing and answers {@code superseded} (a
   * stop after 40 queued restarts does not wait for 40 connections). The last one decides; a start that
   * comes after a superseded stop does what the two asked, and restarts a running listener (a script's
   * "stop; start" sent at once still renews the connection). One that starts something and whose turn
   * comes during the shutdown is refused: nothing would run.
   */
  private Future<Result> lifecycle(String name, Lifecycle command) {
    return onLoop(() -> {
      if (shuttingDown) {
        return Future.failedFuture(shuttingDownRefusal());
      }
      long ticket = lifecycleTickets.merge(name, 1L, Long::sum);
      return answerOnceSaved(name, enqueue(name, () -> {
        ListenerEntry e = entries.get(name);
        if (e == null) {
          return Future.failedFuture(notFound(name));
        }
        if (ticket != lifecycleTickets.get(name)) {
          e.stopSuperseded |= command == Lifecycle.STOP;
          return Future.succeededFuture(result("superseded", e));
        }
        if (command != Lifecycle.STOP && shuttingDown) {
          return Future.failedFuture(shuttingDownRefusal()); // queued before the shutdown began, due after
        }
        boolean stopSkipped = e.stopSuperseded;
        e.stopSuperseded = false;
        Future<String> done = switch (command) {
          case START -> stopSkipped && isActive(e) ? restart(e) : start(e);
          case STOP -> stop(e);
          case RESTART -> restart(e);
        };
        return done.map(outcome -> result(outcome, e));
      }));
    });
  }

  /**
   * The answer of a command, once the desired state it changed is saved (or its save failed, which the
   * answer says). The save is not a step of the listener's queue: a slow or hung disk delays answers,
   * never the next command nor the exit report of a connection that died, which must reconnect.
   */
  private Future<Result> answerOnceSaved(String name, Future<Result> acted) {
    return acted.transform(ar -> {
      ListenerEntry e = entries.get(name);
      if (e == null || !(e.unsaved || e.persistError != null)) {
        return ar.succeeded() ? Future.succeededFuture(ar.result()) : Future.failedFuture(ar.cause());
      }
      e.unsaved = false; // saved even when the command failed (a start whose deploy failed is still wanted)
      // The status as the command left it (what ran), with what the save says.
      return persistDesired(e).transform(v -> ar.succeeded() ? Future.succeededFuture(withSave(ar.result(), e))
          : Future.failedFuture(ar.cause()));
    });
  }

  /** A command on an existing listener, in its queue; 404 when there is none (by the time its turn comes). */
  private Future<Result> command(String name, Function<ListenerEntry, Future<String>> action) {
    return onLoop(() -> shuttingDown ? Future.failedFuture(shuttingDownRefusal()) : enqueue(name, () -> {
      ListenerEntry e = entries.get(name);
      return e == null ? Future.failedFuture(notFound(name)) : action.apply(e).map(outcome -> result(outcome, e));
    }));
  }

  /** Runs {@code action} after every command already queued for this name. Supervisor loop only. */
  private <T> Future<T> enqueue(String name, Supplier<Future<T>> action) {
    Promise<T> result = Promise.promise();
    Future<Void> tail = queues.getOrDefault(name, Future.succeededFuture()).transform(ignored -> {
      Future<T> f;
      try {
        f = action.get();
      } catch (RuntimeException ex) {
        f = Future.failedFuture(ex);
      }
      f.onComplete(result);
      return f.transform(done -> Future.<Void>succeededFuture());
    });
    queues.put(name, tail);
    tail.onComplete(v -> {
      if (queues.remove(name, tail)) {
        lifecycleTickets.remove(name); // nothing left behind for names that come and go
      }
    });
    return result.future();
  }

  /** After {@link #shutDown()}: a command would deploy nothing, so it is refused rather than answered as done. */
  private static ControlException shuttingDownRefusal() {
    return new ControlException(503, "the server is shutting down: nothing is started, stopped or changed");
  }

  private static ControlException notFound(String name) {
    return ControlException.notFound(name.length() > 60 ? name.substring(0, 60) + "..." : name);
  }

  private static Result withSave(Result r, ListenerEntry e) {
    return new Result(r.outcome(), r.seq(), r.listener().withDesiredPersisted(e.persistError == null), r.version(), e.persistError);
  }

  private Result result(String outcome, ListenerEntry e) {
    return new Result(outcome, statusSeq, status(e), e.definition.version(), e.persistError);
  }

  private JsonObject sourceOf(String name) {
    ListenerDefinition d = name == null ? null : defined.get(name);
    return d == null ? null : d.source();
  }

  // ---- commands (supervisor loop, in the name's queue) -----------------------------------------

  // Each lifecycle command acts first and persists after: what runs is always what the answer and the
  // status say, whatever the disk does. A failed save is reported (desired_persisted false, /health),
  // and retried by the next command or the periodic retry; it never leaves an instance behind.

  private static boolean isActive(ListenerEntry e) {
    return e.desired && e.state != ListenerState.FAILED && e.state != ListenerState.STOPPED;
  }

  private Future<String> start(ListenerEntry e) {
    if (isActive(e)) {
      return Future.succeededFuture("already_active"); // a failed save is tried again all the same
    }
    e.desired = true;
    e.unsaved = true;
    e.attempt = 0;
    return deployParts(e).compose(v -> deploy(e)).map("started");
  }

  private Future<String> stop(ListenerEntry e) {
    if (!e.desired && e.state == ListenerState.STOPPED) {
      return Future.succeededFuture("already_inactive");
    }
    e.desired = false;
    e.unsaved = true;
    return halt(e, "cancelled").map("stopped");
  }

  private Future<String> restart(ListenerEntry e) {
    e.desired = true;
    e.unsaved = true;
    e.attempt = 0;
    return deployParts(e).compose(v -> deploy(e)).map("restarted");
  }

  /** Saves the entry's desired state; a failure is recorded in its status, not thrown. */
  private Future<Void> persistDesired(ListenerEntry e) {
    if (options.clustered()) {
      return Future.succeededFuture(); // the cluster's state is the desired state, and it keeps it
    }
    boolean wanted = e.desired;
    e.saving = true;
    return desiredStore.save(e.name(), wanted).transform(ar -> {
      e.saving = false;
      String before = e.persistError;
      if (ar.succeeded()) {
        e.persistError = null;
      } else {
        e.persistError = "the desired state (" + (wanted ? "started" : "stopped") + ") could not be saved to "
            + desiredStore.file() + ": " + ar.cause().getMessage() + "; it holds until the process restarts";
        if (before == null) {
          LOG.warn("[{}] {}", e.name(), e.persistError);
        }
      }
      if (!java.util.Objects.equals(before, e.persistError)) {
        publish(e);
      }
      return Future.succeededFuture();
    });
  }

  /**
   * Saves again every desired state whose save failed: once the disk is back, the status says so. Not in
   * the queues, and the store writes at most once more behind a write still under way (a hung disk).
   */
  private void retryUnsaved() {
    entries.values().stream().filter(e -> e.persistError != null && !e.saving).forEach(this::persistDesired);
  }

  /** Creates or changes a listener; what is answered is on disk first. */
  private Future<Result> applyDefinition(String name, JsonObject body, long expected) {
    if (!ListenerKinds.NAME.matcher(name).matches()) {
      return Future.failedFuture(ControlException.invalid(new ConfigException("name",
          "must be 1 to 40 letters, digits, '-' or '_' (it is part of event-bus addresses)")));
    }
    if (body.getValue("name") != null && !name.equals(body.getValue("name"))) {
      return Future.failedFuture(ControlException.invalid(new ConfigException("name",
          "must be '" + name + "' as in the path, or left out")));
    }
    ListenerEntry existing = entries.get(name);
    JsonObject source = kinds.keepMaskedSecrets(body.copy().put("name", name), sourceOf(name));
    if (existing != null && existing.definition.source().equals(source)) {
      return Future.succeededFuture(result("unchanged", existing));
    }
    long current = existing == null ? 0 : existing.definition.version();
    if (expected != ANY_VERSION && expected != current) {
      return Future.failedFuture(ControlException.versionChanged(name, current, expected));
    }
    ListenerDefinition definition;
    try {
      long version = existing != null ? existing.definition.version() + 1
          : options.clustered() ? 1 : definitionStore.removedVersion(name) + 1; // the cluster numbers them in its records
      definition = kinds.read("", source, options.env(), options.dataDir(), version);
    } catch (ConfigException e) {
      ControlException refused = ControlException.invalid(e);
      if (options.clustered() && existing != null) {
        // The cluster's new definition cannot be read on this node (a ${VAR} it lacks, say). Nor does it run the one
        // the cluster replaced: the entry goes, in this same turn of the queue, so this node neither runs the old
        // definition nor holds its lease (it lets it go at its next renewal), as for a listener it could never define.
        return dropHere(existing, refused.getMessage()).compose(v -> Future.failedFuture(refused));
      }
      return Future.failedFuture(refused);
    }
    return storeDefinitions(store -> store.put(List.of(definition)))
        .recover(err -> Future.failedFuture(new ControlException(500, "the definition could not be saved to "
            + definitionStore.file() + " (" + err.getMessage() + "); nothing changed"))) // not on disk: nothing changes
        .compose(v -> {
          defined.put(name, definition);
          return existing == null ? create(definition) : replace(existing, definition);
        });
  }

  private Future<Result> create(ListenerDefinition definition) {
    ListenerEntry e = new ListenerEntry(definition);
    e.stats.connectedClients(clients.count(e.name()));
    e.desired = definition.spec().autoStart();
    if (options.clustered()) {
      e.owned = false; // until this node takes its lease
      e.state = ListenerState.UNASSIGNED;
    }
    entries.put(e.name(), e);
    log(e, "defined (version " + definition.version() + ")");
    publish(e);
    publishDefinition(e.name(), "defined", definition.version());
    // Saved from the start (once answered): what runs now is what runs after a restart, whatever autoStart says later.
    e.unsaved = true;
    return deployParts(e)
        .compose(v -> e.desired ? deploy(e) : Future.succeededFuture())
        .map(v -> result("created", e));
  }

  /** A clean redeploy of this listener only: its instance and companions go, the new ones come. */
  private Future<Result> replace(ListenerEntry e, ListenerDefinition definition) {
    cancelTimers(e);
    e.nextRetryAt = null;
    ListenerKind kind = kinds.kind(e.spec().type()).orElseThrow();
    // Held once the connection is gone, before its companions go: until then they answer as they always do.
    return undeployCurrent(e)
        .compose(v -> options.clustered() ? Future.succeededFuture(ChangingAddresses.NONE)
            : ChangingAddresses.hold(vertx, kind.namespace(), e.name(), kind.addresses()))
        .compose(held -> redeploy(e, definition, held).eventually(held::release));
  }

  private Future<Result> redeploy(ListenerEntry e, ListenerDefinition definition, ChangingAddresses held) {
    return undeployCompanions(e)
        .compose(v -> undeployNodeParts(e))
        .compose(v -> {
          if (!e.spec().type().equals(definition.spec().type())) {
            e.stats = new ListenerStats(); // another kind's counters and fields mean nothing here
            e.stats.connectedClients(clients.count(e.name()));
          }
          e.definition = definition;
          log(e, "definition changed (version " + definition.version() + ")");
          publishDefinition(e.name(), "defined", definition.version());
          return deployParts(e).eventually(held::release); // the new parts answer from here on
        })
        .compose(v -> {
          if (e.desired) {
            e.attempt = 0;
            return deploy(e);
          }
          e.state = e.owned ? ListenerState.STOPPED : ListenerState.UNASSIGNED;
          e.connectedSince = null;
          publish(e);
          return Future.succeededFuture();
        })
        .map(v -> {
          e.unsaved = true; // the desired state stays through a change, and after a restart
          return result("updated", e);
        });
  }

  private Future<String> remove(ListenerEntry e) {
    return storeDefinitions(store -> store.remove(e.name(), e.definition.version()))
        .recover(err -> Future.failedFuture(new ControlException(500, "the removal could not be saved to "
            + definitionStore.file() + " (" + err.getMessage() + "); nothing changed")))
        .compose(v -> {
          defined.remove(e.name());
          e.desired = false;
          e.persistError = null; // nothing more to save for it: the periodic retry must not write it back
          e.unsaved = false;
          return halt(e, "cancelled");
        })
        .compose(v -> undeployCompanions(e))
        .compose(v -> undeployNodeParts(e))
        .compose(v -> options.clustered() ? Future.<Void>succeededFuture() : desiredStore.remove(e.name()).otherwiseEmpty())
        .compose(v -> e.definition.factory().deleteState(vertx).otherwiseEmpty())
        .map(v -> {
          entries.remove(e.name());
          log(e, "removed");
          if (!options.clustered()) { // in a cluster, every node's view removes it, from the cluster's state
            vertx.eventBus().publish(Addresses.STATUS, new JsonObject().put("seq", ++statusSeq).put("status",
                new JsonObject().put("name", e.name()).put("type", e.spec().type()).put("removed", true)));
          } else { // the removal's answer, on whichever node, waits for the owner's word
            vertx.eventBus().publish(Addresses.CLUSTER_REMOVED, new JsonObject().put("node", options.node()).put("name", e.name()));
          }
          publishDefinition(e.name(), "removed", e.definition.version());
          return "removed";
        });
  }

  /** A change of the stored definitions; in a cluster the cluster's state keeps them, not this node's disk. */
  private Future<Void> storeDefinitions(Function<DefinitionStore, Future<Void>> change) {
    return options.clustered() ? Future.succeededFuture() : change.apply(definitionStore);
  }

  private void publishDefinition(String name, String action, long version) {
    if (options.clustered()) {
      return; // every node's view says it, from the cluster's state
    }
    vertx.eventBus().publish(Addresses.DEFINITIONS, new JsonObject()
        .put("seq", ++definitionSeq).put("name", name).put("action", action).put("version", version));
  }

  /** Takes the listener down to STOPPED: cancels a pending retry, undeploys the live instance. */
  private Future<Void> halt(ListenerEntry e, String taskStatus) {
    cancelTimers(e);
    e.nextRetryAt = null;
    return undeployCurrent(e).map(v -> {
      // Whatever it was doing (connected, in backoff, failed), a stop reads the same: cancelled, no attempts.
      e.taskStatus = taskStatus;
      e.attempt = 0;
      e.state = ListenerState.STOPPED;
      e.connectedSince = null;
      publish(e);
      log(e, "stopped");
      return null;
    });
  }

  /**
   * Deploys a fresh instance, from the command queue. A live instance is undeployed first, so that
   * two never run side by side, whatever led here (design invariant 1).
   */
  private Future<Void> deploy(ListenerEntry e) {
    if (shuttingDown || !e.owned) {
      return Future.succeededFuture();
    }
    return e.deploymentId == null ? deployFresh(e) : undeployCurrent(e).compose(v -> deployFresh(e));
  }

  private Future<Void> deployFresh(ListenerEntry e) {
    cancelTimers(e);
    long generation = ++generations;
    e.liveGeneration = generation;
    e.nextRetryAt = null;
    e.state = ListenerState.STARTING;
    e.taskStatus = "running";
    publish(e);
    log(e, "starting (attempt " + (e.attempt + 1) + ")");
    DeploymentOptions deployment = new DeploymentOptions().setConfig(new JsonObject()
        .put(ListenerVerticle.GENERATION, generation)
        .put(ListenerVerticle.LISTENER, e.name())
        .put(ListenerVerticle.EPOCH, e.epoch));
    Future<String> deploying;
    try {
      deploying = vertx.deployVerticle(e.definition.factory().newInstance(e.spec(), e.stats), deployment);
    } catch (RuntimeException err) {
      deploying = Future.failedFuture(err); // a kind whose instance cannot even be made: retried like any failed start
    }
    return deploying
        .map(id -> {
          e.deploymentId = id;
          e.deployments++;
          return (Void) null;
        })
        .recover(err -> {
          // The instance could not even start: handle it like a failed connection, after this command.
          vertx.runOnContext(v -> enqueue(e.name(), () -> onExit(e, generation, ListenerFailure.of(err))));
          return Future.succeededFuture();
        });
  }

  private Future<Void> undeployCurrent(ListenerEntry e) {
    e.liveGeneration = 0; // from now on, whatever the old instance reports is stale
    String id = e.deploymentId;
    if (id == null) {
      return Future.succeededFuture();
    }
    e.deploymentId = null;
    e.state = ListenerState.STOPPING;
    e.connectedSince = null; // STOPPING, then STARTING or BACKOFF: never "connected since" a connection that is going
    publish(e);
    e.undeploying = vertx.undeploy(id).recover(err -> {
      LOG.debug("[{}] undeploy of {}: {}", e.name(), id, err.getMessage());
      return Future.succeededFuture();
    });
    return e.undeploying;
  }

  // ---- reports from instances ------------------------------------------------------------------

  private void onReport(ListenerReport report) {
    ListenerEntry e = entries.get(report.name());
    if (e == null || shuttingDown) {
      return;
    }
    if (report.event() == ListenerReport.Event.CONNECTED) {
      enqueue(e.name(), () -> onConnected(e, report.generation()));
    } else {
      enqueue(e.name(), () -> onExit(e, report.generation(), report.failure()));
    }
  }

  private Future<Void> onConnected(ListenerEntry e, long generation) {
    if (generation != e.liveGeneration || e.state != ListenerState.STARTING) {
      LOG.debug("[{}] ignoring connected report of stale generation {}", e.name(), generation);
      return Future.succeededFuture();
    }
    e.state = ListenerState.CONNECTED;
    e.connectedSince = Instant.now();
    log(e, "connected");
    publish(e);
    // A connection that stays up for resetAfter earns a fresh attempt count.
    e.resetTimer = vertx.setTimer(Math.max(1, e.spec().policy().resetAfter().toMillis()), id -> enqueue(e.name(), () -> {
      if (e.liveGeneration == generation && e.state == ListenerState.CONNECTED && e.attempt != 0) {
        e.attempt = 0;
        publish(e);
      }
      return Future.succeededFuture();
    }));
    return Future.succeededFuture();
  }

  private Future<Void> onExit(ListenerEntry e, long generation, ListenerFailure failure) {
    if (generation != e.liveGeneration) {
      LOG.debug("[{}] ignoring exit report of stale generation {}", e.name(), generation);
      return Future.succeededFuture();
    }
    if (!e.desired) {
      return halt(e, "cancelled"); // live but no longer wanted: it goes, it is not retried
    }
    RestartPolicy policy = e.spec().policy();
    if (e.connectedSince != null && Duration.between(e.connectedSince, Instant.now()).compareTo(policy.resetAfter()) >= 0) {
      e.attempt = 0;
    }
    e.lastError = new LastError(Instant.now(), failure.getMessage(), failure.code());
    e.connectedSince = null;
    boolean clean = "1000".equals(failure.code()) || "1001".equals(failure.code());
    return undeployCurrent(e).map(v -> {
      e.attempt++;
      if (!failure.shouldRetry() || policy.givesUpAfter(e.attempt)) {
        e.state = ListenerState.FAILED;
        e.taskStatus = "failed";
        if (failure.shouldRetry()) {
          e.lastError = new LastError(e.lastError.at(), "gave up after " + e.attempt + " attempts; last: " + failure.getMessage(), failure.code());
        }
        publish(e);
        log(e, "failed: " + e.lastError.message());
        return null;
      }
      Duration delay = policy.delay(e.attempt, ThreadLocalRandom.current()::nextDouble);
      if (failure.minDelay().compareTo(delay) > 0) {
        delay = failure.minDelay();
      }
      scheduleRetry(e, delay);
      e.taskStatus = clean ? "completed" : "failed";
      publish(e);
      log(e, "backoff " + delay.toMillis() + " ms before attempt " + (e.attempt + 1) + " (" + failure.getMessage() + ")");
      return null;
    });
  }

  private void scheduleRetry(ListenerEntry e, Duration delay) {
    e.state = ListenerState.BACKOFF;
    e.nextRetryAt = Instant.now().plus(delay);
    long[] timer = new long[1];
    timer[0] = vertx.setTimer(Math.max(1, delay.toMillis()), id -> enqueue(e.name(), () -> {
      // A stop (or a start) since this timer was set has cancelled it: nothing to do.
      if (e.retryTimer != timer[0] || !e.desired || e.state != ListenerState.BACKOFF) {
        return Future.succeededFuture();
      }
      e.retryTimer = -1;
      return deploy(e);
    }));
    e.retryTimer = timer[0];
  }

  private void cancelTimers(ListenerEntry e) {
    if (e.retryTimer >= 0) {
      vertx.cancelTimer(e.retryTimer);
      e.retryTimer = -1;
    }
    if (e.resetTimer >= 0) {
      vertx.cancelTimer(e.resetTimer);
      e.resetTimer = -1;
    }
  }

  // ---- status ------------------------------------------------------------------------------------

  private Snapshot currentSnapshot() {
    return new Snapshot(statusSeq, entries.values().stream().map(this::status).toList());
  }

  /** The supervisor's health rule: an active listener must be connected, and then its kind must be content. */
  private static Optional<String> healthProblem(ListenerEntry e, ListenerStatus status) {
    if (e.persistError != null) {
      return Optional.of(e.persistError);
    }
    if (!status.active()) {
      return Optional.empty();
    }
    if (status.state() != ListenerState.CONNECTED) {
      LastError error = status.lastError();
      return Optional.of("not connected (" + status.state() + (error == null ? "" : ": " + error.message()) + ")");
    }
    return e.definition.factory().healthProblem(status);
  }

  ListenerStatus status(ListenerEntry e) {
    ListenerStats s = e.stats;
    return new ListenerStatus(e.name(), e.spec().type(), e.state, e.desired, e.persistError == null, e.taskStatus,
        Secrets.global().redact(e.spec().url()), e.spec().autoStart(), e.attempt, e.nextRetryAt, e.lastError,
        e.connectedSince, e.deployments, s.messagesIn(), s.messagesOut(), s.bytesIn(), s.malformed(),
        s.lastMessageAt(), s.rate1m(), s.connectedClients(), s.kindFields(), e.owned ? options.node() : null, e.epoch);
  }

  private void publish(ListenerEntry e) {
    e.stats.takeChanged();
    ListenerStatus status = status(e);
    e.publishedRate = status.rate1m();
    if (!options.clustered()) {
      vertx.eventBus().publish(Addresses.STATUS, new JsonObject().put("seq", ++statusSeq).put("status", status.toJson()));
    } else if (e.owned) {
      // Every node's view takes it, and drops it if a newer epoch has been seen.
      vertx.eventBus().publish(Addresses.CLUSTER_STATUS, new JsonObject().put("node", options.node()).put("epoch", e.epoch)
          .put("status", status.toJson()));
    }
  }

  /** Counters change with every message: they are pushed at most once per status interval. */
  private void publishCounters() {
    for (ListenerEntry e : entries.values()) {
      if (options.clustered() && !e.owned) {
        continue;
      }
      if (e.stats.takeChanged() || e.stats.rate1m() != e.publishedRate) {
        publish(e);
      }
    }
  }

  private void log(ListenerEntry e, String what) {
    LoggerFactory.getLogger("switchboard.listener." + e.name()).info(what); // the logger says which listener
  }
}
