package dev.switchboard.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * While a listener's parts are redeployed for a definition change, its request addresses (what a client
 * may ask or act on, {@code upstream.feed.send} say) answer 503 "being changed", where nobody would
 * answer at all: a sender learns to try again instead of getting the event bus's bare NO_HANDLERS.
 * A single process only: in a cluster these addresses are served where the listener runs, for senders on
 * every node, which a local consumer would not stand in for.
 */
final class ChangingAddresses {
  /** Nothing held (in a cluster). */
  static final ChangingAddresses NONE = new ChangingAddresses();

  /** A suffix that names one address, not a pattern of many. */
  private static final java.util.regex.Pattern PLAIN = java.util.regex.Pattern.compile("[A-Za-z0-9_-]+");

  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();

  private ChangingAddresses() {
  }

  /** Answers on the listener's plain ask and act addresses until {@link #release()}. */
  static Future<ChangingAddresses> hold(Vertx vertx, String namespace, String name, KindAddresses addresses) {
    ChangingAddresses held = new ChangingAddresses();
    Set<String> suffixes = new LinkedHashSet<>(addresses.ask());
    suffixes.addAll(addresses.act());
    List<Future<Void>> registered = new ArrayList<>();
    for (String suffix : suffixes) {
      if (PLAIN.matcher(suffix).matches()) {
        MessageConsumer<Object> consumer = vertx.eventBus().localConsumer(namespace + "." + name + "." + suffix,
            msg -> msg.fail(503, "listener '" + name + "' is being changed; nothing was done, try again"));
        held.consumers.add(consumer);
        registered.add(consumer.completion());
      }
    }
    return Future.all(registered).map(held);
  }

  /** The new parts are deployed and answer now (or the change failed). Once; later calls do nothing. */
  Future<Void> release() {
    if (consumers.isEmpty()) {
      return Future.succeededFuture(); // NONE among them: shared, never changed
    }
    List<Future<Void>> unregistered = consumers.stream().map(MessageConsumer::unregister).toList();
    consumers.clear();
    return Future.join(unregistered).mapEmpty();
  }
}
