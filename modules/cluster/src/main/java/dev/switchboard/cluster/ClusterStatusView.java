package dev.switchboard.cluster;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.ControlPlane;
import dev.switchboard.core.HealthReport;
import dev.switchboard.core.LastError;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.ListenerStatus;
import dev.switchboard.core.Supervisor;
import io.vertx.core.Future;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * This node's view of every listener in the cluster: the owners' statuses (the newest epoch wins, an
 * older one is dropped), {@code UNASSIGNED} with the reason while a listener has no owner, with the
 * owner node and epoch in every status. It is this node's {@code switchboard.status} stream, with its
 * own seq and a view id (a client that resumes against another node's view gets a snapshot), and it
 * answers {@code switchboard.status.snapshot} here.
 */
public final class ClusterStatusView {
  /** Publish: every node publishes the status of the listeners it owns again (a node has just joined). */
  static final String RESEND = "switchboard.cluster.resend";
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  /**
   * Why a listener shows {@code UNASSIGNED}. A hand-over passes by itself within a renew interval or two;
   * the others last until something outside changes (a node comes back, a lease runs out).
   */
  enum Unassigned {
    NO_MAJORITY(false), NOT_PLACED(true), LEASE_LOST(false), RELEASED(true), NOT_RENEWED(false), OWNER_LEFT(false), STATUS_ON_ITS_WAY(true);

    final boolean handOver;

    Unassigned(boolean handOver) {
      this.handOver = handOver;
    }
  }

  /** What this view shows of a listener: the status, and why it is unassigned (null when it is not). */
  private record Shown(JsonObject status, Unassigned unassigned) {
  }

  /** The last status an owner published: its node, epoch and the status JSON. */
  private record Received(String node, long epoch, JsonObject status) {
  }

  private final Vertx vertx;
  private final Context context;
  private final String view = UUID.randomUUID().toString();
  private final ClusterSettings settings;
  private final Members members;
  private final ClusterState state;
  private final Ownership ownership;
  private final EpochGuard guard;
  private final Supervisor supervisor;
  private final RouteRefreshingClusterManager routes;
  private final Map<String, Received> received = new HashMap<>();
  /** What this node's stream says now, per listener. */
  private final Map<String, Shown> shown = new LinkedHashMap<>();
  /** The local supervisor's status of listeners no status has been received for: what UNASSIGNED is drawn from. */
  private final Map<String, JsonObject> local = new HashMap<>();
  private final List<Consumer<String>> changes = new java.util.concurrent.CopyOnWriteArrayList<>();
  private long seq;
  /** The definition last announced per listener, and the seq of those announcements. */
  private final Map<String, String> definitions = new HashMap<>();
  private long definitionSeq;

  ClusterStatusView(Context context, ClusterSettings settings, Members members, ClusterState state, Ownership ownership,
                    EpochGuard guard, Supervisor supervisor, RouteRefreshingClusterManager routes) {
    this.vertx = context.owner();
    this.context = context;
    this.settings = settings;
    this.members = members;
    this.state = state;
    this.ownership = ownership;
    this.guard = guard;
    this.supervisor = supervisor;
    this.routes = routes;
  }

  Future<?> start() {
    Future<Void> statuses = vertx.eventBus().<JsonObject>consumer(Addresses.CLUSTER_STATUS, msg -> onStatus(msg.body())).completion();
    // A node that has just joined asks for the statuses once its consumers are registered (below). The
    // routes are read again first: the event bus's own report of its registration may not have come.
    Future<Void> resends = vertx.eventBus().consumer(RESEND, msg -> routes.refresh().onComplete(ar -> supervisor.republish())).completion();
    vertx.eventBus().localConsumer(Addresses.STATUS_SNAPSHOT, msg -> msg.reply(snapshotJson()));
    state.watch(name -> {
      announceDefinition(name);
      supervisor.status(name).onComplete(ar -> {
        if (ar.succeeded()) {
          local.put(name, ar.result().listener().toJson());
        }
        refresh(name);
      });
      refresh(name);
    });
    vertx.setPeriodic(settings.lease().renewInterval().toMillis(), id -> refreshAll());
    state.loaded().onSuccess(v -> vertx.eventBus().publish(RESEND, new JsonObject().put("node", settings.node())));
    return Future.all(statuses, resends);
  }

  /** Says on this node's {@code switchboard.definitions} that a listener was defined, changed or removed, as a single process does. */
  private void announceDefinition(String name) {
    ListenerRecord r = state.record(name);
    String definition = r == null ? null : r.definition();
    String before = definitions.get(name);
    if (java.util.Objects.equals(before, definition)) {
      return;
    }
    if (definition == null) {
      definitions.remove(name);
    } else {
      definitions.put(name, definition);
    }
    vertx.eventBus().publish(Addresses.DEFINITIONS, new JsonObject().put("seq", ++definitionSeq).put("name", name)
        .put("action", definition == null ? "removed" : "defined").put("version", r == null ? 0 : r.definitionVersion()), LOCAL);
  }

  /** Calls {@code listener} with a listener's name whenever what this view shows of it changes, until the returned action runs. */
  Runnable onChange(Consumer<String> listener) {
    changes.add(listener);
    return () -> changes.remove(listener);
  }

  /** The status this node shows for {@code name}; null when there is no such listener. */
  ListenerStatus status(String name) {
    Shown s = shown.get(name);
    return s == null ? null : ListenerStatus.fromJson(s.status);
  }

  /**
   * True while {@code name} is unassigned by a hand-over that passes by itself (not placed yet, released,
   * its new owner's status on the way): a command waits through it for the owner's answer.
   */
  boolean handingOver(String name) {
    Shown s = shown.get(name);
    return s != null && s.unassigned != null && s.unassigned.handOver;
  }

  long seq() {
    return seq;
  }

  ControlPlane.Snapshot snapshot() {
    return new ControlPlane.Snapshot(seq, shown.values().stream().map(s -> ListenerStatus.fromJson(s.status)).toList());
  }

  HealthReport health() {
    Map<String, HealthReport.ListenerHealth> each = new LinkedHashMap<>();
    boolean healthy = true;
    for (Shown listener : shown.values()) {
      JsonObject json = listener.status;
      ListenerStatus s = ListenerStatus.fromJson(json);
      String problem = null;
      if (s.active() && s.state() == ListenerState.UNASSIGNED) {
        problem = "unassigned: " + json.getString("unassigned_reason");
      } else if (s.active() && s.state() != ListenerState.CONNECTED) {
        LastError error = s.lastError();
        problem = "not connected (" + s.state() + (error == null ? "" : ": " + error.message()) + ") on " + s.owner();
      }
      healthy &= problem == null;
      each.put(s.name(), new HealthReport.ListenerHealth(problem == null, s.state(), s.active(), problem));
    }
    return new HealthReport(healthy, each);
  }

  private JsonObject snapshotJson() {
    return new JsonObject().put("seq", seq).put("view", view)
        .put("listeners", new JsonArray(shown.values().stream().map(Shown::status).toList()));
  }

  private void onStatus(JsonObject message) {
    JsonObject status = message.getJsonObject("status");
    String name = status == null ? null : status.getString("name");
    long epoch = message.getLong("epoch", 0L);
    if (name == null || !guard.current(name, epoch)) {
      return; // an owner that has been replaced: what it says no longer counts
    }
    Received before = received.get(name);
    if (before != null && before.epoch > epoch) {
      return;
    }
    received.put(name, new Received(message.getString("node"), epoch, status));
    refresh(name);
  }

  private void refreshAll() {
    state.listeners().keySet().forEach(this::refresh);
    new ArrayList<>(shown.keySet()).stream().filter(n -> state.record(n) == null).forEach(this::refresh);
  }

  private void refresh(String name) {
    ListenerRecord record = state.record(name);
    if (record == null) {
      received.remove(name);
      local.remove(name);
      Shown was = shown.remove(name);
      if (was != null) {
        emit(name, new JsonObject().put("name", name).put("type", was.status.getString("type")).put("removed", true));
      }
      return;
    }
    Shown now = effective(name, record);
    Shown before = shown.put(name, now);
    if (before == null || !now.status.equals(before.status)) {
      emit(name, now.status);
    }
  }

  private void emit(String name, JsonObject status) {
    vertx.eventBus().publish(Addresses.STATUS, new JsonObject().put("seq", ++seq).put("view", view).put("status", status), LOCAL);
    changes.forEach(c -> c.accept(name));
  }

  private static Shown asOwnerSays(Received r, ListenerRecord record) {
    return new Shown(r.status.copy().put("is_active", record.active()), null);
  }

  /** What to show of a listener now: its owner's status, or UNASSIGNED and why. */
  private Shown effective(String name, ListenerRecord record) {
    Lease lease = ownership.lease(name);
    Lease lost = lease == null ? ownership.vanished(name) : null;
    Received r = received.get(name);
    List<String> nodes = members.nodes();
    List<String> heard = members.heard();
    Unassigned reason;
    String why;
    List<String> disagreements = heard.size() < members.majority() ? members.disagreements() : List.of();
    if (!disagreements.isEmpty()) {
      reason = Unassigned.NO_MAJORITY;
      why = "no majority: " + String.join("; ", disagreements) + ". No node counts another while they differ; nothing runs"
          + " until every node has the same cluster.members, cluster.heartbeat, cluster.maxSilence and cluster.lease";
    } else if (heard.size() < members.majority()) {
      reason = Unassigned.NO_MAJORITY;
      why = "no majority: " + heard.size() + " of the " + settings.members().size() + " Switchboard nodes are present"
          + (heard.size() < nodes.size() ? " and heard from (" + (nodes.size() - heard.size()) + " more silent)" : "") + ", "
          + members.majority() + " are needed; nothing runs until they are";
    } else if (r != null && r.epoch > (lease != null ? lease.epoch() : lost != null ? lost.epoch() : 0) && nodes.contains(r.node)
        && !ListenerState.UNASSIGNED.name().equals(r.status.getString("state"))) {
      // A takeover, told by the new owner's status before this node's next read of the lease map (a renew interval
      // away, or more while reads fail): an epoch is only ever given by a claim the map accepted. Not from a node that
      // has left since, nor the "stopped it" an owner says last: those wait for the read, as before.
      return asOwnerSays(r, record);
    } else if (lost != null) {
      reason = Unassigned.LEASE_LOST;
      why = "the lease map lost its lease (held by " + lost.owner() + ", epoch " + lost.epoch() + "): " + lost.owner()
          + " writes it back if it is still running, else another node takes it over once the lease has run out ("
          + settings.lease().duration().toSeconds() + " s)";
    } else if (lease == null) {
      reason = Unassigned.NOT_PLACED;
      why = "not placed yet: the first-ranked node takes it within " + settings.lease().renewInterval().toMillis() + " ms";
    } else if (!lease.held()) {
      reason = Unassigned.RELEASED;
      why = lease.owner() + " released it (epoch " + lease.epoch() + "); the next node takes it now";
    } else if (!nodes.contains(lease.owner())) {
      // Before the renewals: a node that left has not renewed either, and "left" is what happened.
      reason = Unassigned.OWNER_LEFT;
      why = "its owner " + lease.owner() + " left (epoch " + lease.epoch() + "); another node takes it over once the lease has run out ("
          + settings.lease().duration().toSeconds() + " s)";
    } else if (ownership.unrenewedFor(name) > settings.lease().renewDeadline().plus(settings.lease().renewInterval()).toNanos()) {
      reason = Unassigned.NOT_RENEWED;
      why = "its owner " + lease.owner() + " has not renewed its lease (epoch " + lease.epoch() + ") past the renew deadline, so it has"
          + " stopped the listener; another node takes it over once the lease has run out (" + settings.lease().duration().toSeconds() + " s)";
    } else if (r == null || r.epoch < lease.epoch()) {
      reason = Unassigned.STATUS_ON_ITS_WAY;
      why = lease.owner() + " has taken it (epoch " + lease.epoch() + "); its status is on its way";
    } else {
      return asOwnerSays(r, record);
    }
    JsonObject base = r != null ? r.status : local.get(name);
    if (base == null) {
      base = new JsonObject().put("name", name).put("type", record.definitionJson().getString("type")).put("state", "STOPPED");
    }
    return new Shown(ListenerStatus.fromJson(base).unassigned(why).toJson().put("is_active", record.active()), reason);
  }
}
