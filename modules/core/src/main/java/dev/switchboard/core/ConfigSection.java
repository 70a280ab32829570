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
 *
 * <p>A section with a schema (a listener's definition) takes its defaults from the declared
 * {@link ConfigField}s, refuses to read an undeclared field (a programming error: the schema would
 * drift from what is validated), collects the values of secret fields, and reads numbers and
 * booleans that came from a {@code ${VAR}} placeholder as text.
 */
public final class ConfigSection {
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)");
  /** The longest duration a field may have: longer ones are typos, and overflow timers. */
  private static final Duration MAX_DURATION = Duration.ofDays(7);

  private final String path;
  private final JsonObject json;
  private final Set<String> read = new LinkedHashSet<>();
  private final List<ConfigField> schema;
  /** Field paths whose value came from placeholders, with the values substituted. */
  private final Map<String, List<String>> fromPlaceholder;
  private final Set<String> secrets;

  public ConfigSection(String path, JsonObject json) {
    this(path, json, null, Map.of(), new LinkedHashSet<>());
  }

  /**
   * A section read against {@code schema}.
   *
   * @param fromPlaceholder the field paths whose value came from {@code ${VAR}} placeholders, with the values
   */
  public ConfigSection(String path, JsonObject json, List<ConfigField> schema, Map<String, List<String>> fromPlaceholder) {
    this(path, json, schema, fromPlaceholder, new LinkedHashSet<>());
  }

  private ConfigSection(String path, JsonObject json, List<ConfigField> schema, Map<String, List<String>> fromPlaceholder,
                        Set<String> secrets) {
    this.path = path;
    this.json = json == null ? new JsonObject() : json;
    this.schema = schema;
    this.fromPlaceholder = fromPlaceholder;
    this.secrets = secrets;
  }

  /** The values read from fields the schema marks secret, in this section and its sub-sections. */
  public Set<String> secretValues() {
    return Set.copyOf(secrets);
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
    Object value = json.getValue(key);
    ConfigField declared = declared(key);
    if (declared == null) {
      return value;
    }
    if (value == null && declared.required()) {
      throw new ConfigException(field(key), "is required");
    }
    if (value == null) {
      return declared.defaultValue();
    }
    if (declared.secret() && value instanceof String s) {
      secrets.add(s);
    }
    return value;
  }

  private ConfigField declared(String key) {
    if (schema == null) {
      return null;
    }
    return schema.stream().filter(f -> f.name().equals(key)).findFirst()
        .orElseThrow(() -> new IllegalStateException(field(key) + " is read but not declared in the kind's fields"));
  }

  /** A number or boolean written as a placeholder arrives as text: read it as what it stands for. */
  private Object typed(String key, Object value) {
    if (value instanceof String s && fromPlaceholder.containsKey(field(key))) {
      String t = s.trim();
      if (t.equals("true") || t.equals("false")) {
        return Boolean.valueOf(t);
      }
      try {
        return t.contains(".") ? (Object) Double.valueOf(t) : (Object) Long.valueOf(t);
      } catch (NumberFormatException e) {
        return value;
      }
    }
    return value;
  }

  public String requiredString(String key) {
    String value = optionalString(key, null);
    if (value == null) {
      throw new ConfigException(field(key), "is required");
    }
    return value;
  }

  /** A string field whose default (if any) the schema declares; null when absent with no default. */
  public String string(String key) {
    return optionalString(key, null);
  }

  /** A boolean field whose default the schema declares. */
  public boolean bool(String key) {
    return bool(key, false);
  }

  /** A whole-number field whose default the schema declares. */
  public int integer(String key, int min, int max) {
    return integer(key, min, min, max);
  }

  /** A number field whose default the schema declares. */
  public double decimal(String key, double min, double max) {
    return decimal(key, min, min, max);
  }

  /** A duration field whose default the schema declares. */
  public Duration duration(String key) {
    return duration(key, Duration.ZERO);
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
    Object value = typed(key, raw(key));
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Boolean b)) {
      throw new ConfigException(field(key), "must be true or false, not " + typeName(value));
    }
    return b;
  }

  public int integer(String key, int fallback, int min, int max) {
    Object value = typed(key, raw(key));
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw new ConfigException(field(key), "must be a whole number, not " + typeName(value));
    }
    double v = n.doubleValue(); // not longValue(): a number past 64 bits would wrap into the range
    if (v < min || v > max) {
      throw new ConfigException(field(key), "must be between " + min + " and " + max + ", not " + n);
    }
    return (int) v;
  }

  public double decimal(String key, double fallback, double min, double max) {
    Object value = typed(key, raw(key));
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
    value = typed(key, value);
    if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.doubleValue() >= 0) {
      return bounded(key, n.doubleValue());
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
        return bounded(key, millis);
      }
    }
    throw new ConfigException(field(key), "must be a duration such as 500ms, 30s or 5m (or a number of milliseconds), not " + value);
  }

  /** Checked as a double: a number of milliseconds past 64 bits must be refused, not wrapped. */
  private Duration bounded(String key, double millis) {
    if (millis > MAX_DURATION.toMillis()) {
      throw new ConfigException(field(key), "must be at most " + MAX_DURATION.toDays() + " days, not "
          + String.format(java.util.Locale.ROOT, "%.0f", millis / 3_600_000) + " hours");
    }
    return Duration.ofMillis(Math.round(millis));
  }

  /**
   * A ws:// or wss:// URL with a host. What a placeholder put into it is a secret (a URL carries
   * credentials as often as hosts): masked wherever the URL is shown, the rest of the URL not.
   */
  public URI webSocketUrl(String key) {
    String value = requiredString(key);
    secrets.addAll(fromPlaceholder.getOrDefault(field(key), List.of()));
    try {
      URI uri = new URI(value);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
      if (!(scheme.equals("ws") || scheme.equals("wss"))) {
        throw new ConfigException(field(key), "must be a ws:// or wss:// URL");
      }
      if (!scheme.equals(uri.getScheme())) {
        uri = new URI(scheme + value.substring(scheme.length()));
      }
      if (uri.getHost() == null || uri.getHost().isEmpty()) {
        // java.net.URI keeps an authority it cannot read as host[:port] (an '_' in the name, a port of
        // -1) and reports no host: say what is wrong with it, without echoing it (it may hold a secret).
        throw new ConfigException(field(key), uri.getRawAuthority() == null ? "has no host"
            : "has no valid host[:port]: a host name is letters, digits, '-' and '.', a port 1 to 65535");
      }
      if (uri.getRawUserInfo() != null) {
        throw new ConfigException(field(key),
            "carries a user:password@, which the WebSocket client never sends; give credentials in the kind's own fields");
      }
      if (uri.getPort() == 0 || uri.getPort() > 65_535) {
        throw new ConfigException(field(key), "has port " + uri.getPort() + "; a port is 1 to 65535");
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
    ConfigField declared = schema == null ? null : declared(key);
    return new ConfigSection(field(key), (JsonObject) value, declared == null ? null : declared.fields(), fromPlaceholder, secrets);
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
    if (schema != null && declared(key).secret()) {
      // A secret list (messages that log in, say): what placeholders put anywhere in it. Not its literal
      // strings: a "ping" or "subscribe" would be masked in every log line of the process.
      fromPlaceholder.forEach((at, values) -> {
        if (at.startsWith(field(key) + "[")) {
          secrets.addAll(values);
        }
      });
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
      out.add(new ConfigSection(itemPath, o, null, fromPlaceholder, secrets));
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

  /**
   * HTTP headers: names that are HTTP tokens, values without line breaks or other control characters
   * (a header that cannot be sent would fail every connect, forever).
   */
  public Map<String, String> httpHeaders(String key) {
    Map<String, String> headers = stringMap(key);
    headers.forEach((name, value) -> {
      if (!isHttpToken(name)) {
        throw new ConfigException(field(key), "has " + io.vertx.core.json.Json.encode(name)
            + ", which is not an HTTP header name (letters, digits and " + TOKEN_PUNCTUATION + ")");
      }
      if (value.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f)) {
        throw new ConfigException(field(key) + "." + name, "must not hold line breaks or other control characters");
      }
    });
    return headers;
  }

  /** A list of HTTP tokens, such as WebSocket sub-protocols. */
  public List<String> httpTokens(String key) {
    List<String> tokens = strings(key);
    for (int i = 0; i < tokens.size(); i++) {
      if (!isHttpToken(tokens.get(i))) {
        throw new ConfigException(field(key) + "[" + i + "]",
            "must be a token: letters, digits and " + TOKEN_PUNCTUATION + ", no spaces or commas");
      }
    }
    return tokens;
  }

  /** Besides ASCII letters and digits, what RFC 9110's token may hold. */
  private static final String TOKEN_PUNCTUATION = "!#$%&'*+-.^_`|~";

  /** RFC 9110's token: what a header name and a WebSocket sub-protocol are made of. */
  private static boolean isHttpToken(String s) {
    return !s.isEmpty() && s.chars().allMatch(c -> c < 0x7f
        && (Character.isLetterOrDigit(c) || TOKEN_PUNCTUATION.indexOf(c) >= 0));
  }

  /** An object whose values are all strings, such as HTTP headers. */
  public Map<String, String> stringMap(String key) {
    ConfigSection section = section(key);
    boolean secret = schema != null && declared(key).secret();
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : section.json.fieldNames()) {
      Object v = section.json.getValue(name);
      if (!(v instanceof String s)) {
        throw new ConfigException(section.field(name), "must be a string, not " + typeName(v));
      }
      if (secret) {
        secrets.add(s);
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

  /** The fields asked for so far, present or not: with an empty section, every field a reader knows (its schema's test). */
  public Set<String> fieldsRead() {
    return Set.copyOf(read);
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
