package dev.switchboard.status;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.BurstLog;
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

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Follows the supervisor's status stream (its snapshot, then every delta in order) and keeps the last
 * deltas, so that a client that reconnects with the last {@code seq} it saw gets exactly what it
 * missed, or a full snapshot when that is no longer kept. The supervisor stays the only publisher of
 * {@code switchboard.status}: this verticle only answers {@code switchboard.status.since}.
 */
public final class StatusFanout extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(StatusFanout.class);
  private static final String SHAPE = "{seq: <the last status seq you saw>, view: <the view id it came with, if any>}";
  private static final long RESYNC_RETRY_MS = 1_000;
  /** The supervisor of this process, never one of another node. */
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final BurstLog notDeltas = new BurstLog(LOG, 10_000);
  private final int keep;
  private final Map<String, JsonObject> listeners = new LinkedHashMap<>();
  /** The last {@code keep} deltas, {@code {seq, status}}, oldest first, with consecutive seqs. */
  private final ArrayDeque<JsonObject> deltas = new ArrayDeque<>();
  /** The seq of the newest applied delta (or of the snapshot). */
  private long seq;
  /**
   * Which stream {@link #seq} counts in: the cluster node's view id, or one made up for this process.
   * A client that resumes with another view's seq (another node, or before a restart) gets a snapshot.
   */
  private String view = java.util.UUID.randomUUID().toString();
  /** The seq just before the oldest kept delta: any seq from here to {@link #seq} can be answered with deltas. */
  private long baseSeq;
  /** Deltas that arrive while a snapshot is awaited; null when in step with the supervisor. */
  private List<JsonObject> waiting = new ArrayList<>();

  public StatusFanout(int keep) {
    if (keep < 0) {
      throw new IllegalArgumentException("keep must be >= 0");
    }
    this.keep = keep;
  }

  @Override
  public Future<?> start() {
    // Listen before asking for the snapshot: every delta after it is then sure to arrive here.
    return vertx.eventBus().<Object>localConsumer(Addresses.STATUS, msg -> {
          if (msg.body() instanceof JsonObject delta && delta.getValue("seq") instanceof Number
              && delta.getValue("status") instanceof JsonObject status && status.getValue("name") instanceof String) {
            onDelta(delta);
          } else {
            notDeltas.warn("ignored a message on " + Addresses.STATUS + " that is not a status delta {seq, status}");
          }
        }).completion()
        .compose(v -> supervisorSnapshot())
        .recover(err -> Future.failedFuture(new IllegalStateException(whySnapshotFailed(err), err)))
        .onSuccess(this::applySnapshot)
        // Node-local, also in a cluster: a client resumes against the seq of the node it is connected to.
        .compose(v -> vertx.eventBus().localConsumer(StatusAddresses.STATUS_SINCE, this::onSince).completion());
  }

  private Future<JsonObject> supervisorSnapshot() {
    return vertx.eventBus().<JsonObject>request(Addresses.STATUS_SNAPSHOT, new JsonObject(), LOCAL).map(Message::body);
  }

  private static String whySnapshotFailed(Throwable err) {
    if (err instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS) {
      return "no supervisor answers on " + Addresses.STATUS_SNAPSHOT + ": deploy the Supervisor before the status module";
    }
    return "could not get the status snapshot from the supervisor: " + err.getMessage();
  }

  // ---- following the supervisor ---------------------------------------------------------------

  private void onDelta(JsonObject delta) {
    if (waiting != null) {
      waiting.add(delta);
      return;
    }
    long s = delta.getLong("seq");
    if (s <= seq) {
      return; // already in the snapshot
    }
    if (s != seq + 1) {
      // The local bus keeps the supervisor's order, so this should not happen; if it does, start over.
      LOG.warn("status delta {} after {}: {} missed; taking a new snapshot", s, seq, s - seq - 1);
      waiting = new ArrayList<>(List.of(delta));
      resync();
      return;
    }
    seq = s;
    JsonObject status = delta.getJsonObject("status");
    if (status.getBoolean("removed", false)) {
      listeners.remove(status.getString("name")); // the tombstone stays among the deltas, for clients that resync
    } else {
      listeners.put(status.getString("name"), status);
    }
    deltas.addLast(delta);
    while (deltas.size() > keep) {
      baseSeq = deltas.removeFirst().getLong("seq");
    }
    if (keep == 0) {
      baseSeq = seq;
    }
  }

  private void applySnapshot(JsonObject snapshot) {
    if (snapshot.getValue("view") instanceof String v) {
      view = v;
    }
    seq = snapshot.getLong("seq");
    baseSeq = seq;
    deltas.clear();
    listeners.clear();
    snapshot.getJsonArray("listeners").forEach(o -> {
      JsonObject status = (JsonObject) o;
      listeners.put(status.getString("name"), status);
    });
    List<JsonObject> early = waiting;
    waiting = null;
    early.forEach(this::onDelta);
  }

  private void resync() {
    supervisorSnapshot()
        .onSuccess(this::applySnapshot)
        .onFailure(err -> {
          LOG.warn("status resync failed ({}); trying again in {} ms", err.getMessage(), RESYNC_RETRY_MS);
          vertx.setTimer(RESYNC_RETRY_MS, id -> resync());
        });
  }

  // ---- answering clients ----------------------------------------------------------------------

  private void onSince(Message<Object> msg) {
    JsonObject body = Requests.object(msg, SHAPE);
    if (body == null) {
      return;
    }
    long since = Requests.sequence(msg, body, "seq", SHAPE);
    if (since < 0) {
      return;
    }
    if (body.getValue("view") instanceof String v && !v.equals(view)) {
      msg.reply(ownSnapshot()); // a seq of another stream says nothing about this one
      return;
    }
    if (since > seq) {
      // Either the client saw a delta that is still on its way here, or its seq is from before a
      // restart. The supervisor's own snapshot is right in both cases, and never older than the client.
      supervisorSnapshot().onComplete(ar -> msg.reply(ar.succeeded()
          ? ar.result().copy().put("mode", "snapshot").put("view", view)
          : ownSnapshot()));
      return;
    }
    if (since == 0 || since < baseSeq) {
      msg.reply(ownSnapshot()); // 0: nothing applied yet, so deltas would leave out every listener that never changed
      return;
    }
    JsonArray missed = new JsonArray();
    for (JsonObject delta : deltas) {
      if (delta.getLong("seq") > since) {
        missed.add(delta);
      }
    }
    msg.reply(new JsonObject().put("mode", "deltas").put("seq", seq).put("view", view).put("deltas", missed));
  }

  private JsonObject ownSnapshot() {
    return new JsonObject().put("mode", "snapshot").put("seq", seq).put("view", view)
        .put("listeners", new JsonArray(new ArrayList<>(listeners.values())));
  }
}
