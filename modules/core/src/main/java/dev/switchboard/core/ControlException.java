package dev.switchboard.core;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A control request that was refused, with the HTTP-like code that says why: 400 (bad request or
 * invalid definition), 404 (no such listener), 409 (conflict), 500 (it could not be done).
 */
public final class ControlException extends RuntimeException {
  /** One field of a definition at fault, its path relative to the definition ({@code restart.initialDelay}). */
  public record FieldError(String path, String message) {
    public JsonObject toJson() {
      return new JsonObject().put("path", path).put("message", message);
    }
  }

  private final int code;
  private final List<FieldError> fields;

  public ControlException(int code, String message) {
    this(code, message, List.of());
  }

  public ControlException(int code, String message, List<FieldError> fields) {
    super(message, null, false, false);
    this.code = code;
    this.fields = List.copyOf(fields);
  }

  public static ControlException notFound(String name) {
    return new ControlException(404, "no listener named '" + name + "'");
  }

  /** An invalid definition: 400 naming the field. Secrets are masked in the message. */
  public static ControlException invalid(ConfigException e) {
    return invalid(e, true);
  }

  /**
   * An invalid definition, its secrets masked unless {@code mask} is false: only for a definition that
   * holds nothing but what its sender wrote ({@link Secrets#drawsOnServer} false). Its errors show that
   * text as sent; masking it would tell a sender without the token which of its words is a secret here
   * (thousands of guesses at the token in one checked field).
   */
  public static ControlException invalid(ConfigException e, boolean mask) {
    String problem = mask ? Secrets.global().redact(e.problem()) : e.problem();
    return new ControlException(400, "invalid definition: " + (e.field().isEmpty() ? "" : e.field() + ": ") + problem,
        List.of(new FieldError(e.field(), problem)));
  }

  /** A define over a version that is no longer the stored one: 412, so that the change made meanwhile is not lost. */
  public static ControlException versionChanged(String name, long current, long expected) {
    return new ControlException(412, current == 0
        ? "there is no listener named '" + name + "' (any more), not version " + expected + ": nothing changed"
        : expected == 0 ? "a listener named '" + name + "' exists already (version " + current + "): nothing changed"
        : "listener '" + name + "' is at version " + current + ", not " + expected + ": it changed since it was read;"
            + " read it again (GET /api/listeners/" + name + "/config) and apply your change to that. Nothing changed");
  }

  public int code() {
    return code;
  }

  public List<FieldError> fields() {
    return fields;
  }

  /** The body of an error answer: {@code {error, fields?}}. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("error", getMessage());
    if (!fields.isEmpty()) {
      json.put("fields", new JsonArray(fields.stream().map(FieldError::toJson).toList()));
    }
    return json;
  }
}
