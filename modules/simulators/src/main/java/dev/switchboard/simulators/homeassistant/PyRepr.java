package dev.switchboard.simulators.homeassistant;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/** Python's {@code repr} of a JSON value, as voluptuous puts it after "Got" in Home Assistant's error messages. */
final class PyRepr {
  private static final int MAX = 500; // voluptuous MAX_VALIDATION_ERROR_ITEM_LENGTH

  private PyRepr() {
  }

  static String of(Object value) {
    String text = repr(value);
    return text.length() > MAX ? text.substring(0, MAX - 3) + "..." : text;
  }

  private static String repr(Object value) {
    if (value == null) {
      return "None";
    }
    if (value instanceof Boolean b) {
      return b ? "True" : "False";
    }
    if (value instanceof String s) {
      return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'";
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      return d == Math.rint(d) && !Double.isInfinite(d) ? String.format("%.1f", d) : Double.toString(d);
    }
    if (value instanceof Number n) {
      return n.toString();
    }
    if (value instanceof JsonObject o) {
      StringBuilder out = new StringBuilder("{");
      for (Map.Entry<String, Object> e : o) {
        if (out.length() > 1) {
          out.append(", ");
        }
        out.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
      }
      return out.append('}').toString();
    }
    if (value instanceof JsonArray a) {
      StringBuilder out = new StringBuilder("[");
      for (int i = 0; i < a.size(); i++) {
        if (i > 0) {
          out.append(", ");
        }
        out.append(repr(a.getValue(i)));
      }
      return out.append(']').toString();
    }
    return value.toString();
  }
}
