package dev.switchboard.homeassistant;

import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.ListenerVerticle;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * The long-lived side of a Home Assistant listener, deployed once beside it and never restarted with
 * it: it answers {@code homeassistant.<name>.states} from the last-known states and
 * {@code homeassistant.<name>.call} (with a clear failure while disconnected), keeps the counters in
 * the status, and persists {@code events_total}, every few seconds and when it stops. In a cluster it
 * runs on the owner, and {@code events_total} is also kept cluster-wide ({@link SharedCounter}): a new
 * owner continues from the highest count it finds, in the cluster or in its own data dir.
 */
final class HomeAssistantCompanion extends VerticleBase {
  static final long STATUS_REFRESH_MS = 250;
  static final long FLUSH_INTERVAL_MS = 5_000;
  /** In a cluster: what a failover after a crash can lose is at most this much counting. */
  static final long SHARED_FLUSH_INTERVAL_MS = 1_000;

  private final ListenerSpec spec;
  private final ListenerStats stats;
  private final HomeAssistantSettings settings;
  private final HomeState home;
  private final Path dataDir;
  private final Logger log;
  private CounterFile counters;
  private long flushedTotal = -1;
  /** In a cluster, the count every owner continues; null in a single process. */
  private SharedCounter shared;
  private long sharedTotal = -1;
  /** The cluster write in flight, or the last one: writes never overlap. */
  private Future<Void> sharedWrite = Future.succeededFuture();

  HomeAssistantCompanion(ListenerSpec spec, ListenerStats stats, HomeAssistantSettings settings, HomeState home, Path dataDir) {
    this.spec = spec;
    this.stats = stats;
    this.settings = settings;
    this.home = home;
    this.dataDir = dataDir;
    this.log = LoggerFactory.getLogger("switchboard.listener." + spec.name());
  }

  @Override
  public Future<?> start() {
    counters = new CounterFile(vertx, dataDir, spec.name());
    stats.put("subscribed", home.subscribed());
    stats.put("event_types", new JsonArray(List.copyOf(settings.eventTypes())));
    long epoch = config().getLong(ListenerVerticle.EPOCH, 0L);
    Future<CounterFile.Saved> loaded;
    if (epoch == 0) {
      loaded = counters.load().onSuccess(saved -> home.restore(saved.eventsTotal(), saved.lastEventAt()));
    } else {
      shared = new SharedCounter(vertx, spec.name(), epoch);
      loaded = Future.all(counters.load(), sharedOrNothing()).map(both -> {
        CounterFile.Saved here = both.resultAt(0);
        CounterFile.Saved cluster = both.resultAt(1);
        CounterFile.Saved highest = here.eventsTotal() >= cluster.eventsTotal() ? here : cluster;
        home.continueFrom(highest.eventsTotal(), Math.max(here.lastEventAt(), cluster.lastEventAt()));
        sharedTotal = cluster.eventsTotal();
        return highest;
      })
          // Only once the count is known: a write before would carry this node's count without the cluster's.
          .onSuccess(v -> vertx.setPeriodic(SHARED_FLUSH_INTERVAL_MS, id -> flushShared()));
    }
    return loaded.compose(saved -> {
      flushedTotal = saved.eventsTotal();
      refreshStatus();
      vertx.setPeriodic(STATUS_REFRESH_MS, id -> refreshStatus());
      vertx.setPeriodic(FLUSH_INTERVAL_MS, id -> flush());
      return Future.all(
          vertx.eventBus().<Object>consumer(HomeAssistantAddresses.states(spec.name()), this::onStates).completion(),
          vertx.eventBus().<Object>consumer(HomeAssistantAddresses.call(spec.name()), this::onCall).completion());
    });
  }

  @Override
  public Future<?> stop() {
    refreshStatus();
    return Future.join(flush(), sharedWrite.transform(v -> writeShared())); // the last count, after any write on its way
  }

  /** The cluster's count; nothing (zero) when the cluster cannot answer: the data dir's count is then the start. */
  private Future<CounterFile.Saved> sharedOrNothing() {
    return shared.load().recover(err -> {
      log.warn("events_total could not be read from the cluster ({}); counting on from {}", err.getMessage(), counters.file());
      return Future.succeededFuture(new CounterFile.Saved(0, 0));
    });
  }

  /** Every second: writes the count unless the last write is still on its way (each may take seconds). */
  private Future<Void> flushShared() {
    if (sharedWrite.isComplete()) {
      sharedWrite = writeShared();
    }
    return sharedWrite;
  }

  private Future<Void> writeShared() {
    long total = home.eventsTotal();
    if (shared == null || total == sharedTotal) {
      return Future.succeededFuture();
    }
    return shared.save(total, home.lastEventAt())
        .map(written -> {
          if (written) {
            sharedTotal = total;
          } else {
            log.warn("events_total not written to the cluster: a newer owner of this listener has written it");
          }
          return (Void) null;
        })
        .onFailure(err -> log.warn("could not write events_total to the cluster: {}", err.getMessage()));
  }

  private void refreshStatus() {
    long now = System.currentTimeMillis();
    stats.put("events_session", home.eventsSession());
    stats.put("events_total", home.eventsTotal());
    stats.put("event_rate_per_min", home.eventRatePerMinute(now));
    long last = home.lastEventAt();
    stats.put("last_event_at", last == 0 ? null : Instant.ofEpochMilli(last).toString());
    stats.put("entities", home.states().size());
    // Subscribed but silent past staleAfter: the same rule as the health check, shown in the status.
    stats.put("stale", home.subscribed() && HomeAssistantKind.healthProblem(settings, home, now).isPresent());
  }

  private Future<Void> flush() {
    long total = home.eventsTotal();
    if (total == flushedTotal) {
      return Future.succeededFuture();
    }
    return counters.save(total, home.lastEventAt())
        .onSuccess(v -> flushedTotal = total)
        .onFailure(err -> log.warn("could not save events_total to {}: {}", counters.file(), err.getMessage()));
  }

  /** {@code {}} (or nothing): every state; {@code {"entity_id": "light.kitchen"}}: that one. */
  private void onStates(Message<Object> request) {
    Object body = request.body();
    if (body != null && !(body instanceof JsonObject)) {
      request.fail(400, "a states request is empty or a JSON object {\"entity_id\": \"...\"}");
      return;
    }
    JsonObject query = body == null ? new JsonObject() : (JsonObject) body;
    Object entityId = query.getValue("entity_id");
    JsonObject reply = new JsonObject().put("subscribed", home.subscribed());
    if (entityId != null) {
      if (!(entityId instanceof String id)) {
        request.fail(400, "entity_id must be a string");
        return;
      }
      request.reply(reply.put("state", home.state(id)));
      return;
    }
    JsonArray states = new JsonArray();
    home.states().values().forEach(states::add);
    request.reply(reply.put("entities", states.size()).put("states", states));
  }

  private void onCall(Message<Object> request) {
    String invalid = invalidCall(request.body());
    if (invalid != null) {
      request.fail(400, invalid);
      return;
    }
    if (!home.subscribed()) {
      request.fail(503, "listener '" + spec.name() + "' is not connected to Home Assistant; the service was not called");
      return;
    }
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(settings.commandTimeout().toMillis() + 1_000);
    vertx.eventBus().<JsonObject>request(HomeAssistantAddresses.connectionCall(spec.name()), request.body(), options)
        .onSuccess(reply -> request.reply(reply.body()))
        .onFailure(err -> {
          if (err instanceof ReplyException r && r.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
            request.fail(r.failureCode(), r.getMessage());
          } else if (err instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS) {
            request.fail(503, "listener '" + spec.name() + "' is not connected to Home Assistant; the service was not called");
          } else {
            request.fail(504, "no answer from the Home Assistant connection: " + err.getMessage());
          }
        });
  }

  /** Why a call request is not one, or null. */
  static String invalidCall(Object body) {
    if (!(body instanceof JsonObject call)) {
      return "a call is a JSON object {\"domain\", \"service\", \"service_data\"?, \"target\"?}";
    }
    for (String key : call.fieldNames()) {
      if (!List.of("domain", "service", "service_data", "target", "return_response").contains(key)) {
        return "unknown field '" + key + "'; a call has domain, service, service_data, target and return_response";
      }
    }
    for (String key : List.of("domain", "service")) {
      if (!(call.getValue(key) instanceof String s) || s.isBlank()) {
        return "'" + key + "' is required and must be a non-empty string";
      }
    }
    for (String key : List.of("service_data", "target")) {
      if (call.containsKey(key) && !(call.getValue(key) instanceof JsonObject)) {
        return "'" + key + "' must be a JSON object";
      }
    }
    if (call.containsKey("return_response") && !(call.getValue("return_response") instanceof Boolean)) {
      return "'return_response' must be true or false";
    }
    return null;
  }
}
