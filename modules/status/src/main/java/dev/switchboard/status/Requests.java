package dev.switchboard.status;

import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/** Reading request bodies that come from outside (browsers through the bridge), with clear refusals. */
final class Requests {
  static final int BAD_REQUEST = 400;
  static final int NOT_FOUND = 404;
  static final int UNAVAILABLE = 503;

  private Requests() {
  }

  /** The body as a JSON object, or null after failing the message with {@code shape} as the explanation. */
  static JsonObject object(Message<Object> msg, String shape) {
    if (msg.body() instanceof JsonObject body) {
      return body;
    }
    msg.fail(BAD_REQUEST, "the request must be a JSON object " + shape);
    return null;
  }

  /** A whole number >= 0 in {@code key}, or -1 after failing the message. */
  static long sequence(Message<Object> msg, JsonObject body, String key, String shape) {
    Object value = body.getValue(key);
    if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.doubleValue() >= 0
        && n.doubleValue() <= Long.MAX_VALUE) {
      return n.longValue();
    }
    String what = value == null ? "is missing" : "must be a whole number >= 0, not " + shown(value);
    msg.fail(BAD_REQUEST, "\"" + key + "\" " + what + " in " + shape);
    return -1;
  }

  /** A value from a request, quoted and cut short, for an error message. */
  static String shown(Object value) {
    String text = value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
    return text.length() > 120 ? text.substring(0, 117) + "..." : text;
  }
}
