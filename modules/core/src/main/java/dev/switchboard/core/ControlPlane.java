package dev.switchboard.core;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/**
 * Everything that can be asked of or done to the listeners, typed. REST, the event bus
 * ({@code switchboard.control}, through {@link ControlEndpoint}) and so the dashboard all wrap this one
 * interface. Futures complete on the caller's context. A refusal fails the future with a
 * {@link ControlException} that carries the HTTP-like code (400, 404, 409, 500) and, for an invalid
 * definition, the fields at fault.
 */
public interface ControlPlane {

  Future<Result> start(String name);

  Future<Result> stop(String name);

  Future<Result> restart(String name);

  /** The listener's status now; outcome {@code ok}. */
  Future<Result> status(String name);

  Future<Snapshot> snapshot();

  /**
   * Creates the listener {@code name} from {@code definition} (the JSON of a config-file entry), or
   * replaces its definition. Validated as the config file is; a changed definition of a running
   * listener takes effect by a clean redeploy of that listener only. Outcome {@code created},
   * {@code updated} or {@code unchanged}.
   */
  default Future<Result> define(String name, JsonObject definition) {
    return define(name, definition, ANY_VERSION);
  }

  /**
   * As {@link #define(String, JsonObject)}, only over the version {@code expected} (as {@link #definition}
   * read it; 0: no such listener yet): a change made meanwhile is not overwritten, the define fails with
   * a {@link ControlException} 412. A definition equal to the stored one answers {@code unchanged}
   * whatever the version (a save retried after its answer was lost). {@link #ANY_VERSION}: no check.
   */
  Future<Result> define(String name, JsonObject definition, long expected);

  /** A define over whatever version is stored. */
  long ANY_VERSION = -1;

  /** Stops the listener (close frame) and removes it with its companions and kind state. Outcome {@code removed}. */
  Future<Result> remove(String name);

  /** The definition as stored, secrets masked, with its version. */
  Future<Definition> definition(String name);

  /**
   * Checks {@code definition} (with its name and type) as {@link #define} would, and changes nothing:
   * a secret sent back masked stands for the stored one of the listener it names, as in a define.
   * Fails with a {@link ControlException} 400 naming the fields at fault.
   */
  Future<Void> validate(JsonObject definition);

  /**
   * Makes the defined listeners exactly {@code definitions} (a reload of the config file): each is
   * defined (unchanged ones untouched), every other listener is removed. Every definition is validated
   * before anything changes. Answers the outcome per listener.
   */
  Future<Map<String, String>> replaceAll(List<JsonObject> definitions);

  /** Every listener's health, as the supervisor sees it now. */
  Future<HealthReport> health();

  /**
   * The answer to a command: what happened, the status seq after it, and the listener's status.
   * {@code warning} says what did not hold (the desired state could not be saved), null when all did.
   */
  record Result(String outcome, long seq, ListenerStatus listener, long version, String warning) {
    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("status", outcome).put("seq", seq);
      if (version > 0) {
        json.put("version", version);
      }
      if (warning != null) {
        json.put("persisted", false).put("warning", warning);
      }
      if (listener != null && listener.epoch() > 0) {
        // In a cluster: which owner, under which epoch, the answer speaks for.
        json.put("owner", listener.owner()).put("epoch", listener.epoch());
      }
      return json.put("listener", listener == null ? null : listener.toJson());
    }
  }

  /** Every status, with the seq of the last change they include. */
  record Snapshot(long seq, List<ListenerStatus> listeners) {
    public JsonObject toJson() {
      return new JsonObject().put("seq", seq).put("listeners", new JsonArray(listeners.stream().map(ListenerStatus::toJson).toList()));
    }
  }

  /** A stored definition, secrets masked. */
  record Definition(String name, long version, JsonObject definition) {
    public JsonObject toJson() {
      return new JsonObject().put("name", name).put("version", version).put("definition", definition);
    }
  }
}
