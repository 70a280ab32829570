package dev.switchboard.homeassistant;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records the envelopes published on some addresses, each with the address it came on. */
final class Envelopes {
  private final List<JsonObject> seen = new CopyOnWriteArrayList<>();
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();

  private Envelopes() {
  }

  static Envelopes on(Vertx vertx, String... addresses) {
    Envelopes out = new Envelopes();
    for (String address : addresses) {
      MessageConsumer<JsonObject> c = vertx.eventBus().consumer(address, m -> out.seen.add(m.body().copy().put("address", address)));
      c.completion().await();
      out.consumers.add(c);
    }
    return out;
  }

  /** In the order they arrived on that address. */
  List<JsonObject> at(String address) {
    return seen.stream().filter(e -> address.equals(e.getString("address"))).toList();
  }

  /** All of them, in publication order. */
  List<JsonObject> bySeq() {
    return seen.stream().sorted(Comparator.comparingLong(e -> e.getLong("seq"))).toList();
  }

  int size() {
    return seen.size();
  }
}
