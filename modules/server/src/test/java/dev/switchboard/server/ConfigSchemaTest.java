package dev.switchboard.server;

import dev.switchboard.core.ListenerKinds;
import dev.switchboard.server.config.ConfigSchema;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** docs/switchboard.schema.json is what the kinds declare, so the published schema cannot drift from the validation. */
class ConfigSchemaTest {
  @Test
  @DisplayName("docs/switchboard.schema.json is generated from the product's kinds and up to date")
  void publishedSchemaIsCurrent() throws IOException {
    // The product's kinds: the test source set adds the echo example kind, which is not part of it.
    ListenerKinds product = ListenerKinds.discover().without(k -> k.getClass().getName().startsWith("dev.switchboard.examples."));
    assertEquals(List.of("alpaca", "homeassistant", "upstream"), product.all().stream().map(k -> k.type()).toList());
    JsonObject generated = ConfigSchema.of(product);
    Path root = Path.of("").toAbsolutePath();
    while (!Files.exists(root.resolve("docs")) && root.getParent() != null) {
      root = root.getParent();
    }
    Path published = root.resolve("docs/switchboard.schema.json");
    if (Boolean.getBoolean("switchboard.writeSchema")) {
      Files.writeString(published, generated.encodePrettily() + "\n");
    }
    assertEquals(generated, new JsonObject(Files.readString(published)),
        "docs/switchboard.schema.json is out of date; regenerate it with: "
            + "mvn -pl modules/server test -Dtest=ConfigSchemaTest -Dswitchboard.writeSchema=true");
  }
}
