package dev.switchboard.core.testing;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.ListenerState;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Duration;

/** Drives a supervisor through its event-bus API, as any client would. Call from a test thread. */
public final class Control {
  private final Vertx vertx;

  public Control(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Sends a control action and returns the whole reply: {@code {status, seq, listener}}. */
  public JsonObject send(String action, String name) {
    return vertx.eventBus().<JsonObject>request(Addresses.CONTROL, new JsonObject().put("action", action).put("name", name))
        .await().body();
  }

  public String start(String name) {
    return send("start", name).getString("status");
  }

  public String stop(String name) {
    return send("stop", name).getString("status");
  }

  public String restart(String name) {
    return send("restart", name).getString("status");
  }

  public JsonObject status(String name) {
    return send("status", name).getJsonObject("listener");
  }

  public ListenerState state(String name) {
    return ListenerState.valueOf(status(name).getString("state"));
  }

  public JsonObject awaitState(String name, ListenerState state, Duration timeout) {
    return Await.until(timeout, name + " to be " + state, () -> status(name),
        s -> state.name().equals(s.getString("state")));
  }
}
