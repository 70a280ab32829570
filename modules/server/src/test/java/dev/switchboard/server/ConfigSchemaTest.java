package dev.switchboard.server;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.server.config.ConfigSchema;
import dev.switchboard.server.http.BridgeOptions;
import dev.switchboard.status.ActivityOptions;
import dev.switchboard.status.HistoryRule;
import dev.switchboard.status.StatusOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** docs/switchboard.schema.json is what the kinds declare, so the published schema cannot drift from the validation. */
class ConfigSchemaTest {
  @Test
  @DisplayName("docs/switchboard.schema.json is generated from the product's kinds and up to date")
  void publishedSchemaIsCurrent() throws IOException {
    // The product's kinds: the test source set adds the echo example kind, which is not part of it.
    ListenerKinds product = ListenerKinds.discover().without(k -> k.getClass().getName().startsWith("dev.switchboard.examples."));
    assertEquals(List.of("alpaca", "homeassistant", "upstream"), product.all().stream().map(k -> k.type()).toList());
    JsonObject generated = ConfigSchema.of(product);
    Path published = repository().resolve("docs/switchboard.schema.json");
    if (Boolean.getBoolean("switchboard.writeSchema")) {
      Files.writeString(published, generated.encodePrettily() + "\n");
    }
    assertEquals(generated, new JsonObject(Files.readString(published)),
        "docs/switchboard.schema.json is out of date; regenerate it with: "
            + "mvn -pl modules/server test -Dtest=ConfigSchemaTest -Dswitchboard.writeSchema=true");
  }

  @Test
  @DisplayName("the schema refuses what the loader refuses: a boolean or a number as text without a placeholder, an http section without controlToken")
  void schemaRefusesWhatTheLoaderRefuses() {
    JsonObject schema = ConfigSchema.of(ListenerKinds.discover());
    assertTrue(schema.getJsonObject("properties").getJsonObject("http").getJsonArray("required").contains("controlToken"));
    JsonObject upstream = schema.getJsonObject("properties").getJsonObject("listeners").getJsonObject("items").getJsonArray("oneOf")
        .stream().map(JsonObject.class::cast).filter(v -> "upstream".equals(v.getString("title"))).findFirst().orElseThrow()
        .getJsonObject("properties");
    List<JsonObject> typed = List.of(upstream.getJsonObject("autoStart"), upstream.getJsonObject("maxFrameSize"),
        upstream.getJsonObject("restart").getJsonObject("properties").getJsonObject("jitter"));
    for (JsonObject field : typed) {
      java.util.regex.Pattern text = java.util.regex.Pattern.compile(field.getString("pattern"));
      assertFalse(text.matcher("true").find() || text.matcher("65536").find() || text.matcher("0.1").find(), field.encode());
      assertTrue(text.matcher("${FRAME_SIZE:-4096}").find(), field.encode());
    }
    // What the pattern refuses, the loader does: such a value is read as text, and text is not a boolean.
    JsonObject config = ServerFixture.config(Path.of("data"), ServerFixture.feedListener("feed", "ws://127.0.0.1:9/x", false));
    config.getJsonArray("listeners").getJsonObject(0).put("autoStart", "true");
    ConfigException refused = assertThrows(ConfigException.class,
        () -> new ConfigLoader(Map.of("TEST_TOKEN", ServerFixture.TOKEN)).parse(config));
    assertTrue(refused.getMessage().contains("autoStart: must be true or false"), refused.getMessage());
  }

  @Test
  @DisplayName("the schema's http.bridge and status sections name exactly the fields their readers read, and no others")
  void bridgeAndStatusNameWhatTheirReadersRead() {
    JsonObject properties = ConfigSchema.of(ListenerKinds.discover()).getJsonObject("properties");
    JsonObject bridge = properties.getJsonObject("http").getJsonObject("properties").getJsonObject("bridge");
    JsonObject status = properties.getJsonObject("status");
    JsonObject activity = status.getJsonObject("properties").getJsonObject("activity");
    JsonObject rule = status.getJsonObject("properties").getJsonObject("history").getJsonObject("items");
    assertEquals(fieldsRead(BridgeOptions::from, new JsonObject()), keys(bridge));
    assertEquals(fieldsRead(StatusOptions::from, new JsonObject()), keys(status));
    assertEquals(fieldsRead(ActivityOptions::from, new JsonObject()), keys(activity));
    assertEquals(fieldsRead(HistoryRule::from, new JsonObject().put("address", "upstream.*.message")), keys(rule));
    for (JsonObject section : List.of(bridge, status, activity, rule)) {
      assertEquals(false, section.getValue("additionalProperties"), "an unknown field is refused, as the reader refuses it: " + section);
    }
  }

  @Test
  @DisplayName("every config in conf/ fits the published schema; a misspelt field under status fits neither it nor the loader")
  void shippedConfigsFitTheSchema() throws IOException {
    JsonObject schema = file("docs/switchboard.schema.json");
    JsonSchemaSubset checker = new JsonSchemaSubset(schema);
    List<Path> configs;
    try (var files = Files.walk(repository().resolve("conf"))) {
      configs = files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
    }
    assertTrue(configs.size() >= 8, configs.toString());
    for (Path config : configs) {
      assertEquals(List.of(), checker.problems(new JsonObject(Files.readString(config)), schema), config.toString());
    }
    JsonObject typo = file("conf/switchboard.json");
    typo.getJsonObject("status").getJsonObject("activity").put("maxChanels", 100);
    assertEquals(List.of("$.status.activity: has no property 'maxChanels'"), checker.problems(typo, schema));
    ConfigException refused = assertThrows(ConfigException.class,
        () -> demoLoader().parse(typo));
    assertTrue(refused.getMessage().contains("status.activity.maxChanels: unknown field"), refused.getMessage());
  }

  @Test
  @DisplayName("a listener's name, its enumerated and array fields, a negative duration and Home Assistant's URL path: what the loader refuses, the schema refuses")
  void listenerFieldsAreAsNarrowAsTheirReaders() throws IOException {
    JsonObject schema = file("docs/switchboard.schema.json");
    JsonSchemaSubset checker = new JsonSchemaSubset(schema);
    JsonObject demo = file("conf/switchboard.json");
    record Wrong(String listener, String message, java.util.function.Consumer<JsonObject> change) {
    }
    for (Wrong wrong : List.of(
        new Wrong("feed", "name", l -> l.put("name", "two words")),
        new Wrong("feed", "cannot be a placeholder", l -> l.put("name", "${FEED_NAME:-feed}")),
        new Wrong("feed", "heartbeat.mode", l -> l.put("heartbeat", new JsonObject().put("mode", "pong"))),
        new Wrong("feed", "onConnect", l -> l.put("onConnect", "subscribe")),
        new Wrong("feed", "staleAfter", l -> l.put("staleAfter", -5)),
        new Wrong("market", "encoding", l -> l.put("encoding", "xml")),
        new Wrong("home", "url", l -> l.put("url", "ws://127.0.0.1:8123/websocket")))) {
      JsonObject config = demo.copy();
      JsonObject listener = config.getJsonArray("listeners").stream().map(JsonObject.class::cast)
          .filter(l -> wrong.listener().equals(l.getString("name"))).findFirst().orElseThrow();
      wrong.change().accept(listener);
      assertFalse(checker.problems(config, schema).isEmpty(), "the schema lets through " + listener.encode());
      ConfigException refused = assertThrows(ConfigException.class,
          () -> demoLoader().parse(config), listener.encode());
      assertTrue(refused.getMessage().contains(wrong.message()), refused.getMessage());
    }
    // And the same fields as they should be, placeholders included, fit.
    JsonObject config = demo.copy();
    JsonObject feed = config.getJsonArray("listeners").getJsonObject(0);
    feed.put("heartbeat", new JsonObject().put("mode", "${HEARTBEAT_MODE:-ping}")).put("onConnect", new JsonArray().add("hello"))
        .put("staleAfter", 0);
    config.getJsonArray("listeners").getJsonObject(1).put("url", "WS://127.0.0.1:8123/api/websocket?from=schema");
    assertEquals(List.of(), checker.problems(config, schema));
    demoLoader().parse(config); // and the loader takes them too
  }

  private static JsonObject file(String path) throws IOException {
    return new JsonObject(Files.readString(repository().resolve(path)));
  }

  /** What the demo config needs of the environment. */
  private static ConfigLoader demoLoader() {
    return new ConfigLoader(Map.of("SWITCHBOARD_TOKEN", ServerFixture.TOKEN));
  }

  private static Path repository() {
    Path root = Path.of("").toAbsolutePath();
    while (!Files.exists(root.resolve("docs")) && root.getParent() != null) {
      root = root.getParent();
    }
    return root;
  }

  /** What a reader asks for of a section: every field it knows, when the section leaves them out. */
  private static Set<String> fieldsRead(Function<ConfigSection, ?> reader, JsonObject json) {
    ConfigSection section = new ConfigSection("section", json);
    reader.apply(section);
    return section.fieldsRead();
  }

  private static Set<String> keys(JsonObject objectSchema) {
    return objectSchema.getJsonObject("properties").fieldNames();
  }
}
