package dev.switchboard.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import dev.switchboard.core.Secrets;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RedactingJsonEncoderTest {
  /**
   * What logback's JSON escapes: a base64 key's '/', a quote, a backslash; and a non-ASCII letter. Masked for
   * the rest of this JVM's tests too: a value no other test logs.
   */
  private static final String SECRET = "Zm9v/YmFy+\"q\\uoté==";

  @Test
  @DisplayName("a secret that JSON escapes ('/', '\"', '\\\\') is masked in every field: message, arguments, exception")
  void escapedSecretsAreMasked() {
    Secrets.global().add(SECRET);
    LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
    RedactingJsonEncoder encoder = new RedactingJsonEncoder();
    encoder.setWithFormattedMessage(true); // as LoggingSetup does
    encoder.setContext(context);
    encoder.start();
    LoggingEvent event = new LoggingEvent("test", context.getLogger("switchboard.listener.feed"), Level.WARN,
        "socket open to {}", new IllegalStateException("refused ws://h/feed?key=" + SECRET), new Object[] {"ws://h/feed?key=" + SECRET});
    String line = new String(encoder.encode(event), StandardCharsets.UTF_8);

    assertTrue(line.endsWith("\n") && line.indexOf('\n') == line.length() - 1, "one object a line: " + line);
    JsonObject json = new JsonObject(line);
    List<String> strings = new ArrayList<>();
    collectStrings(json, strings);
    assertFalse(strings.isEmpty());
    assertFalse(strings.stream().anyMatch(s -> s.contains(SECRET) || s.contains("Zm9v")), "decoded, no key or value holds the secret: " + strings);
    assertFalse(line.contains("Zm9v"), line);
    assertEquals("socket open to ws://h/feed?key=***", json.getString("formattedMessage"), json.encodePrettily());
    assertTrue(json.getJsonObject("throwable").getString("message").endsWith("key=***"), json.encodePrettily());
    assertEquals("WARN", json.getString("level"));
  }

  /** Every key and string value, decoded. */
  private static void collectStrings(Object value, List<String> out) {
    if (value instanceof String text) {
      out.add(text);
    } else if (value instanceof JsonObject object) {
      object.forEach(e -> {
        out.add(e.getKey());
        collectStrings(e.getValue(), out);
      });
    } else if (value instanceof io.vertx.core.json.JsonArray array) {
      array.forEach(item -> collectStrings(item, out));
    }
  }
}
