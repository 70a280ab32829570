package dev.switchboard.server.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.switchboard.core.Secrets;

/** The {@code %msg} of every log line, with any secret from the environment masked. */
public class RedactingMessageConverter extends MessageConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return Secrets.global().redact(super.convert(event));
  }
}
