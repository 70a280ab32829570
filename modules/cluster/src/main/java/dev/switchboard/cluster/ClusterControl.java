package dev.switchboard.cluster;

import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import dev.switchboard.core.Addresses;
import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ControlException;
import dev.switchboard.core.ControlPlane;
import dev.switchboard.core.HealthReport;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.ListenerStatus;
import dev.switchboard.core.LoopCall;
import dev.switchboard.core.Secrets;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The control plane of a cluster node: any node takes any command. A command changes the listener's
 * record cluster-wide, is answered once a majority of nodes has the change on disk, and then waits
 * (briefly) for the owner to act, so that the answer shows what happened: the owner node, its epoch
 * and the listener's state. Reads come from this node's {@link ClusterStatusView}.
 */
final class ClusterControl implements ControlPlane {
  /** How long a command waits for a majority to have it on disk. */
  static final long SAVE_TIMEOUT_MS = 5_000;
  /** How long a command waits for the owner to act on it before answering with what is shown now. */
  static final long ACT_TIMEOUT_MS = 5_000;

  private final Context context;
  private final ClusterState state;
  private final ClusterStatusView view;
  private final ListenerKinds kinds;
  private final Map<String, String> env;
  private final Path dataDir;

  ClusterControl(Context context, ClusterState state, ClusterStatusView view, ListenerKinds kinds, Map<String, String> env, Path dataDir) {
    this.context = context;
    this.state = state;
    this.view = view;
    this.kinds = kinds;
    this.env = env;
    this.dataDir = dataDir;
  }

  @Override
  public Future<Result> start(String name) {
    return onLoop(() -> {
      ListenerStatus shown = view.status(name);
      // A failed listener is already wanted: starting it again is a restart, or its owner would not act.
      boolean failed = shown != null && shown.active() && shown.state() == ListenerState.FAILED;
      return command(name, new RecordChange(failed ? RecordChange.Action.RESTART : RecordChange.Action.START, null, false),
          "started", "already_active", s -> s.state() != ListenerState.STOPPED && s.state() != ListenerState.STOPPING
              && (!failed || s.deployments() > shown.deployments()));
    });
  }

  @Override
  public Future<Result> stop(String name) {
    return onLoop(() -> command(name, new RecordChange(RecordChange.Action.STOP, null, false), "stopped", "already_inactive",
        s -> s.state() == ListenerState.STOPPED));
  }

  @Override
  public Future<Result> restart(String name) {
    return onLoop(() -> {
      ListenerStatus before = view.status(name);
      long deployments = before == null ? 0 : before.deployments();
      return command(name, new RecordChange(RecordChange.Action.RESTART, null, false), "restarted", "restarted",
          s -> s.deployments() > deployments || (before != null && s.epoch() > before.epoch()));
    });
  }

  @Override
  public Future<Result> status(String name) {
    return onLoop(() -> {
      ListenerStatus s = view.status(name);
      return s == null ? Future.failedFuture(ControlException.notFound(name)) : Future.succeededFuture(new Result("ok", view.seq(), s, version(name), null));
    });
  }

  @Override
  public Future<Snapshot> snapshot() {
    return onLoop(() -> Future.succeededFuture(view.snapshot()));
  }

  @Override
  public Future<Definition> definition(String name) {
    return onLoop(() -> {
      ListenerRecord r = state.record(name);
      return r == null ? Future.failedFuture(ControlException.notFound(name))
          : Future.succeededFuture(new Definition(name, r.definitionVersion(), kinds.masked(r.definitionJson())));
    });
  }

  @Override
  public Future<Void> validate(JsonObject definition) {
    return onLoop(() -> {
      try {
        ListenerRecord existing = definition.getValue("name") instanceof String n ? state.record(n) : null;
        kinds.check(definition, existing == null ? null : existing.definitionJson(), env, dataDir);
        return Future.succeededFuture();
      } catch (ConfigException e) {
        return Future.failedFuture(ControlException.invalid(e, Secrets.drawsOnServer(definition)));
      }
    });
  }

  @Override
  public Future<Result> define(String name, JsonObject definition, long expected) {
    return onLoop(() -> {
      ListenerDefinition checked;
      JsonObject source;
      try {
        if (!ListenerKinds.NAME.matcher(name).matches()) {
          throw new ConfigException("name", "must be 1 to 40 letters, digits, '-' or '_' (it is part of event-bus addresses)");
        }
        if (definition.getValue("name") != null && !name.equals(definition.getValue("name"))) {
          throw new ConfigException("name", "must be '" + name + "' as in the path, or left out");
        }
        ListenerRecord existing = state.record(name);
        source = kinds.keepMaskedSecrets(definition.copy().put("name", name), existing == null ? null : existing.definitionJson());
        checked = kinds.read("", source, env, dataDir, 1);
      } catch (ConfigException e) {
        return Future.failedFuture(ControlException.invalid(e));
      }
      ListenerStatus shownBefore = view.status(name);
      return change(name, new RecordChange(RecordChange.Action.DEFINE, source.encode(), checked.spec().autoStart(), 0, expected))
          .compose(outcome -> {
            if (outcome.stale()) {
              return Future.failedFuture(ControlException.versionChanged(name, outcome.before() == null ? 0 : outcome.before().definitionVersion(),
                  expected));
            }
            if (!outcome.changed()) {
              return Future.succeededFuture(result("unchanged", name, outcome.after(), null));
            }
            String done = outcome.before() == null ? "created" : "updated";
            Predicate<ListenerStatus> applied = applied(outcome, shownBefore);
            return saved(name, outcome.after())
                // As a command's: placed and shown by its owner, unless no node can act soon.
                .compose(warning -> shown(name, s -> s.state() == ListenerState.UNASSIGNED ? !view.handingOver(name) : applied.test(s))
                    .map(s -> result(done, name, outcome.after(), warning)));
          });
    });
  }

  /**
   * Whether the owner shows a changed definition applied: the connection shown before the change is no longer
   * the one shown (a redeploy clears {@code connected_since} until the new one connects), and not STOPPING.
   * A new listener, once it is shown at all.
   */
  private static Predicate<ListenerStatus> applied(RecordChange.Outcome outcome, ListenerStatus before) {
    if (outcome.before() == null || before == null || before.connectedSince() == null) {
      return s -> s.state() != ListenerState.STOPPING;
    }
    return s -> s.state() != ListenerState.STOPPING
        && (!before.connectedSince().equals(s.connectedSince()) || s.epoch() != before.epoch());
  }

  /**
   * Answered once the owner has removed it (its connection closed), as a single process answers, or after
   * the same wait as a command's when it does not say so in time.
   */
  @Override
  public Future<Result> remove(String name) {
    return onLoop(() -> {
      ListenerStatus last = view.status(name);
      // Between owners (UNASSIGNED) no node runs it: nothing to wait for.
      String owner = last == null || last.state() == ListenerState.UNASSIGNED ? null : last.owner();
      Promise<Void> removedByOwner = Promise.promise();
      MessageConsumer<JsonObject> watch = context.owner().eventBus().consumer(Addresses.CLUSTER_REMOVED, m -> {
        if (name.equals(m.body().getString("name")) && m.body().getString("node", "").equals(owner)) {
          removedByOwner.tryComplete();
        }
      });
      return watch.completion()
          .compose(v -> change(name, new RecordChange(RecordChange.Action.REMOVE, null, false)))
          .compose(outcome -> {
            if (outcome.after() == null) {
              return Future.failedFuture(ControlException.notFound(name));
            }
            Future<Void> ownerDone = owner == null ? Future.succeededFuture()
                : removedByOwner.future().timeout(ACT_TIMEOUT_MS, TimeUnit.MILLISECONDS).otherwiseEmpty();
            return saved(name, outcome.after()).compose(warning -> ownerDone
                .map(v -> new Result("removed", view.seq(), last, outcome.after().definitionVersion(), warning)));
          })
          .onComplete(ar -> watch.unregister());
    });
  }

  @Override
  public Future<Map<String, String>> replaceAll(List<JsonObject> definitions) {
    return onLoop(() -> {
      Map<String, JsonObject> wanted = new LinkedHashMap<>();
      for (int i = 0; i < definitions.size(); i++) {
        JsonObject source = definitions.get(i);
        String path = "listeners[" + i + "]";
        try {
          ListenerRecord existing = state.record(source.getString("name"));
          ListenerDefinition d = kinds.read(path, kinds.keepMaskedSecrets(source, existing == null ? null : existing.definitionJson()),
              env, dataDir, 1);
          if (wanted.put(d.name(), source) != null) {
            throw new ConfigException(path + ".name", "duplicate listener name '" + d.name() + "'");
          }
        } catch (ConfigException e) {
          return Future.failedFuture(ControlException.invalid(e));
        }
      }
      Map<String, Future<Result>> outcomes = new LinkedHashMap<>();
      wanted.forEach((name, source) -> outcomes.put(name, define(name, source)));
      state.listeners().keySet().stream().filter(name -> !wanted.containsKey(name)).toList()
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
    return onLoop(() -> Future.succeededFuture(view.health()));
  }

  // ---- one command: change, majority on disk, the owner acts ---------------------------------------

  private Future<Result> command(String name, RecordChange change, String done, String already, Predicate<ListenerStatus> acted) {
    return change(name, change).compose(outcome -> {
      if (outcome.after() == null) {
        return Future.failedFuture(ControlException.notFound(name));
      }
      if (!outcome.changed()) {
        return Future.succeededFuture(result(already, name, outcome.after(), null));
      }
      return saved(name, outcome.after())
          // Unassigned by a hand-over, the owner is yet to act; unassigned for another reason, none will act soon.
          .compose(warning -> shown(name, s -> s.state() == ListenerState.UNASSIGNED ? !view.handingOver(name) : acted.test(s))
              .map(s -> result(done, name, outcome.after(), warning)));
    });
  }

  private Future<RecordChange.Outcome> change(String name, RecordChange change) {
    return state.change(name, change).recover(err -> Future.failedFuture(unavailable(err)));
  }

  /** Null once a majority has the record on disk; otherwise the warning that says how many do. */
  private Future<String> saved(String name, ListenerRecord r) {
    return state.awaitSaved(name, r.version(), SAVE_TIMEOUT_MS).transform(ar -> Future.succeededFuture(ar.succeeded() ? null
        : "the change is in the cluster but not yet on disk on a majority of nodes (" + ar.cause().getMessage() + ")"));
  }

  /** Completes when this node shows {@code name} in a state that passes {@code test}, or after the timeout with what it shows then. */
  private Future<ListenerStatus> shown(String name, Predicate<ListenerStatus> test) {
    Promise<ListenerStatus> done = Promise.promise();
    Runnable check = () -> {
      ListenerStatus s = view.status(name);
      if (s != null && test.test(s)) {
        done.tryComplete(s);
      }
    };
    check.run();
    if (done.future().isComplete()) {
      return done.future();
    }
    Runnable stopWatching = view.onChange(changed -> {
      if (changed.equals(name)) {
        check.run();
      }
    });
    Vertx vertx = context.owner();
    long timer = vertx.setTimer(ACT_TIMEOUT_MS, id -> done.tryComplete(view.status(name)));
    return done.future().onComplete(ar -> {
      vertx.cancelTimer(timer);
      stopWatching.run();
    });
  }

  private Result result(String outcome, String name, ListenerRecord r, String warning) {
    return new Result(outcome, view.seq(), view.status(name), r == null ? 0 : r.definitionVersion(), warning);
  }

  private long version(String name) {
    ListenerRecord r = state.record(name);
    return r == null ? 0 : r.definitionVersion();
  }

  private static ControlException unavailable(Throwable err) {
    if (err instanceof ControlException c) {
      return c;
    }
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof SplitBrainProtectionException) {
        return new ControlException(503, "no majority of Switchboard nodes is present: nothing can change until one is");
      }
      if (t instanceof TimeoutException || t instanceof java.util.concurrent.TimeoutException) {
        return new ControlException(503, "the cluster did not answer in time; nothing is known to have changed");
      }
    }
    return new ControlException(503, "the cluster refused the change: " + err.getMessage());
  }

  private <T> Future<T> onLoop(Supplier<Future<T>> action) {
    return LoopCall.on(context, action);
  }
}
