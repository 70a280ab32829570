package dev.switchboard.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A checker for the part of JSON Schema that docs/openapi.json and docs/switchboard.schema.json use:
 * {@code type} (one or a list), {@code required}, {@code properties}, {@code additionalProperties} (a
 * schema, or false), {@code items}, {@code enum} and {@code const} (of strings, booleans and null),
 * {@code pattern} and {@code minLength} (of strings), {@code minimum} (of numbers), {@code oneOf}, and {@code $ref} to
 * {@code #/components/schemas/...}. Any other keyword is refused, so a document cannot start relying on
 * one that is silently not checked.
 */
final class JsonSchemaSubset {
  private static final Set<String> KNOWN = Set.of("type", "required", "properties", "additionalProperties", "items", "enum", "const",
      "pattern", "minLength", "minimum", "oneOf", "$ref", "description", "example", "title", "default", "$schema");

  private final JsonObject document;

  /** @param document the OpenAPI document whose {@code components/schemas} the references point into */
  JsonSchemaSubset(JsonObject document) {
    this.document = document;
  }

  /** Every way {@code value} breaks {@code schema}, as {@code path: problem}; empty when it fits. */
  List<String> problems(Object value, JsonObject schema) {
    List<String> out = new ArrayList<>();
    check(value, schema, "$", out);
    return out;
  }

  private JsonObject resolve(JsonObject schema) {
    String ref = schema.getString("$ref");
    if (ref == null) {
      return schema;
    }
    String prefix = "#/components/schemas/";
    if (!ref.startsWith(prefix) || !document.getJsonObject("components").getJsonObject("schemas").containsKey(ref.substring(prefix.length()))) {
      throw new IllegalArgumentException("unresolvable $ref " + ref);
    }
    return document.getJsonObject("components").getJsonObject("schemas").getJsonObject(ref.substring(prefix.length()));
  }

  private void check(Object value, JsonObject given, String path, List<String> out) {
    JsonObject schema = resolve(given);
    for (String keyword : schema.fieldNames()) {
      if (!KNOWN.contains(keyword)) {
        throw new IllegalArgumentException("the checker does not know the keyword '" + keyword + "' (at " + path + ")");
      }
    }
    Object type = schema.getValue("type");
    if (type != null) {
      List<Object> types = type instanceof JsonArray list ? list.getList() : List.of(type);
      if (types.stream().noneMatch(t -> isType(value, (String) t))) {
        out.add(path + ": is " + typeOf(value) + ", not " + types);
        return;
      }
    }
    if (schema.containsKey("enum") && !schema.getJsonArray("enum").getList().contains(value)) {
      out.add(path + ": " + value + " is none of " + schema.getJsonArray("enum"));
    }
    if (schema.containsKey("const") && !java.util.Objects.equals(schema.getValue("const"), value)) {
      out.add(path + ": " + value + " is not " + schema.getValue("const"));
    }
    if (value instanceof String text) {
      // JSON Schema's patterns are not anchored: they match anywhere in the string.
      if (schema.containsKey("pattern") && !java.util.regex.Pattern.compile(schema.getString("pattern")).matcher(text).find()) {
        out.add(path + ": \"" + text + "\" does not match " + schema.getString("pattern"));
      }
      if (text.length() < schema.getInteger("minLength", 0)) {
        out.add(path + ": shorter than " + schema.getInteger("minLength"));
      }
    }
    if (value instanceof Number number && schema.containsKey("minimum") && number.doubleValue() < schema.getDouble("minimum")) {
      out.add(path + ": " + number + " is below " + schema.getValue("minimum"));
    }
    if (schema.containsKey("oneOf")) {
      List<List<String>> each = new ArrayList<>();
      for (Object option : schema.getJsonArray("oneOf")) {
        List<String> problems = new ArrayList<>();
        check(value, (JsonObject) option, path, problems);
        each.add(problems);
      }
      long fitting = each.stream().filter(List::isEmpty).count();
      if (fitting != 1) {
        out.add(path + ": fits " + fitting + " of oneOf's " + each.size() + " (" + each + ")");
      }
    }
    if (value instanceof JsonObject object) {
      for (Object name : schema.getJsonArray("required", new JsonArray())) {
        if (!object.containsKey((String) name)) {
          out.add(path + ": lacks the required property '" + name + "'");
        }
      }
      JsonObject properties = schema.getJsonObject("properties", new JsonObject());
      JsonObject others = schema.getValue("additionalProperties") instanceof JsonObject s ? s : null;
      for (Map.Entry<String, Object> entry : object) {
        if (properties.containsKey(entry.getKey())) {
          check(entry.getValue(), properties.getJsonObject(entry.getKey()), path + "." + entry.getKey(), out);
        } else if (others != null) {
          check(entry.getValue(), others, path + "." + entry.getKey(), out);
        } else if (Boolean.FALSE.equals(schema.getValue("additionalProperties"))) {
          out.add(path + ": has no property '" + entry.getKey() + "'");
        }
      }
    }
    if (value instanceof JsonArray array && schema.containsKey("items")) {
      for (int i = 0; i < array.size(); i++) {
        check(array.getValue(i), schema.getJsonObject("items"), path + "[" + i + "]", out);
      }
    }
  }

  private static boolean isType(Object value, String type) {
    return switch (type) {
      case "null" -> value == null;
      case "object" -> value instanceof JsonObject;
      case "array" -> value instanceof JsonArray;
      case "string" -> value instanceof String;
      case "boolean" -> value instanceof Boolean;
      case "integer" -> value instanceof Integer || value instanceof Long || value instanceof java.math.BigInteger;
      case "number" -> value instanceof Number;
      default -> throw new IllegalArgumentException("unknown type " + type);
    };
  }

  private static String typeOf(Object value) {
    return value == null ? "null" : value.getClass().getSimpleName();
  }
}
