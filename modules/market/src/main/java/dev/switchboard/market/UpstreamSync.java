package dev.switchboard.market;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Keeps the upstream's subscriptions equal to what the clients want, through whichever connection
 * instance is current. One change is in flight at a time (the protocol has no request ids, so the
 * next answer is the answer); whatever changed meanwhile goes out next, additions first, then removals,
 * each in as few messages as the batch limits allow. The answer, a full set, is the truth: it replaces
 * our view, and any difference from what we expected is recorded as drift and corrected by the next change.
 * Single-threaded: the registry's event loop.
 *
 * <p>The upstream refuses a subscribe as a whole (405 past the symbol limit, 400, 410), so a refused
 * change of several symbols is sent again in halves until each refusal names one symbol: one symbol
 * too many never takes the others down with it. A symbol refused at the limit while symbols nobody wants
 * are still subscribed (lingering, or not yet unsubscribed) makes room first: those are unsubscribed at
 * once and it is asked for again. After a reconnect, what the last connection had subscribed goes out
 * first, so past a limit it is the newly wanted symbols that are refused. A change the upstream fails in
 * another way is sent again up to {@link #MAX_TRIES} times, {@link #RETRY_PAUSE_MS} apart, then given up like one
 * it keeps ignoring.
 */
final class UpstreamSync {
  /** What the registry does about symbols the upstream would not take, and about any change of state. */
  interface Events {
    void refused(Collection<Watch> watches, String code, String message);

    void changed();
  }

  /** More than this many symbols in one change are sent in several changes. */
  static final int MAX_PER_CHANGE = 1000;
  /** A symbol the upstream keeps ignoring is given up after this many changes. */
  static final int MAX_TRIES = 3;
  /** After a change the upstream failed in a way it does not document, the next one waits this long (a burst passes). */
  static final long RETRY_PAUSE_MS = 1_000;

  private record InFlight(long generation, String action, WatchSet watches, WatchSet expected) {
  }

  private final Vertx vertx;
  private final MarketAddresses addresses;
  private final Demand demand;
  private final Duration linger;
  private final Duration answerTimeout;
  private final Logger log;
  private final Events events;

  /** The connection that said "ready" and has not ended; 0 when none. */
  private long generation;
  /** The newest generation ever heard of: anything older is a stale report. */
  private long newest;
  private WatchSet upstream = WatchSet.EMPTY;
  /** What the last connection had subscribed: subscribed first on the next one. */
  private WatchSet subscribedBefore = WatchSet.EMPTY;
  /** How many symbols a subscribe may carry now: halved by a refusal, doubled by a success. */
  private int batchLimit = MAX_PER_CHANGE;
  private InFlight inFlight;
  private final Map<Watch, Long> lingering = new HashMap<>();
  private final Map<Watch, Integer> tries = new HashMap<>();
  private final Set<Watch> stuck = new HashSet<>();
  /** Set by a refusal at the symbol limit while unwanted symbols hold places: the next change removes them. */
  private boolean makingRoom;
  /** Set after an undocumented failure: no change goes out before it ends. */
  private long pausedUntil;
  private long pauseTimer = -1;
  private long lingerTimer = -1;
  private long driftCount;
  private JsonObject lastDrift;

  UpstreamSync(Vertx vertx, MarketAddresses addresses, Demand demand, Duration linger, Duration answerTimeout,
               Logger log, Events events) {
    this.vertx = vertx;
    this.addresses = addresses;
    this.demand = demand;
    this.linger = linger;
    this.answerTimeout = answerTimeout;
    this.log = log;
    this.events = events;
  }

  boolean connected() {
    return generation != 0;
  }

  WatchSet upstream() {
    return upstream;
  }

  JsonObject drift() {
    return new JsonObject().put("corrections", driftCount).put("last", lastDrift == null ? null : lastDrift.copy());
  }

  // ---- what the connection instances say ----------------------------------------------------------

  /** A fresh connection is authenticated: it starts with nothing subscribed, so the whole wanted set goes out. */
  void ready(long gen) {
    if (gen <= newest) {
      log.debug("ignoring ready of stale generation {}", gen);
      return;
    }
    newest = gen;
    generation = gen;
    reset();
    events.changed();
    pump();
  }

  void ended(long gen) {
    if (gen != generation) {
      return;
    }
    generation = 0;
    reset();
    events.changed();
  }

  /** A {@code subscription} frame nobody asked for: still the truth. */
  void unasked(long gen, WatchSet answer) {
    if (gen != generation || inFlight != null) {
      return;
    }
    take(answer, upstream);
    events.changed();
    pump();
  }

  private void reset() {
    // A subscribe still in flight when the connection ended counts: the upstream may well have taken it.
    WatchSet streaming = inFlight != null && inFlight.action().equals("subscribe") ? upstream.plus(inFlight.watches()) : upstream;
    if (!streaming.isEmpty()) {
      subscribedBefore = streaming;
    }
    upstream = WatchSet.EMPTY;
    batchLimit = MAX_PER_CHANGE;
    inFlight = null;
    makingRoom = false;
    pausedUntil = 0;
    if (pauseTimer >= 0) {
      vertx.cancelTimer(pauseTimer);
      pauseTimer = -1;
    }
    lingering.clear();
    tries.clear();
    stuck.clear();
    if (lingerTimer >= 0) {
      vertx.cancelTimer(lingerTimer);
      lingerTimer = -1;
    }
  }

  // ---- what the clients want --------------------------------------------------------------------

  /** Called with the 0 -> 1 and 1 -> 0 transitions of the demand. */
  void wantedChanged(Collection<Watch> becameWanted, Collection<Watch> becameUnwanted) {
    long now = System.currentTimeMillis();
    becameWanted.forEach(w -> {
      lingering.remove(w);
      tries.remove(w);
    });
    if (!linger.isZero()) {
      // Subscribed upstream, or about to be (its subscribe is in flight): either way, leaving lingers.
      becameUnwanted.stream().filter(w -> upstream.contains(w) || (inFlight != null && inFlight.expected().contains(w)))
          .forEach(w -> lingering.put(w, now + linger.toMillis()));
      scheduleLinger();
    }
    pump();
  }

  private void scheduleLinger() {
    if (lingerTimer >= 0 || lingering.isEmpty()) {
      return;
    }
    long next = lingering.values().stream().mapToLong(Long::longValue).min().orElseThrow();
    lingerTimer = vertx.setTimer(Math.max(1, next - System.currentTimeMillis()), id -> {
      lingerTimer = -1;
      pump();
      if (inFlight == null) {
        scheduleLinger(); // with a change in flight, its answer schedules it: a linger past due would fire every 1 ms
      }
    });
  }

  // ---- one change at a time ---------------------------------------------------------------------

  /** Sends the next change, if the connection is ready, nothing is in flight and something differs. */
  private void pump() {
    if (generation == 0 || inFlight != null) {
      return;
    }
    long wait = pausedUntil - System.currentTimeMillis();
    if (wait > 0) {
      if (pauseTimer < 0) {
        pauseTimer = vertx.setTimer(wait, id -> {
          pauseTimer = -1;
          pump();
        });
      }
      return;
    }
    WatchSet wanted = demand.wanted();
    if (makingRoom) {
      makingRoom = false;
      WatchSet unwanted = upstream.minus(wanted).minus(stuck);
      if (!unwanted.isEmpty()) {
        unwanted.asSet().forEach(lingering::remove);
        WatchSet batch = unwanted.first(MAX_PER_CHANGE);
        send("unsubscribe", batch, upstream.minus(batch));
        return;
      }
    }
    WatchSet adds = wanted.minus(upstream);
    if (!adds.isEmpty()) {
      WatchSet again = adds.intersection(subscribedBefore);
      WatchSet batch = (again.isEmpty() ? adds : again).first(batchLimit);
      send("subscribe", batch, upstream.plus(batch));
      return;
    }
    long now = System.currentTimeMillis();
    lingering.values().removeIf(until -> until <= now);
    WatchSet removes = upstream.minus(wanted).minus(lingering.keySet()).minus(stuck);
    if (!removes.isEmpty()) {
      WatchSet batch = removes.first(MAX_PER_CHANGE);
      send("unsubscribe", batch, upstream.minus(batch));
    }
  }

  private void send(String action, WatchSet watches, WatchSet expected) {
    InFlight change = new InFlight(generation, action, watches, expected);
    inFlight = change;
    JsonObject body = new JsonObject().put("action", action);
    watches.toJson().forEach(e -> {
      if (!((io.vertx.core.json.JsonArray) e.getValue()).isEmpty()) {
        body.put(e.getKey(), e.getValue());
      }
    });
    DeliveryOptions options = new DeliveryOptions().setLocalOnly(true).setSendTimeout(answerTimeout.toMillis());
    vertx.eventBus().<JsonObject>request(addresses.connection(change.generation), body, options).onComplete(ar -> {
      if (inFlight != change) {
        return; // the connection it went to is gone; a newer one has started over
      }
      inFlight = null;
      if (ar.succeeded()) {
        answered(change, ar.result().body().getJsonObject("subscription"));
      } else {
        failed(change, ar.cause());
      }
      events.changed();
      pump();
      scheduleLinger();
    });
  }

  private void answered(InFlight change, JsonObject answerJson) {
    WatchSet answer = WatchSet.fromJson(answerJson);
    take(answer, change.expected);
    if (change.action.equals("subscribe")) {
      batchLimit = (int) Math.min(MAX_PER_CHANGE, batchLimit * 2L);
    }
    boolean subscribe = change.action.equals("subscribe");
    Map<Boolean, List<Watch>> achieved = change.watches.asSet().stream()
        .collect(Collectors.partitioningBy(w -> subscribe == answer.contains(w)));
    achieved.get(true).forEach(tries::remove);
    notDone(change, achieved.get(false), "not_subscribed", "the upstream did not subscribe after " + MAX_TRIES + " requests");
  }

  /**
   * Counts a try of each of {@code watches}, which {@code change} did not achieve. Past {@link #MAX_TRIES}, a
   * subscribe is given up (its clients are told, with {@code code}) and an unsubscribe is left as it is on this
   * connection (data for it is dropped anyway): never sent again and again at the upstream's round-trip speed.
   */
  private void notDone(InFlight change, Collection<Watch> watches, String code, String message) {
    List<Watch> givenUp = new ArrayList<>();
    for (Watch w : watches) {
      if (tries.merge(w, 1, Integer::sum) >= MAX_TRIES) {
        tries.remove(w);
        if (change.action.equals("subscribe")) {
          givenUp.add(w);
        } else {
          stuck.add(w);
        }
      }
    }
    if (!givenUp.isEmpty()) {
      events.refused(givenUp, code, message);
    }
  }

  /** The answer replaces our view; a difference from what we expected is drift, corrected by the next change. */
  private void take(WatchSet answer, WatchSet expected) {
    WatchSet missing = expected.minus(answer);
    WatchSet unexpected = answer.minus(expected);
    if (!missing.isEmpty() || !unexpected.isEmpty()) {
      driftCount++;
      lastDrift = new JsonObject().put("at", Instant.now().toString())
          .put("missing", missing.toJson()).put("unexpected", unexpected.toJson());
      log.warn("upstream subscriptions differ from what was expected: missing {}, unexpected {}; correcting", missing, unexpected);
    }
    upstream = answer;
  }

  private void failed(InFlight change, Throwable cause) {
    if (cause instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      int code = re.failureCode();
      if (change.action.equals("subscribe") && (code == 400 || code == 405 || code == 410)) {
        // Refused as a whole: nothing of this change was taken. Which symbol is at fault is known
        // only once a change of one symbol is refused; until then, halves.
        if (change.watches.size() > 1) {
          batchLimit = Math.max(1, change.watches.size() / 2);
          log.info("subscribe of {} symbols refused ({}: {}); sending it in parts of {}", change.watches.size(), code,
              re.getMessage(), batchLimit);
        } else if (code == 405 && !upstream.minus(demand.wanted()).minus(stuck).isEmpty()) {
          makingRoom = true;
          log.info("subscribe of {} refused at the symbol limit ({}); unsubscribing the symbols nobody wants first",
              change.watches, re.getMessage());
        } else {
          events.refused(change.watches.minus(upstream).asSet(), String.valueOf(code), re.getMessage());
        }
      } else {
        log.warn("{} of {} failed: {} {}; the next change waits {} ms", change.action, change.watches, code, re.getMessage(),
            RETRY_PAUSE_MS);
        pausedUntil = System.currentTimeMillis() + RETRY_PAUSE_MS;
        notDone(change, change.watches.asSet(), String.valueOf(code), "the upstream failed it " + MAX_TRIES + " times: "
            + re.getMessage());
      }
    } else if (cause instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
      ended(change.generation); // the connection is gone without a word
    } else {
      log.warn("{} of {} got no answer: {}", change.action, change.watches, cause.getMessage());
    }
  }
}
