package dev.switchboard.core;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The listener kinds this process knows, and the one reader of listener definitions: the config
 * file's {@code listeners} entries and the definitions sent at run time go through
 * {@link #read}, so they are validated alike.
 */
public final class ListenerKinds {
  /** Listener names appear inside event-bus addresses, so they must not contain dots. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,40}");

  /** The fields every listener has, whatever its kind. */
  public static final List<ConfigField> COMMON = List.of(
      ConfigField.of("name", ConfigField.Type.STRING,
          "1 to 40 letters, digits, '-' or '_'; it is part of the listener's event-bus addresses").asRequired()
          .matchingOnly("^" + NAME.pattern() + "$"),
      ConfigField.of("type", ConfigField.Type.STRING, "the listener's kind: see GET /api/kinds").asRequired(),
      ConfigField.of("autoStart", ConfigField.Type.BOOLEAN,
          "start when the listener is defined or the process starts, unless a start or stop has been persisted since").withDefault(false),
      ConfigField.object("restart", "the restart policy: backoff and heartbeat", RestartPolicy.FIELDS));

  private final Map<String, ListenerKind> kinds = new TreeMap<>();

  private ListenerKinds(Collection<ListenerKind> found) {
    Set<String> namespaces = new java.util.HashSet<>();
    found.forEach(k -> {
      if (kinds.put(k.type(), k) != null) {
        throw new IllegalStateException("two listener kinds of type '" + k.type() + "' on the classpath");
      }
      if (!namespaces.add(k.namespace())) {
        throw new IllegalStateException("two listener kinds with the namespace '" + k.namespace() + "' on the classpath: "
            + "one's addresses would be the other's, and so would what a browser may do with them");
      }
      for (StatusField f : k.statusFields()) {
        if (ListenerStatus.isCommonField(f.name()) || f.name().equals("removed")) {
          throw new IllegalStateException("kind '" + k.type() + "': status field '" + f.name()
              + "' is one every listener's status has: give the kind's own a name of its own");
        }
      }
      KindAddresses a = k.addresses();
      for (String data : a.data()) {
        if (a.receive().stream().noneMatch(data::matches)) {
          throw new IllegalStateException("kind '" + k.type() + "': data address '" + data + "' is not among the addresses browsers may receive");
        }
      }
    });
  }

  /** The kinds on the classpath, through {@code META-INF/services/dev.switchboard.core.ListenerKind}. */
  public static ListenerKinds discover() {
    List<ListenerKind> found = new ArrayList<>();
    ServiceLoader.load(ListenerKind.class).forEach(found::add);
    return new ListenerKinds(found);
  }

  public static ListenerKinds of(ListenerKind... kinds) {
    return new ListenerKinds(List.of(kinds));
  }

  /** These kinds less those that {@code leftOut} names. */
  public ListenerKinds without(java.util.function.Predicate<ListenerKind> leftOut) {
    return new ListenerKinds(kinds.values().stream().filter(leftOut.negate()).toList());
  }

  public Optional<ListenerKind> kind(String type) {
    return Optional.ofNullable(kinds.get(type));
  }

  public Collection<ListenerKind> all() {
    return kinds.values();
  }

  /**
   * Reads and validates one definition. {@code source} is the JSON as written (placeholders
   * unresolved); {@code path} prefixes every field named in an error ({@code "listeners[2]"} for the
   * file, {@code ""} for a definition sent over the API). Values of fields marked secret, and what a
   * placeholder put into a URL, join {@link Secrets#global()}; other placeholder values are not secrets.
   */
  public ListenerDefinition read(String path, JsonObject source, Map<String, String> env, Path dataDir, long version) {
    Read read = parse(path, source, env, dataDir, version);
    Secrets.global().addAll(read.secrets());
    return read.definition();
  }

  /**
   * Validates one definition as {@link #read} does, with no effect: its secrets do not join {@link Secrets#global()}
   * (a definition only checked, never defined, must not change what every log line masks). A secret sent
   * back masked stands for the one in {@code stored} (null: none), as in a define.
   */
  public void check(JsonObject source, JsonObject stored, Map<String, String> env, Path dataDir) {
    parse("", keepMaskedSecrets(source, stored), env, dataDir, 0);
  }

  /** A definition read, and the values of its secret fields. */
  private record Read(ListenerDefinition definition, Set<String> secrets) {
  }

  private Read parse(String path, JsonObject source, Map<String, String> env, Path dataDir, long version) {
    Placeholders placeholders = new Placeholders(env);
    JsonObject resolved = placeholders.resolve(source, path);
    try {
      return parse(path, source, resolved, placeholders, dataDir, version);
    } catch (ConfigException e) {
      throw e.masking(placeholders.values());
    }
  }

  private Read parse(String path, JsonObject source, JsonObject resolved, Placeholders placeholders, Path dataDir,
                     long version) {
    // The name keys the listener's stored definition and the type picks the fields to mask: both are read from
    // the definition as written, so each must be what it says.
    ConfigSection written = new ConfigSection(path, source);
    for (String field : List.of("name", "type")) {
      if (source.getValue(field) instanceof String value && value.contains("${")) {
        throw new ConfigException(written.field(field), "cannot be a placeholder (${...}): write it out");
      }
    }
    ConfigSection probe = new ConfigSection(path, resolved);
    String name = probe.requiredString("name");
    if (!NAME.matcher(name).matches()) {
      throw new ConfigException(probe.field("name"),
          "must be 1 to 40 letters, digits, '-' or '_' (it is part of event-bus addresses), not '" + abbreviate(name) + "'");
    }
    String type = probe.requiredString("type");
    ListenerKind kind = kinds.get(type);
    if (kind == null) {
      throw new ConfigException(probe.field("type"), "unknown listener type '" + abbreviate(type) + "'; known: " + String.join(", ", kinds.keySet()));
    }
    ConfigSection s = new ConfigSection(path, resolved, schema(kind), placeholders.byPath());
    s.requiredString("name");
    s.requiredString("type");
    boolean autoStart = s.bool("autoStart");
    RestartPolicy policy = RestartPolicy.from(s.section("restart"));
    ListenerFactory factory = kind.configure(name, s, dataDir);
    s.finish();
    return new Read(new ListenerDefinition(new ListenerSpec(name, type, autoStart, policy, factory.url()), factory, source.copy(), version),
        s.secretValues());
  }

  /** Every field of a listener of this kind: the common ones, then the kind's own. */
  public static List<ConfigField> schema(ListenerKind kind) {
    List<ConfigField> all = new ArrayList<>(COMMON);
    all.addAll(kind.fields());
    return all;
  }

  /** The definition as it may be shown: the value of every secret field replaced by {@link Secrets#MASK}. */
  public JsonObject masked(JsonObject source) {
    ListenerKind kind = source.getValue("type") instanceof String t ? kinds.get(t) : null;
    return kind == null ? source.copy() : mask(source, schema(kind));
  }

  private static JsonObject mask(JsonObject json, List<ConfigField> fields) {
    JsonObject out = json.copy();
    for (ConfigField f : fields) {
      Object value = out.getValue(f.name());
      if (value == null) {
        continue;
      }
      if (f.secret()) {
        out.put(f.name(), Secrets.MASK);
      } else if (f.type() == ConfigField.Type.OBJECT && value instanceof JsonObject o) {
        out.put(f.name(), mask(o, f.fields()));
      }
    }
    return out;
  }

  /**
   * A changed definition may send a secret back as the mask it was shown as: that keeps the stored
   * value, so that a form can change a URL without knowing the token.
   */
  public JsonObject keepMaskedSecrets(JsonObject changed, JsonObject stored) {
    ListenerKind kind = changed.getValue("type") instanceof String t ? kinds.get(t) : null;
    return kind == null || stored == null ? changed : unmask(changed, stored, schema(kind));
  }

  private static JsonObject unmask(JsonObject changed, JsonObject stored, List<ConfigField> fields) {
    JsonObject out = changed.copy();
    for (ConfigField f : fields) {
      Object value = out.getValue(f.name());
      if (f.secret() && Secrets.MASK.equals(value) && stored.getValue(f.name()) != null) {
        out.put(f.name(), stored.getValue(f.name()));
      } else if (f.type() == ConfigField.Type.OBJECT && value instanceof JsonObject o && stored.getValue(f.name()) instanceof JsonObject s) {
        out.put(f.name(), unmask(o, s, f.fields()));
      }
    }
    return out;
  }

  /** What {@code GET /api/kinds} answers: every kind with its fields, status fields and addresses. */
  public JsonObject describe() {
    JsonArray list = new JsonArray();
    for (ListenerKind k : kinds.values()) {
      KindAddresses a = k.addresses();
      list.add(new JsonObject()
          .put("type", k.type())
          .put("namespace", k.namespace())
          .put("description", k.description())
          .put("fields", fields(k.fields()))
          .put("status_fields", new JsonArray(k.statusFields().stream().map(StatusField::toJson).toList()))
          .put("addresses", new JsonObject()
              .put("data", new JsonArray(a.data()))
              .put("receive", new JsonArray(a.receive()))
              .put("ask", new JsonArray(a.ask()))
              .put("act", new JsonArray(a.act()))
              .put("owner_only", new JsonArray(a.ownerOnly()))));
    }
    return new JsonObject().put("common", fields(COMMON)).put("kinds", list);
  }

  /** A JSON Schema of one listener definition: the common fields, and each kind's by its type. */
  public JsonObject listenerSchema() {
    JsonArray variants = new JsonArray();
    for (ListenerKind k : kinds.values()) {
      JsonObject variant = ConfigField.objectSchema(schema(k)).put("title", k.type()).put("description", k.description());
      variant.getJsonObject("properties").put("type", new JsonObject().put("const", k.type()).put("description", "the listener's kind"));
      variants.add(variant);
    }
    return new JsonObject().put("type", "object").put("required", new JsonArray().add("name").add("type")).put("oneOf", variants);
  }

  private static JsonArray fields(List<ConfigField> fields) {
    return new JsonArray(fields.stream().map(ConfigField::toJson).toList());
  }

  private static String abbreviate(String text) {
    return text.length() <= 60 ? text : text.substring(0, 60) + ConfigException.CUT;
  }
}
