package dev.switchboard.cluster;

import dev.switchboard.core.ControlPlane;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.AbstractMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Changes to one record, as the entry processor applies them where the entry lives: every change raises the
 * record's version, and only a change of the definition raises the version {@code If-Match} checks.
 */
class RecordChangeTest {
  private static final String FIRST = "{\"name\":\"feed\",\"type\":\"upstream\",\"url\":\"ws://127.0.0.1:1/a\"}";
  private static final String SECOND = "{\"name\":\"feed\",\"type\":\"upstream\",\"url\":\"ws://127.0.0.1:1/b\"}";

  private final Map.Entry<String, ListenerRecord> entry = new AbstractMap.SimpleEntry<>("feed", null);

  private RecordChange.Outcome apply(RecordChange.Action action, String definition) {
    return new RecordChange(action, definition, true).process(entry);
  }

  private RecordChange.Outcome defineOver(String definition, long expected) {
    return new RecordChange(RecordChange.Action.DEFINE, definition, true, 0, expected).process(entry);
  }

  @Test
  void onlyADefinitionChangeRaisesTheDefinitionsVersion() {
    apply(RecordChange.Action.DEFINE, FIRST);
    assertEquals(1, entry.getValue().definitionVersion());
    apply(RecordChange.Action.STOP, null);
    apply(RecordChange.Action.START, null);
    apply(RecordChange.Action.RESTART, null);
    new RecordChange(RecordChange.Action.EPOCH, null, false, 7).process(entry);
    assertEquals(5, entry.getValue().version(), "each of the four changed the record");
    assertEquals(7, entry.getValue().epoch());
    assertEquals(1, entry.getValue().definitionVersion(), "none of them changed the definition");
    assertFalse(apply(RecordChange.Action.DEFINE, FIRST).changed(), "the same definition is no change");
    String reordered = new JsonObject().put("url", "ws://127.0.0.1:1/a").put("type", "upstream").put("name", "feed").encode();
    assertFalse(apply(RecordChange.Action.DEFINE, reordered).changed(), "nor the same fields in another order");
    assertFalse(defineOver(reordered, 0).stale(), "whatever the version");
    apply(RecordChange.Action.DEFINE, SECOND);
    assertEquals(2, entry.getValue().definitionVersion());
    assertEquals(6, entry.getValue().version());
  }

  @Test
  void ifMatchChecksTheDefinitionsVersion() {
    apply(RecordChange.Action.DEFINE, FIRST);
    apply(RecordChange.Action.STOP, null);
    apply(RecordChange.Action.START, null);
    RecordChange.Outcome over = defineOver(SECOND, 1);
    assertFalse(over.stale(), "a start and a stop since the read do not refuse it");
    assertEquals(SECOND, entry.getValue().definition());
    RecordChange.Outcome late = defineOver(FIRST, 1);
    assertTrue(late.stale(), "the definition changed since version 1 was read");
    assertEquals(SECOND, entry.getValue().definition(), "nothing changed");
    assertFalse(defineOver(SECOND, 1).stale(), "what is stored already is no change, whatever the version");
    assertTrue(defineOver(FIRST, 0).stale(), "0 creates only");
    assertFalse(defineOver(FIRST, ControlPlane.ANY_VERSION).stale());
  }

  @Test
  void aListenerDefinedAgainAfterItsRemovalDoesNotReuseAVersion() {
    apply(RecordChange.Action.DEFINE, FIRST);
    apply(RecordChange.Action.DEFINE, SECOND);
    assertTrue(apply(RecordChange.Action.REMOVE, null).changed());
    assertTrue(entry.getValue().removed());
    assertEquals(2, entry.getValue().definitionVersion());
    assertTrue(defineOver(FIRST, 2).stale(), "a form read before the removal is not a read of the listener defined again");
    assertFalse(defineOver(FIRST, 0).stale(), "0: create, as there is none now");
    assertEquals(3, entry.getValue().definitionVersion());
  }

  @Test
  void aFileWrittenBeforeTheDefinitionsVersionReadsTheRecordsVersion() {
    JsonObject old = new JsonObject().put("definition", new JsonObject(FIRST)).put("active", true).put("restarts", 2)
        .put("version", 9).put("removed", false).put("epoch", 3);
    ListenerRecord read = ListenerRecord.fromJson(old);
    assertEquals(9, read.definitionVersion());
    assertEquals(read, ListenerRecord.fromJson(read.toJson()), "written and read again, the same record");
    // And from a node from before it (a rolling upgrade), where deserialization leaves the component 0.
    assertEquals(4, new ListenerRecord(FIRST, true, 0, 4, false, 0, 0).definitionVersion());
    assertEquals(0, new ListenerRecord(FIRST, true, 0, 0, true, 0, 0).definitionVersion(), "a provisional record stays at 0");
  }
}
