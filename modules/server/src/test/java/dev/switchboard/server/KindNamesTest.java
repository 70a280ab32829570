package dev.switchboard.server;

import dev.switchboard.core.KindAddresses;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.core.StatusField;
import dev.switchboard.examples.echo.EchoKind;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A kind's names that would be another's: refused when the kinds are found, with what to change. */
class KindNamesTest {
  private static EchoKind kind(String type, String namespace, StatusField field) {
    return new EchoKind() {
      @Override
      public String type() {
        return type;
      }

      @Override
      public String namespace() {
        return namespace;
      }

      @Override
      public List<StatusField> statusFields() {
        return List.of(field);
      }

      @Override
      public KindAddresses addresses() {
        return new KindAddresses(List.of("message"), List.of("message"), List.of(), List.of("send"), List.of("send"));
      }
    };
  }

  private static final StatusField OWN = new StatusField("echoes", "integer", "frames", StatusField.Metric.COUNTER);

  @Test
  @DisplayName("two kinds in one namespace, a status field every listener has, a meter every listener has: each refused, saying why")
  void refusals() {
    assertEquals("two listener kinds with the namespace 'shared' on the classpath: one's addresses would be the other's, "
        + "and so would what a browser may do with them",
        assertThrows(IllegalStateException.class, () -> ListenerKinds.of(kind("a", "shared", OWN), kind("b", "shared", OWN))).getMessage());
    assertEquals("kind 'a': status field 'state' is one every listener's status has: give the kind's own a name of its own",
        assertThrows(IllegalStateException.class, () -> ListenerKinds.of(kind("a", "a",
            new StatusField("state", "string", "its own state", StatusField.Metric.NONE)))).getMessage());
    ListenerKinds clashing = ListenerKinds.of(kind("a", "a", new StatusField("active", "integer", "busy workers", StatusField.Metric.GAUGE)));
    assertEquals("kind 'a': status field 'active' would be exported as switchboard_listener_active, one of every listener's meters: "
        + "give it a name of its own",
        assertThrows(IllegalStateException.class, () -> new ListenerMetrics("r", clashing, null)).getMessage());
    new ListenerMetrics("r", ListenerKinds.of(kind("a", "a", OWN), kind("b", "b", OWN)), null); // distinct names: taken
  }
}
