package dev.switchboard.core;

import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Owns every listener's lifecycle. It is the only one that deploys or undeploys listener instances,
 * and it runs on one event loop, so commands for a listener are serialized without locks: each one
 * waits for the previous one (a start during a stop waits for the stop). It drives the actual state
 * toward the desired one, which it persists.
 */
public class Supervisor extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

  /** Options that are the supervisor's own, not any listener's. */
  public record Options(Path dataDir, Duration statusInterval) {
  }

  private final Map<String, ListenerEntry> entries = new LinkedHashMap<>();
  private final Options options;
  private DesiredStateStore store;
  private long statusSeq;

  public Supervisor(Collection<ListenerDefinition> definitions, Options options) {
    definitions.forEach(d -> entries.put(d.name(), new ListenerEntry(d)));
    this.options = options;
  }

  @Override
  public Future<?> start() {
    store = new DesiredStateStore(vertx, options.dataDir());
    vertx.eventBus().<JsonObject>localConsumer(Addresses.LISTENER_REPORTS, this::onReport);
    vertx.eventBus().<Object>consumer(Addresses.CONTROL, this::onControl);
    vertx.eventBus().<Object>consumer(Addresses.STATUS_SNAPSHOT, msg -> msg.reply(snapshot()));
    BridgeClients clients = new BridgeClients(entries.keySet());
    vertx.eventBus().<JsonObject>localConsumer(Addresses.BRIDGE_EVENTS, msg -> {
      String listener = clients.apply(BridgeActivity.fromJson(msg.body()));
      if (listener != null) {
        entries.get(listener).stats.connectedClients(clients.count(listener));
      }
    });
    vertx.setPeriodic(options.statusInterval().toMillis(), id -> publishCounters());
    return store.load()
        .compose(persisted -> deployCompanions().map(persisted))
        .onSuccess(persisted -> entries.values().forEach(e -> {
          // auto_start applies only to a listener with no persisted desired state
          e.desired = persisted.getOrDefault(e.name(), e.spec().autoStart());
          if (e.desired) {
            enqueue(e, () -> deploy(e));
          }
        }));
  }

  @Override
  public Future<?> stop() {
    // Listener instances are our children: Vert.x has undeployed them (with their close frames) already.
    return store == null ? Future.succeededFuture() : store.flush();
  }

  private Future<Void> deployCompanions() {
    List<Future<String>> deployed = new ArrayList<>();
    for (ListenerEntry e : entries.values()) {
      for (Deployable companion : e.definition.factory().companions(e.spec(), e.stats)) {
        deployed.add(vertx.deployVerticle(companion));
      }
    }
    return Future.all(deployed).mapEmpty();
  }

  // ---- commands -------------------------------------------------------------------------------

  /** Runs {@code action} after every command already queued for this listener. */
  private <T> Future<T> enqueue(ListenerEntry e, Supplier<Future<T>> action) {
    Promise<T> result = Promise.promise();
    e.queue = e.queue.transform(ignored -> {
      Future<T> f;
      try {
        f = action.get();
      } catch (RuntimeException ex) {
        f = Future.failedFuture(ex);
      }
      f.onComplete(result);
      return f.transform(done -> Future.<Void>succeededFuture());
    });
    return result.future();
  }

  private Future<String> start(ListenerEntry e) {
    if (e.desired && e.state != ListenerState.FAILED && e.state != ListenerState.STOPPED) {
      return Future.succeededFuture("already_active");
    }
    e.desired = true;
    e.attempt = 0;
    return store.save(e.name(), true).compose(v -> deploy(e)).map("started");
  }

  private Future<String> stop(ListenerEntry e) {
    if (!e.desired && e.state == ListenerState.STOPPED) {
      return Future.succeededFuture("already_inactive");
    }
    e.desired = false;
    return store.save(e.name(), false).compose(v -> halt(e, "cancelled")).map("stopped");
  }

  private Future<String> restart(ListenerEntry e) {
    e.desired = true;
    e.attempt = 0;
    return store.save(e.name(), true)
        .compose(v -> undeployCurrent(e))
        .compose(v -> deploy(e))
        .map("restarted");
  }

  /** Takes the listener down to STOPPED: cancels a pending retry, undeploys the live instance. */
  private Future<Void> halt(ListenerEntry e, String taskStatus) {
    cancelTimers(e);
    e.nextRetryAt = null;
    boolean hadInstance = e.deploymentId != null;
    return undeployCurrent(e).map(v -> {
      if (hadInstance || e.state != ListenerState.FAILED) {
        e.taskStatus = hadInstance ? taskStatus : e.taskStatus;
      }
      e.state = ListenerState.STOPPED;
      e.connectedSince = null;
      publish(e);
      log(e, "stopped");
      return null;
    });
  }

  /** Deploys a fresh instance. Only called with no live instance, from the command queue. */
  private Future<Void> deploy(ListenerEntry e) {
    cancelTimers(e);
    long generation = ++e.lastGeneration;
    e.liveGeneration = generation;
    e.nextRetryAt = null;
    e.state = ListenerState.STARTING;
    e.taskStatus = "running";
    publish(e);
    log(e, "starting (attempt " + (e.attempt + 1) + ")");
    ListenerVerticle instance = e.definition.factory().newInstance(e.spec(), e.stats);
    DeploymentOptions deployment = new DeploymentOptions().setConfig(new JsonObject().put(ListenerVerticle.GENERATION, generation));
    return vertx.deployVerticle(instance, deployment)
        .map(id -> {
          e.deploymentId = id;
          e.deployments++;
          return (Void) null;
        })
        .recover(err -> {
          // The instance could not even start: handle it like a failed connection, after this command.
          vertx.runOnContext(v -> enqueue(e, () -> onExit(e, generation, ListenerFailure.of(err))));
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
    publish(e);
    return vertx.undeploy(id).recover(err -> {
      LOG.debug("[{}] undeploy of {}: {}", e.name(), id, err.getMessage());
      return Future.succeededFuture();
    });
  }

  // ---- reports from instances ------------------------------------------------------------------

  private void onReport(Message<JsonObject> msg) {
    JsonObject report = msg.body();
    ListenerEntry e = entries.get(report.getString("name"));
    if (e == null) {
      return;
    }
    long generation = report.getLong("generation", -1L);
    if ("connected".equals(report.getString("event"))) {
      enqueue(e, () -> onConnected(e, generation));
    } else {
      String code = report.getString("code");
      ListenerFailure failure = report.getBoolean("retry", true)
          ? ListenerFailure.retryAfter(code, report.getString("reason"), Duration.ofMillis(report.getLong("minDelayMs", 0L)))
          : ListenerFailure.fatal(code, report.getString("reason"));
      enqueue(e, () -> onExit(e, generation, failure));
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
    e.resetTimer = vertx.setTimer(Math.max(1, e.spec().policy().resetAfter().toMillis()), id -> enqueue(e, () -> {
      if (e.liveGeneration == generation && e.state == ListenerState.CONNECTED && e.attempt != 0) {
        e.attempt = 0;
        publish(e);
      }
      return Future.succeededFuture();
    }));
    return Future.succeededFuture();
  }

  private Future<Void> onExit(ListenerEntry e, long generation, ListenerFailure failure) {
    if (generation != e.liveGeneration || !e.desired) {
      LOG.debug("[{}] ignoring exit report of stale generation {}", e.name(), generation);
      return Future.succeededFuture();
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
    timer[0] = vertx.setTimer(Math.max(1, delay.toMillis()), id -> enqueue(e, () -> {
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

  // ---- control and status ----------------------------------------------------------------------

  private void onControl(Message<Object> msg) {
    if (!(msg.body() instanceof JsonObject body)) {
      msg.fail(400, "a control request is a JSON object {action, name}");
      return;
    }
    String action = body.getValue("action") instanceof String s ? s : null;
    String name = body.getValue("name") instanceof String s ? s : null;
    if (action == null || name == null) {
      msg.fail(400, "a control request needs \"action\" (start, stop, restart or status) and \"name\"");
      return;
    }
    ListenerEntry e = entries.get(name);
    if (e == null) {
      msg.fail(404, "no listener named '" + name + "'; known: " + String.join(", ", entries.keySet()));
      return;
    }
    Future<String> result = switch (action) {
      case "start" -> enqueue(e, () -> start(e));
      case "stop" -> enqueue(e, () -> stop(e));
      case "restart" -> enqueue(e, () -> restart(e));
      case "status" -> Future.succeededFuture("ok");
      default -> null;
    };
    if (result == null) {
      msg.fail(400, "unknown action '" + action + "'; use start, stop, restart or status");
      return;
    }
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(new JsonObject().put("status", ar.result()).put("seq", statusSeq).put("listener", status(e).toJson()));
      } else {
        LOG.warn("[{}] {} failed", name, action, ar.cause());
        msg.fail(500, action + " of '" + name + "' failed: " + ar.cause().getMessage());
      }
    });
  }

  private JsonObject snapshot() {
    JsonArray list = new JsonArray();
    entries.values().forEach(e -> list.add(status(e).toJson()));
    return new JsonObject().put("seq", statusSeq).put("listeners", list);
  }

  /** Health facts beyond the state, supplied by each listener's kind. */
  public static Optional<String> healthProblem(ListenerDefinition definition, ListenerStatus status) {
    if (!status.active()) {
      return Optional.empty();
    }
    if (status.state() != ListenerState.CONNECTED) {
      LastError error = status.lastError();
      return Optional.of("not connected (" + status.state() + (error == null ? "" : ": " + error.message()) + ")");
    }
    return definition.factory().healthProblem(status);
  }

  ListenerStatus status(ListenerEntry e) {
    ListenerStats s = e.stats;
    return new ListenerStatus(e.name(), e.spec().type(), e.state, e.desired, e.taskStatus,
        Secrets.global().redact(e.spec().url()), e.spec().autoStart(), e.attempt, e.nextRetryAt, e.lastError,
        e.connectedSince, e.deployments, s.messagesIn(), s.messagesOut(), s.bytesIn(), s.malformed(),
        s.lastMessageAt(), s.rate1m(), s.connectedClients(), s.kindFields());
  }

  private void publish(ListenerEntry e) {
    e.stats.takeChanged();
    ListenerStatus status = status(e);
    e.publishedRate = status.rate1m();
    vertx.eventBus().publish(Addresses.STATUS, new JsonObject().put("seq", ++statusSeq).put("status", status.toJson()));
  }

  /** Counters change with every message: they are pushed at most once per status interval. */
  private void publishCounters() {
    for (ListenerEntry e : entries.values()) {
      if (e.stats.takeChanged() || e.stats.rate1m() != e.publishedRate) {
        publish(e);
      }
    }
  }

  private void log(ListenerEntry e, String what) {
    LoggerFactory.getLogger("switchboard.listener." + e.name()).info("[{}] {}", e.name(), what);
  }
}
