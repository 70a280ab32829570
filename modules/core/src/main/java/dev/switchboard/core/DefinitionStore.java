package dev.switchboard.core;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every listener's definition, as written (placeholders unresolved) with its version, in
 * {@code <dataDir>/definitions.json}. The config file seeds it on the first start; from then on it is
 * the truth, changed by define and remove, and by a reload of the file. A private {@link JsonFile}
 * (0600): a definition may hold a literal secret.
 *
 * <p>It takes changes, not whole lists: each write holds what the file held plus the changes waiting
 * for it, so a change whose write failed is never carried to the disk by a later one. The changes made
 * while a write is in flight go together in the next (a reload of many listeners costs two writes, not
 * one each). Used from one event loop (the supervisor's).
 */
public final class DefinitionStore {
  public static final String FILE = "definitions.json";

  /** One stored definition. */
  public record Stored(long version, JsonObject definition) {
  }

  /** A definition to store, or (null) a name to forget at its last version. */
  private record Change(String name, ListenerDefinition definition, long version) {
  }

  private final Vertx vertx;
  private final JsonFile file;
  /** What the file holds: changed only by a write that succeeded. */
  private Map<String, JsonObject> saved = new LinkedHashMap<>();
  /**
   * The last version of each listener removed and not defined again: one defined again under the name goes on from
   * it, so that a version read before the removal ({@code If-Match}) never matches the new listener.
   */
  private Map<String, Long> savedRemoved = new LinkedHashMap<>();
  private List<Change> waiting = new ArrayList<>();
  private Promise<Void> nextWrite;
  private boolean writing;
  private Future<Void> last = Future.succeededFuture();

  public DefinitionStore(Vertx vertx, Path dataDir) {
    this.vertx = vertx;
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
        JsonObject json = buffer.toJsonObject();
        JsonObject listeners = json.getJsonObject("listeners");
        for (String name : listeners.fieldNames()) {
          out.put(name, stored(name, listeners.getJsonObject(name)));
        }
        JsonObject removed = json.getJsonObject("removed", new JsonObject()); // absent from files written before removals were kept
        for (String name : removed.fieldNames()) {
          if (!(removed.getValue(name) instanceof Number version)) {
            throw new IllegalArgumentException("removed." + name + " must be the removed listener's last version");
          }
          savedRemoved.put(name, version.longValue());
        }
      } catch (RuntimeException e) {
        throw new IllegalStateException(file.path() + " is not a valid definitions file (" + JsonSyntax.describe(e)
            + "); restore it from a backup, or delete it to start again from the config file's listeners", e);
      }
      out.forEach((name, s) -> saved.put(name, entry(s.version(), s.definition())));
      return Optional.of(out);
    });
  }

  /** One entry of the file, checked: a hand edit that renamed only its key would make a removal miss it. */
  private static Stored stored(String name, JsonObject entry) {
    if (entry == null || !(entry.getValue("version") instanceof Number version) || entry.getJsonObject("definition") == null) {
      throw new IllegalArgumentException("the entry '" + name + "' needs a version and a definition");
    }
    JsonObject definition = entry.getJsonObject("definition");
    if (!name.equals(definition.getValue("name"))) {
      throw new IllegalArgumentException("the entry '" + name + "' holds a definition named '" + definition.getValue("name")
          + "'; an entry's key and its definition's name must be the same");
    }
    return new Stored(version.longValue(), definition.copy());
  }

  /** Stores these definitions (new or changed); once the future succeeds they are on disk, if it fails none is. */
  public Future<Void> put(Collection<ListenerDefinition> definitions) {
    return change(definitions.stream().map(d -> new Change(d.name(), d, d.version())).toList());
  }

  /**
   * Forgets a listener's definition, keeping its last {@code version}; on disk once the future succeeds, and if it
   * fails the file still has the definition.
   */
  public Future<Void> remove(String name, long version) {
    return change(List.of(new Change(name, null, version)));
  }

  /** The last version of {@code name} if it was removed and not defined again since; else 0. */
  public long removedVersion(String name) {
    return savedRemoved.getOrDefault(name, 0L);
  }

  /** Completes when every change so far has been written (or has failed to be). */
  public Future<Void> flush() {
    return last.otherwiseEmpty();
  }

  private Future<Void> change(List<Change> changes) {
    waiting.addAll(changes);
    if (nextWrite == null) {
      nextWrite = Promise.promise();
      last = nextWrite.future();
      if (!writing) {
        vertx.runOnContext(v -> writeWaiting()); // the changes made in this turn of the loop go in one write
      }
    }
    return nextWrite.future();
  }

  private void writeWaiting() {
    Promise<Void> done = nextWrite;
    List<Change> batch = waiting;
    nextWrite = null;
    waiting = new ArrayList<>();
    writing = true;
    Map<String, JsonObject> content = new LinkedHashMap<>(saved);
    Map<String, Long> removed = new LinkedHashMap<>(savedRemoved);
    for (Change c : batch) {
      if (c.definition() == null) {
        content.remove(c.name());
        removed.put(c.name(), c.version());
      } else {
        content.put(c.name(), entry(c.definition().version(), c.definition().source()));
        removed.remove(c.name());
      }
    }
    JsonObject listeners = new JsonObject();
    content.forEach(listeners::put);
    JsonObject removedJson = new JsonObject();
    removed.forEach(removedJson::put);
    file.write(new JsonObject().put("listeners", listeners).put("removed", removedJson)).onComplete(ar -> {
      if (ar.succeeded()) {
        saved = content;
        savedRemoved = removed;
      }
      writing = false;
      if (nextWrite != null) {
        writeWaiting();
      }
      done.handle(ar);
    });
  }

  private static JsonObject entry(long version, JsonObject definition) {
    return new JsonObject().put("version", version).put("definition", definition);
  }
}
