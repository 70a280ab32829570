package dev.switchboard.status;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records every activity change pushed on {@code switchboard.activity}, with the time it arrived. */
final class ActivityRecorder {
  record Seen(long at, JsonObject event) {
    String channel() {
      return event.getString("channel");
    }

    String reason() {
      return event.getString("reason");
    }
  }

  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final MessageConsumer<JsonObject> consumer;

  ActivityRecorder(Vertx vertx) {
    consumer = vertx.eventBus().consumer(StatusAddresses.ACTIVITY, msg -> seen.add(new Seen(System.currentTimeMillis(), msg.body())));
    consumer.completion().await();
  }

  List<Seen> all() {
    return List.copyOf(seen);
  }

  List<Seen> of(String channel) {
    return seen.stream().filter(s -> s.channel().equals(channel)).toList();
  }

  boolean has(String channel, String flag, String reason) {
    return seen.stream().anyMatch(s -> s.channel().equals(channel) && s.event().getString("flag").equals(flag) && s.reason().equals(reason));
  }

  Seen first(String channel, String flag, String reason) {
    return seen.stream().filter(s -> s.channel().equals(channel) && s.event().getString("flag").equals(flag) && s.reason().equals(reason))
        .findFirst().orElseThrow();
  }
}
