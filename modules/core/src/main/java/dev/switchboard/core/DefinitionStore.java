package dev.switchboard.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Every listener's definition, as written (placeholders unresolved) with its version, in
 * {@code <dataDir>/definitions.json}. The config file seeds it on the first start; from then on it is
 * the truth, changed by define and remove, and by a reload of the file. A private {@link JsonFile}
 * (0600): a definition may hold a literal secret.
 */
public final class DefinitionStore {
  public static final String FILE = "definitions.json";

  /** One stored definition. */
  public record Stored(long version, JsonObject definition) {
  }

  private final JsonFile file;

  public DefinitionStore(Vertx vertx, Path dataDir) {
    this.file = new JsonFile(vertx, dataDir.resolve(FILE), true);
  }

  public Path file() {
    return file.path();
  }

  /** The stored definitions, by name; empty when there is no file yet (a first start). */
  public Future<Optional<Map<String, Stored>>> load() {
    return file.read().map(buffer -> {
      if (buffer == null) {
        return Optional.empty();
      }
      Map<String, Stored> out = new LinkedHashMap<>();
      try {
        JsonObject listeners = buffer.toJsonObject().getJsonObject("listeners");
        for (String name : listeners.fieldNames()) {
          JsonObject entry = listeners.getJsonObject(name);
          out.put(name, new Stored(entry.getLong("version"), entry.getJsonObject("definition").copy()));
        }
      } catch (RuntimeException e) {
        throw new IllegalStateException(file.path() + " is not a valid definitions file (" + e.getMessage()
            + "); restore it from a backup, or delete it to start again from the config file's listeners", e);
      }
      return Optional.of(out);
    });
  }

  /** Replaces what is stored with these definitions; serialized, the last write wins. */
  public Future<Void> save(Collection<ListenerDefinition> definitions) {
    JsonObject listeners = new JsonObject();
    definitions.forEach(d -> listeners.put(d.name(), new JsonObject().put("version", d.version()).put("definition", d.source())));
    return file.write(new JsonObject().put("listeners", listeners));
  }

  public Future<Void> flush() {
    return file.flush();
  }
}
