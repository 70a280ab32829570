package dev.switchboard.server.logging;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.switchboard.core.Secrets;

import java.nio.charset.StandardCharsets;

/** logback's JSON encoder (one object a line), with every known secret masked in what it writes. */
public class RedactingJsonEncoder extends JsonEncoder {
  @Override
  public byte[] encode(ILoggingEvent event) {
    String line = new String(super.encode(event), StandardCharsets.UTF_8);
    return Secrets.global().redact(line).getBytes(StandardCharsets.UTF_8);
  }
}
