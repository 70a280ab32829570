package dev.switchboard.core.testing;

import dev.switchboard.core.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records every status pushed on {@code switchboard.status}, with the time it arrived. */
public final class StatusRecorder {
  /** One pushed status and when it arrived (epoch millis). */
  public record Seen(long at, long seq, JsonObject status) {
    public String state() {
      return status.getString("state");
    }
  }

  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final MessageConsumer<JsonObject> consumer;

  public StatusRecorder(Vertx vertx) {
    consumer = vertx.eventBus().consumer(Addresses.STATUS, msg -> seen.add(
        new Seen(System.currentTimeMillis(), msg.body().getLong("seq"), msg.body().getJsonObject("status"))));
    consumer.completion().await();
  }

  public List<Seen> all() {
    return List.copyOf(seen);
  }

  public List<Seen> of(String name) {
    return seen.stream().filter(s -> name.equals(s.status().getString("name"))).toList();
  }

  /** The states a listener went through, with consecutive repeats (counter pushes) folded. */
  public List<String> states(String name) {
    List<String> out = new java.util.ArrayList<>();
    for (Seen s : of(name)) {
      if (out.isEmpty() || !out.get(out.size() - 1).equals(s.state())) {
        out.add(s.state());
      }
    }
    return out;
  }

  public void clear() {
    seen.clear();
  }

  public void close() {
    consumer.unregister().await();
  }
}
