package dev.switchboard.server.logging;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.switchboard.core.Secrets;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;

/**
 * logback's JSON encoder (one object a line), with every known secret masked in what it writes. The mask is
 * applied to the decoded strings, not to the line: logback escapes a secret's {@code /}, {@code "} or
 * {@code \}, which no mask of the raw value would match. Written to the journal, a line starts with its
 * priority, which journald strips (see {@link JournalStream}).
 */
public class RedactingJsonEncoder extends JsonEncoder {
  @Override
  public byte[] encode(ILoggingEvent event) {
    String line = new String(super.encode(event), StandardCharsets.UTF_8);
    String masked;
    try {
      masked = ((JsonObject) redacted(new JsonObject(line))).encode() + "\n";
    } catch (DecodeException e) {
      masked = Secrets.global().redact(line); // not expected from logback; the raw mask is better than none
    }
    return (JournalStream.stdout() ? JournalStream.prefix(event.getLevel()) + masked : masked).getBytes(StandardCharsets.UTF_8);
  }

  private static Object redacted(Object value) {
    if (value instanceof String text) {
      return Secrets.global().redact(text);
    }
    if (value instanceof JsonObject object) {
      JsonObject masked = new JsonObject(); // keys too: an MDC or key-value pair's name may hold one
      object.forEach(field -> masked.put(Secrets.global().redact(field.getKey()), redacted(field.getValue())));
      return masked;
    }
    if (value instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        array.set(i, redacted(array.getValue(i)));
      }
      return array;
    }
    return value;
  }
}
