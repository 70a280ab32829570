package dev.switchboard.simulators.homeassistant;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A command's strict schema, like Home Assistant's voluptuous ones: unknown keys, missing required
 * keys and wrong types are refused, with voluptuous' wording ("extra keys not allowed @ data['foo']. Got 1").
 */
final class CommandSchema {
  /** The value types the commands use. */
  enum Kind {
    STRING("str"), INT("int"), BOOL("bool"), OBJECT("a dictionary"), STRING_LIST("a list"),
    /** A mapping of strings to ints, as {@code supported_features.features}. */
    FEATURES("a dictionary"),
    /** One entity id or a list of them, as a service target's {@code entity_id}. */
    ENTITY_IDS("str or list");

    private final String expected;

    Kind(String expected) {
      this.expected = expected;
    }
  }

  private record Field(Kind kind, boolean required) {
  }

  private static final Set<String> BASE = Set.of("id", "type");

  private final Map<String, Field> fields = new LinkedHashMap<>();
  private final Set<String> base;

  private CommandSchema(Set<String> base) {
    this.base = base;
  }

  /** A command schema: {@code id} and {@code type} are always allowed. */
  static CommandSchema command() {
    return new CommandSchema(BASE);
  }

  /** A nested object's schema, with nothing allowed beyond its fields. */
  static CommandSchema object() {
    return new CommandSchema(Set.of());
  }

  CommandSchema required(String key, Kind kind) {
    fields.put(key, new Field(kind, true));
    return this;
  }

  CommandSchema optional(String key, Kind kind) {
    fields.put(key, new Field(kind, false));
    return this;
  }

  /** Every error, sorted and joined by newlines as voluptuous does; empty when the message is valid. */
  String check(JsonObject msg) {
    return check(msg, "data");
  }

  String check(JsonObject msg, String path) {
    List<String> errors = new ArrayList<>();
    for (String key : msg.fieldNames()) {
      if (!base.contains(key) && !fields.containsKey(key)) {
        errors.add("extra keys not allowed @ " + path + "['" + key + "']. Got " + PyRepr.of(msg.getValue(key)));
      }
    }
    fields.forEach((key, field) -> {
      Object value = msg.getValue(key);
      if (!msg.containsKey(key)) {
        if (field.required()) {
          errors.add("required key not provided @ " + path + "['" + key + "']. Got None");
        }
      } else if (!matches(field.kind(), value)) {
        errors.add("expected " + field.kind().expected + " for dictionary value @ " + path + "['" + key + "']. Got " + PyRepr.of(value));
      }
    });
    errors.sort(null);
    return String.join("\n", errors);
  }

  private static boolean matches(Kind kind, Object value) {
    return switch (kind) {
      case STRING -> value instanceof String;
      case INT -> isInt(value);
      case BOOL -> value instanceof Boolean;
      case OBJECT -> value instanceof JsonObject;
      case STRING_LIST -> value instanceof JsonArray a && a.stream().allMatch(v -> v instanceof String);
      case FEATURES -> value instanceof JsonObject o && o.stream().allMatch(e -> isInt(e.getValue()));
      case ENTITY_IDS -> value instanceof String
          || value instanceof JsonArray a && a.stream().allMatch(v -> v instanceof String);
    };
  }

  /** An int as Python sees one in JSON: not a bool, not a float. */
  static boolean isInt(Object value) {
    return value instanceof Integer || value instanceof Long;
  }
}
