package dev.switchboard.server.config;

import dev.switchboard.core.ConfigException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} in every string value of the config with the
 * environment's value. Every value that came in this way is a secret: it is collected so that it can
 * be masked wherever text is shown.
 */
final class Placeholders {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

  private final Map<String, String> env;
  private final Set<String> secrets = new LinkedHashSet<>();

  Placeholders(Map<String, String> env) {
    this.env = env;
  }

  Set<String> secrets() {
    return secrets;
  }

  JsonObject resolve(JsonObject json, String path) {
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
    if (value instanceof String s && s.contains("${")) {
      return substitute(s, path);
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
      secrets.add(value);
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    if (out.indexOf("${") >= 0) {
      throw new ConfigException(path, "has a malformed ${...} placeholder; use ${VAR} or ${VAR:-default}");
    }
    return out.toString();
  }
}
