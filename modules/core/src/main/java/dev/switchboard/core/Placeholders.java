package dev.switchboard.core;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} in every string value of a JSON document with
 * the environment's value. It remembers which values came in this way and at which field paths, so
 * that the caller can mask them and read a {@code "${PORT:-8080}"} as the number it stands for.
 */
public final class Placeholders {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

  private final Map<String, String> env;
  private final Set<String> values = new LinkedHashSet<>();
  private final Map<String, List<String>> byPath = new LinkedHashMap<>();

  public Placeholders(Map<String, String> env) {
    this.env = env;
  }

  /** Every value that came from the environment. */
  public Set<String> values() {
    return values;
  }

  /**
   * The field paths (as {@link ConfigSection#field} names them) whose value came from placeholders,
   * each with the values substituted there.
   */
  public Map<String, List<String>> byPath() {
    return byPath;
  }

  private static boolean hasPlaceholder(Object value) {
    return value instanceof String s && s.contains("${");
  }

  /** A copy of {@code json} with every placeholder replaced; {@code path} prefixes the field paths. */
  public JsonObject resolve(JsonObject json, String path) {
    JsonObject out = new JsonObject();
    json.forEach(e -> out.put(e.getKey(), resolveValue(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey())));
    return out;
  }

  private Object resolveValue(Object value, String path) {
    if (value instanceof JsonObject o) {
      return resolve(o, path);
    }
    if (value instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      for (int i = 0; i < a.size(); i++) {
        out.add(resolveValue(a.getValue(i), path + "[" + i + "]"));
      }
      return out;
    }
    if (hasPlaceholder(value)) {
      return substitute((String) value, path);
    }
    return value;
  }

  private String substitute(String text, String path) {
    Matcher m = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      String value = env.get(name);
      if (value == null || value.isEmpty()) {
        value = m.group(2);
      }
      if (value == null) {
        throw new ConfigException(path, "environment variable " + name + " is not set");
      }
      values.add(value);
      byPath.computeIfAbsent(path, p -> new ArrayList<>()).add(value);
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    if (out.indexOf("${") >= 0) {
      throw new ConfigException(path, "has a malformed ${...} placeholder; use ${VAR} or ${VAR:-default}");
    }
    return out.toString();
  }
}
