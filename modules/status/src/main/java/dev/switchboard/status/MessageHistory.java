package dev.switchboard.status;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.BurstLog;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Keeps the recent envelopes of configured data addresses, so that a client that was away can ask for
 * everything after the last {@code seq} it saw. A pattern's {@code *} stands for a listener name: the
 * names in the supervisor's snapshot at start, then each listener defined while it runs.
 */
public final class MessageHistory extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(MessageHistory.class);
  private static final String SHAPE = "{address, after: <the last seq you saw>, ts: <its ts, optional>, last: <at most this many, the newest; optional>}";

  private final List<HistoryRule> rules;
  private final Map<String, AddressHistory> histories = new LinkedHashMap<>();
  /** The consumers of the per-listener histories (a pattern's), which go with their listener. */
  private final Map<String, MessageConsumer<Object>> perListener = new LinkedHashMap<>();
  private final BurstLog badEnvelopes = new BurstLog(LOG, 10_000);

  public MessageHistory(List<HistoryRule> rules) {
    this.rules = List.copyOf(rules);
  }

  @Override
  public Future<?> start() {
    // Listening for definitions before asking for the names: a listener defined in between is not missed.
    return vertx.eventBus().<JsonObject>localConsumer(Addresses.DEFINITIONS, msg -> onDefinition(msg.body())).completion()
        .compose(v -> listenerNames())
        .compose(names -> {
          List<Future<Void>> consumers = new ArrayList<>();
          for (HistoryRule rule : rules) {
            for (String name : rule.isPattern() ? names : List.of("")) {
              String address = rule.forListener(name);
              if (!histories.containsKey(address)) {
                consumers.add(keep(address, rule));
              }
            }
          }
          // This node's history: a node-local service, also in a cluster (every node keeps its own).
          consumers.add(vertx.eventBus().localConsumer(StatusAddresses.HISTORY, this::onRequest).completion());
          return Future.all(consumers);
        });
  }

  /** A listener defined gets its histories; one removed takes them along (defined again, it starts afresh). */
  private void onDefinition(JsonObject change) {
    if (!(change.getValue("name") instanceof String name)) {
      return;
    }
    boolean removed = "removed".equals(change.getString("action"));
    for (HistoryRule rule : rules) {
      String address = rule.isPattern() ? rule.forListener(name) : null;
      if (address == null) {
        continue;
      }
      if (removed) {
        histories.remove(address);
        MessageConsumer<Object> consumer = perListener.remove(address);
        if (consumer != null) {
          consumer.unregister();
        }
      } else if ("defined".equals(change.getString("action")) && !histories.containsKey(address)) {
        keep(address, rule);
      }
    }
  }

  private Future<List<String>> listenerNames() {
    if (rules.stream().noneMatch(HistoryRule::isPattern)) {
      return Future.succeededFuture(List.of());
    }
    return vertx.eventBus().<JsonObject>request(Addresses.STATUS_SNAPSHOT, new JsonObject(), new DeliveryOptions().setLocalOnly(true))
        .map(reply -> reply.body().getJsonArray("listeners").stream().map(o -> ((JsonObject) o).getString("name")).toList())
        .recover(err -> Future.failedFuture(new IllegalStateException(
            "history patterns need the listener names, but the supervisor did not answer on " + Addresses.STATUS_SNAPSHOT
                + " (deploy the Supervisor before the status module): " + err.getMessage(), err)));
  }

  private Future<Void> keep(String address, HistoryRule rule) {
    AddressHistory history = new AddressHistory(address, rule);
    histories.put(address, history);
    MessageConsumer<Object> consumer = vertx.eventBus().consumer(address, msg -> {
      if (msg.body() instanceof JsonObject envelope && envelope.getValue("seq") instanceof Number n && n.longValue() > 0) {
        history.add(n.longValue(), envelope, monotonicMillis());
      } else {
        badEnvelopes.warn("history of " + address + ": dropped a message that is not an envelope {seq, ...}");
      }
    });
    if (rule.isPattern()) {
      perListener.put(address, consumer);
    }
    return consumer.completion();
  }

  private void onRequest(Message<Object> msg) {
    JsonObject body = Requests.object(msg, SHAPE);
    if (body == null) {
      return;
    }
    if (!(body.getValue("address") instanceof String address)) {
      msg.fail(Requests.BAD_REQUEST, "\"address\" is missing or not a string in " + SHAPE);
      return;
    }
    long after = Requests.sequence(msg, body, "after", SHAPE);
    Long ts = after < 0 ? null : Requests.optionalSequence(msg, body, "ts", SHAPE);
    if (after < 0 || (ts != null && ts < 0)) {
      return;
    }
    Long last = Requests.optionalSequence(msg, body, "last", SHAPE);
    if (last != null && last < 0) {
      return;
    }
    AddressHistory history = histories.get(address);
    if (history == null) {
      msg.fail(Requests.NOT_FOUND, unknown(address));
      return;
    }
    msg.reply(history.after(after, ts, last == null ? Long.MAX_VALUE : last, monotonicMillis()));
  }

  private String unknown(String address) {
    for (HistoryRule rule : rules) {
      var listener = rule.listenerOf(address);
      if (rule.isPattern() && listener.isPresent()) {
        return "no history is kept for " + Requests.shown(address) + ": there is no listener named "
            + Requests.shown(listener.get()) + " (" + rule.address() + " keeps one per listener)";
      }
    }
    return "no history is kept for " + Requests.shown(address) + "; configured: "
        + (rules.isEmpty() ? "none" : rules.stream().map(HistoryRule::address).collect(Collectors.joining(", ")));
  }

  /** What ages the kept envelopes: a clock no NTP step or resumed VM moves (all of them would age at once). */
  private static long monotonicMillis() {
    return System.nanoTime() / 1_000_000;
  }
}
