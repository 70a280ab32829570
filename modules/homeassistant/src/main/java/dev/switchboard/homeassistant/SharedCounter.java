package dev.switchboard.homeassistant;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;

import java.util.concurrent.TimeUnit;

/**
 * A listener's {@code events_total} kept cluster-wide, so that it continues on whichever node owns the
 * listener next: one entry {@code {epoch, events_total, last_event_at}} per listener in a map guarded by
 * the cluster's majority. Only the owner writes, and a write under an older epoch than the entry's is
 * refused (compare-and-set), so an owner that lost its lease while paused cannot set the count back.
 * Nor does any write lower the count: a new owner that could not read it, or an older save of this
 * owner's that lands after a newer one, leaves the higher count in place.
 */
final class SharedCounter {
  static final String MAP = "switchboard.homeassistant.counters";
  private static final long TIMEOUT_MS = 5_000;
  /** Writers are the owner and, at worst, one stale owner: a few tries always settle it. */
  private static final int TRIES = 5;

  private final Vertx vertx;
  private final String listener;
  private final long epoch;

  /** @param epoch the lease this node holds for the listener: its writes carry it */
  SharedCounter(Vertx vertx, String listener, long epoch) {
    this.vertx = vertx;
    this.listener = listener;
    this.epoch = epoch;
  }

  /** What the owners before this one counted; zero when none did. */
  Future<CounterFile.Saved> load() {
    return map().compose(m -> m.get(listener)).timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(entry -> entry == null ? new CounterFile.Saved(0, 0)
            : new CounterFile.Saved(entry.getLong("events_total", 0L), entry.getLong("last_event_at", 0L)));
  }

  /**
   * Writes the count under this node's epoch: true once the entry holds at least this count (this one,
   * or a higher one kept), false when a newer owner has written since (this node's count no longer counts).
   */
  Future<Boolean> save(long eventsTotal, long lastEventAt) {
    JsonObject next = new JsonObject().put("epoch", epoch).put("events_total", eventsTotal).put("last_event_at", lastEventAt);
    return map().compose(m -> save(m, next, 1));
  }

  private Future<Boolean> save(AsyncMap<String, JsonObject> map, JsonObject next, int attempt) {
    return map.get(listener).timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).compose(current -> {
      long currentEpoch = current == null ? 0 : current.getLong("epoch", 0L);
      long currentTotal = current == null ? 0 : current.getLong("events_total", 0L);
      if (currentEpoch > epoch) {
        return Future.succeededFuture(false);
      }
      if (current != null && currentEpoch == epoch && currentTotal >= next.getLong("events_total")) {
        return Future.succeededFuture(true); // it holds this count already, or more: a count only grows
      }
      // An older owner may have counted more than this one knows of: the entry moves to this epoch, keeping the higher count.
      JsonObject write = currentTotal <= next.getLong("events_total") ? next : next.copy().put("events_total", currentTotal)
          .put("last_event_at", Math.max(current.getLong("last_event_at", 0L), next.getLong("last_event_at")));
      Future<Boolean> swapped = current == null
          ? map.putIfAbsent(listener, write).map(previous -> previous == null)
          : map.replaceIfPresent(listener, current, write);
      return swapped.timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).compose(done -> {
        if (done) {
          return Future.succeededFuture(true);
        }
        return attempt < TRIES ? save(map, next, attempt + 1)
            : Future.failedFuture(new IllegalStateException("the entry kept changing under " + TRIES + " writes"));
      });
    });
  }

  /** The listener is removed: its count goes with it. */
  static Future<Void> delete(Vertx vertx, String listener) {
    return vertx.sharedData().<String, JsonObject>getAsyncMap(MAP).compose(m -> m.remove(listener)).mapEmpty();
  }

  private Future<AsyncMap<String, JsonObject>> map() {
    return vertx.sharedData().getAsyncMap(MAP);
  }
}
