package dev.switchboard.core;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * One field of a listener's definition, as a kind declares it: its name, type, default and doc.
 * It is the single source of the field's facts: {@link ConfigSection} reads defaults from it and
 * refuses to read a field that is not declared, and {@code GET /api/kinds} and the JSON Schema in
 * {@code docs/} are made from it, so what is validated and what is documented cannot drift.
 *
 * @param type         one of {@link Type}
 * @param defaultValue the default as a user would write it in JSON (null: no default)
 * @param secret       masked wherever the definition is shown, and kept out of logs
 * @param fields       the sub-fields of an {@link Type#OBJECT} field
 * @param narrower     JSON Schema keywords that narrow the type's schema to what the validation takes (a pattern, say);
 *                     empty for none
 */
public record ConfigField(String name, Type type, Object defaultValue, boolean required, boolean secret, String doc,
                          List<ConfigField> fields, JsonObject narrower) {
  /** A JSON Schema pattern: text holding a {@code ${VAR}} placeholder (a pattern applies to strings only). */
  public static final String PLACEHOLDER = "\\$\\{";
  /** A JSON Schema pattern: a duration such as 500ms, 30s, 5m or 1h, or a placeholder. */
  public static final String DURATION_PATTERN = "^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h)\\s*$|\\$\\{";

  /** The JSON shapes a field can have. */
  public enum Type {
    STRING("string"), URL("url"), BOOLEAN("boolean"), INTEGER("integer"), NUMBER("number"), DURATION("duration"),
    STRING_LIST("string[]"), STRING_MAP("map"), OBJECT("object"), ANY("any");

    public final String label;

    Type(String label) {
      this.label = label;
    }
  }

  public ConfigField {
    fields = fields == null ? List.of() : List.copyOf(fields);
    narrower = narrower == null ? new JsonObject() : narrower.copy();
  }

  @Override
  public JsonObject narrower() {
    return narrower.copy();
  }

  public static ConfigField of(String name, Type type, String doc) {
    return new ConfigField(name, type, null, false, false, doc, List.of(), null);
  }

  public static ConfigField object(String name, String doc, List<ConfigField> fields) {
    return new ConfigField(name, Type.OBJECT, null, false, false, doc, fields, null);
  }

  public ConfigField asRequired() {
    return new ConfigField(name, type, defaultValue, true, secret, doc, fields, narrower);
  }

  public ConfigField asSecret() {
    return new ConfigField(name, type, defaultValue, required, true, doc, fields, narrower);
  }

  public ConfigField withDefault(Object value) {
    return new ConfigField(name, type, value, required, secret, doc, fields, narrower);
  }

  /** A string field that takes one of these words (or a placeholder), as its reader checks. */
  public ConfigField oneOfWords(String... words) {
    for (String word : words) {
      if (!word.matches("[A-Za-z0-9_-]+")) {
        throw new IllegalArgumentException("not a plain word: " + word);
      }
    }
    return matching("^(" + String.join("|", words) + ")$");
  }

  /** A string field whose value must match {@code regex} (or hold a placeholder), as its reader checks. */
  public ConfigField matching(String regex) {
    return matchingOnly(regex + "|" + PLACEHOLDER);
  }

  /** A string field whose value must match {@code regex}, a placeholder or not (the listener's name is never one). */
  public ConfigField matchingOnly(String regex) {
    return narrowedBy(new JsonObject().put("pattern", regex));
  }

  /** An {@link Type#ANY} field that is, more narrowly, an array of anything. */
  public ConfigField anArray() {
    return narrowedBy(new JsonObject().put("type", "array"));
  }

  private ConfigField narrowedBy(JsonObject keywords) {
    return new ConfigField(name, type, defaultValue, required, secret, doc, fields, narrower.copy().mergeIn(keywords));
  }

  /** As {@code GET /api/kinds} shows it. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("name", name).put("type", type.label).put("required", required)
        .put("secret", secret).put("doc", doc);
    if (defaultValue != null) {
      json.put("default", defaultValue);
    }
    if (!fields.isEmpty()) {
      json.put("fields", new JsonArray(fields.stream().map(ConfigField::toJson).toList()));
    }
    return json;
  }

  /** This field as a JSON Schema property. */
  public JsonObject toJsonSchema() {
    JsonObject schema = switch (type) {
      case STRING -> new JsonObject().put("type", "string").put("minLength", 1);
      case URL -> new JsonObject().put("type", "string").put("pattern", "^([Ww][Ss][Ss]?://|.*\\$\\{)"); // the scheme in any case
      // As text only with a placeholder: "true" or "5" in quotes is refused by the validation too.
      case BOOLEAN -> new JsonObject().put("type", new JsonArray().add("boolean").add("string")).put("pattern", PLACEHOLDER);
      case INTEGER -> new JsonObject().put("type", new JsonArray().add("integer").add("string")).put("pattern", PLACEHOLDER);
      case NUMBER -> new JsonObject().put("type", new JsonArray().add("number").add("string")).put("pattern", PLACEHOLDER);
      // A number is milliseconds, never negative.
      case DURATION -> new JsonObject().put("type", new JsonArray().add("string").add("integer")).put("pattern", DURATION_PATTERN)
          .put("minimum", 0);
      case STRING_LIST -> new JsonObject().put("type", "array").put("items", new JsonObject().put("type", "string"));
      case STRING_MAP -> new JsonObject().put("type", "object").put("additionalProperties", new JsonObject().put("type", "string"));
      case OBJECT -> objectSchema(fields);
      case ANY -> new JsonObject();
    };
    schema.mergeIn(narrower);
    schema.put("description", doc);
    if (defaultValue != null) {
      schema.put("default", defaultValue);
    }
    return schema;
  }

  /** A closed JSON Schema object of these fields. */
  public static JsonObject objectSchema(List<ConfigField> fields) {
    JsonObject properties = new JsonObject();
    JsonArray required = new JsonArray();
    for (ConfigField f : fields) {
      properties.put(f.name, f.toJsonSchema());
      if (f.required) {
        required.add(f.name);
      }
    }
    JsonObject schema = new JsonObject().put("type", "object").put("properties", properties).put("additionalProperties", false);
    if (!required.isEmpty()) {
      schema.put("required", required);
    }
    return schema;
  }
}
