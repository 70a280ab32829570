package dev.switchboard.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A data file broken by hand (or by a disk) is refused with where the mistake is, not with the parser's source note. */
class StoredFilesTest {
  private final Vertx vertx = Vertx.vertx();

  @TempDir
  Path dir;

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void aBrokenDefinitionsFileSaysWhere() throws Exception {
    Files.writeString(dir.resolve(DefinitionStore.FILE), "{\"listeners\": {\n  \"feed\": {,}}}");
    String why = failure(new DefinitionStore(vertx, dir).load());
    assertTrue(why.contains("is not a valid definitions file (line 2, column 12: Unexpected character (','"), why);
    assertFalse(why.contains("Source"), why);
  }

  @Test
  void aBrokenStateFileSaysWhere() throws Exception {
    DesiredStateStore store = new DesiredStateStore(vertx, dir);
    Files.writeString(store.file(), "{\"listeners\": tru");
    String why = failure(store.load());
    assertTrue(why.contains("is not valid JSON: line 1, column"), why);
    assertTrue(why.contains("Unrecognized token 'tru'"), why);
    assertFalse(why.contains("Source"), why);
  }

  private static String failure(Future<?> load) {
    try {
      load.await();
    } catch (RuntimeException e) {
      return e.getMessage();
    }
    throw new AssertionError("the broken file was read");
  }
}
