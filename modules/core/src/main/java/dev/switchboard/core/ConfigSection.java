package dev.switchboard.core;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One JSON object of the configuration, read strictly: every getter names the field on error, and
 * {@link #finish()} refuses fields nobody asked for (a typo must not be ignored silently).
 */
public final class ConfigSection {
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)");

  private final String path;
  private final JsonObject json;
  private final Set<String> read = new LinkedHashSet<>();

  public ConfigSection(String path, JsonObject json) {
    this.path = path;
    this.json = json == null ? new JsonObject() : json;
  }

  public String path() {
    return path;
  }

  public String field(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  public boolean has(String key) {
    return json.containsKey(key) && json.getValue(key) != null;
  }

  private Object raw(String key) {
    read.add(key);
    return json.getValue(key);
  }

  public String requiredString(String key) {
    String value = optionalString(key, null);
    if (value == null) {
      throw new ConfigException(field(key), "is required");
    }
    return value;
  }

  public String optionalString(String key, String fallback) {
    Object value = raw(key);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof String s)) {
      throw new ConfigException(field(key), "must be a string, not " + typeName(value));
    }
    if (s.isBlank()) {
      throw new ConfigException(field(key), "must not be empty");
    }
    return s;
  }

  public boolean bool(String key, boolean fallback) {
    Object value = raw(key);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Boolean b)) {
      throw new ConfigException(field(key), "must be true or false, not " + typeName(value));
    }
    return b;
  }

  public int integer(String key, int fallback, int min, int max) {
    Object value = raw(key);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw new ConfigException(field(key), "must be a whole number, not " + typeName(value));
    }
    long v = n.longValue();
    if (v < min || v > max) {
      throw new ConfigException(field(key), "must be between " + min + " and " + max + ", not " + v);
    }
    return (int) v;
  }

  public double decimal(String key, double fallback, double min, double max) {
    Object value = raw(key);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Number n)) {
      throw new ConfigException(field(key), "must be a number, not " + typeName(value));
    }
    double v = n.doubleValue();
    if (v < min || v > max) {
      throw new ConfigException(field(key), "must be between " + min + " and " + max + ", not " + v);
    }
    return v;
  }

  /** A duration: a number of milliseconds, or a string such as "250ms", "30s", "5m", "1h". */
  public Duration duration(String key, Duration fallback) {
    Object value = raw(key);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Number n && n.longValue() >= 0) {
      return Duration.ofMillis(n.longValue());
    }
    if (value instanceof String s) {
      Matcher m = DURATION.matcher(s.trim());
      if (m.matches()) {
        double amount = Double.parseDouble(m.group(1));
        double millis = switch (m.group(2)) {
          case "ms" -> amount;
          case "s" -> amount * 1_000;
          case "m" -> amount * 60_000;
          default -> amount * 3_600_000;
        };
        return Duration.ofMillis(Math.round(millis));
      }
    }
    throw new ConfigException(field(key), "must be a duration such as 500ms, 30s or 5m (or a number of milliseconds), not " + value);
  }

  /** A ws:// or wss:// URL with a host. */
  public URI webSocketUrl(String key) {
    String value = requiredString(key);
    try {
      URI uri = new URI(value);
      String scheme = uri.getScheme();
      if (scheme == null || !(scheme.equals("ws") || scheme.equals("wss"))) {
        throw new ConfigException(field(key), "must be a ws:// or wss:// URL");
      }
      if (uri.getHost() == null || uri.getHost().isEmpty()) {
        throw new ConfigException(field(key), "has no host");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new ConfigException(field(key), "is not a valid URL (" + e.getReason() + ")");
    }
  }

  public ConfigSection section(String key) {
    Object value = raw(key);
    if (value != null && !(value instanceof JsonObject)) {
      throw new ConfigException(field(key), "must be an object, not " + typeName(value));
    }
    return new ConfigSection(field(key), (JsonObject) value);
  }

  /** The items of an array (empty when absent), each with its own indexed path for errors. */
  public JsonArray array(String key) {
    Object value = raw(key);
    if (value == null) {
      return new JsonArray();
    }
    if (!(value instanceof JsonArray a)) {
      throw new ConfigException(field(key), "must be an array, not " + typeName(value));
    }
    return a;
  }

  public List<ConfigSection> sections(String key) {
    JsonArray items = array(key);
    List<ConfigSection> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      Object item = items.getValue(i);
      String itemPath = field(key) + "[" + i + "]";
      if (!(item instanceof JsonObject o)) {
        throw new ConfigException(itemPath, "must be an object, not " + typeName(item));
      }
      out.add(new ConfigSection(itemPath, o));
    }
    return out;
  }

  public List<String> strings(String key) {
    JsonArray items = array(key);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      Object item = items.getValue(i);
      if (!(item instanceof String s) || s.isBlank()) {
        throw new ConfigException(field(key) + "[" + i + "]", "must be a non-empty string");
      }
      out.add(s);
    }
    return out;
  }

  /** An object whose values are all strings, such as HTTP headers. */
  public Map<String, String> stringMap(String key) {
    ConfigSection section = section(key);
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : section.json.fieldNames()) {
      Object v = section.json.getValue(name);
      if (!(v instanceof String s)) {
        throw new ConfigException(section.field(name), "must be a string, not " + typeName(v));
      }
      out.put(name, s);
    }
    return out;
  }

  /** The value as it is, for fields whose content is free JSON (a message to send, say). */
  public Object any(String key) {
    return raw(key);
  }

  /** The names of the fields present, for sections keyed by data (a map of names to settings). */
  public Set<String> fieldNames() {
    return Set.copyOf(json.fieldNames());
  }

  /** The whole section as free JSON (a user verticle's own config, say): every field counts as read. */
  public JsonObject raw() {
    read.addAll(json.fieldNames());
    return json.copy();
  }

  /** Marks fields as read by someone else (the common listener fields, read by the caller). */
  public ConfigSection accept(String... keys) {
    read.addAll(List.of(keys));
    return this;
  }

  /** Refuses any field that no getter asked for. */
  public void finish() {
    for (String name : json.fieldNames()) {
      if (!read.contains(name)) {
        throw new ConfigException(field(name), "unknown field");
      }
    }
  }

  private static String typeName(Object value) {
    if (value == null) return "null";
    if (value instanceof String) return "a string";
    if (value instanceof Boolean) return "a boolean";
    if (value instanceof Number) return "a number";
    if (value instanceof JsonArray) return "an array";
    if (value instanceof JsonObject) return "an object";
    return value.getClass().getSimpleName();
  }
}
