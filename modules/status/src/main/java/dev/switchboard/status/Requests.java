package dev.switchboard.status;

import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.math.BigInteger;

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
    if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.doubleValue() >= 0 && fitsInLong(n)) {
      return n.longValue();
    }
    String what = value == null ? "is missing" : "must be a whole number >= 0, not " + shown(value);
    msg.fail(BAD_REQUEST, "\"" + key + "\" " + what + " in " + shape);
    return -1;
  }

  /**
   * Whether longValue() keeps the number: a JSON number past 2^63 - 1 arrives as a BigInteger, whose
   * double rounds to 2^63 and compares equal to Long.MAX_VALUE, and would wrap to a negative.
   */
  private static boolean fitsInLong(Number n) {
    if (n instanceof BigInteger b) {
      return b.bitLength() < 64;
    }
    return n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte || n.doubleValue() < 0x1p63;
  }

  /** Like {@link #sequence}, for a field that may be left out: null when absent, -1 after failing the message. */
  static Long optionalSequence(Message<Object> msg, JsonObject body, String key, String shape) {
    return body.getValue(key) == null ? null : sequence(msg, body, key, shape);
  }

  /** A value from a request, quoted and cut short, for an error message. */
  static String shown(Object value) {
    String text = value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
    return text.length() > 120 ? text.substring(0, 117) + "..." : text;
  }
}
