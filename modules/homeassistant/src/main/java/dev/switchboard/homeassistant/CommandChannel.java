package dev.switchboard.homeassistant;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The command side of one connection: ids that strictly increase on the wire (allocated and written
 * in the same step, on the connection's one event loop), replies matched by id only (async commands
 * may answer out of order), a {@code pong} answering only a {@code ping}, a timeout on every command,
 * and subscription handlers put in place before the subscribe command is written.
 */
final class CommandChannel {
  private record Pending(String type, Promise<JsonObject> answer, long timer) {
  }

  private final Vertx vertx;
  private final Function<String, Future<Void>> writer;
  private final Map<Long, Pending> pending = new HashMap<>();
  private final Map<Long, Consumer<JsonObject>> subscriptions = new HashMap<>();
  private long lastId;
  private String closedBecause;

  CommandChannel(Vertx vertx, Function<String, Future<Void>> writer) {
    this.vertx = vertx;
    this.writer = writer;
  }

  /** Sends a command; the future holds its {@code result}, or fails with a {@link CommandFailure}. */
  Future<Object> send(String type, JsonObject fields, Duration timeout) {
    return request(type, fields, timeout, null).compose(CommandChannel::outcome);
  }

  /** Subscribes: {@code onEvent} gets every {@code event} message of the subscription, from the first one. */
  Future<Void> subscribe(String type, JsonObject fields, Duration timeout, Consumer<JsonObject> onEvent) {
    return request(type, fields, timeout, onEvent).compose(CommandChannel::outcome).mapEmpty();
  }

  /** A protocol {@code ping}; completes on its {@code pong}. */
  Future<Void> ping(Duration timeout) {
    return request("ping", null, timeout, null).mapEmpty();
  }

  private Future<JsonObject> request(String type, JsonObject fields, Duration timeout, Consumer<JsonObject> onEvent) {
    if (closedBecause != null) {
      return Future.failedFuture(new CommandFailure("not_connected", closedBecause));
    }
    long id = ++lastId;
    JsonObject command = new JsonObject().put("id", id).put("type", type);
    if (fields != null) {
      command.mergeIn(fields);
    }
    Promise<JsonObject> answer = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, timeout.toMillis()), t -> {
      if (pending.remove(id) != null) {
        subscriptions.remove(id);
        answer.tryFail(new CommandFailure("timeout", type + " (id " + id + ") got no answer within " + timeout.toMillis() + " ms"));
      }
    });
    pending.put(id, new Pending(type, answer, timer));
    if (onEvent != null) {
      subscriptions.put(id, onEvent); // before the write: events may follow the result at once
    }
    writer.apply(command.encode()).onFailure(err -> {
      if (pending.remove(id) != null) {
        vertx.cancelTimer(timer);
        subscriptions.remove(id);
        answer.tryFail(new CommandFailure("not_connected", type + " could not be sent: " + err.getMessage()));
      }
    });
    return answer.future();
  }

  private static Future<Object> outcome(JsonObject message) {
    if (Boolean.TRUE.equals(message.getValue("success"))) {
      return Future.succeededFuture(message.getValue("result"));
    }
    return Future.failedFuture(CommandFailure.of(message.getJsonObject("error")));
  }

  /** A {@code result} or {@code pong}; false when it answers nothing we asked (or the wrong kind of command). */
  boolean onAnswer(JsonObject message, long id, boolean pong) {
    Pending p = pending.get(id);
    if (p == null || pong != p.type().equals("ping")) {
      return false;
    }
    pending.remove(id);
    vertx.cancelTimer(p.timer());
    if (!pong && !Boolean.TRUE.equals(message.getValue("success"))) {
      subscriptions.remove(id); // a refused subscription will send nothing
    }
    p.answer().complete(message);
    return true;
  }

  /** An {@code event}; false when no subscription of ours has this id. */
  boolean onEvent(JsonObject message, long id) {
    Consumer<JsonObject> handler = subscriptions.get(id);
    if (handler == null) {
      return false;
    }
    handler.accept(message);
    return true;
  }

  /** The connection is gone: every command still waiting fails now, and no new one is sent. */
  void close(String reason) {
    closedBecause = reason;
    List<Pending> waiting = List.copyOf(pending.values());
    pending.clear();
    subscriptions.clear();
    for (Pending p : waiting) {
      vertx.cancelTimer(p.timer());
      p.answer().tryFail(new CommandFailure("not_connected", reason));
    }
  }
}
