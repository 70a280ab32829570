package dev.switchboard.server.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.switchboard.core.Secrets;

/**
 * The {@code %msg} of every log line, with any secret from the environment masked, and on one line: a
 * message quotes what upstreams and clients sent (a close reason, a malformed frame), and a line break in
 * it would let them write a line of their own into the log.
 */
public class RedactingMessageConverter extends MessageConverter {
  @Override
  public String convert(ILoggingEvent event) {
    String message = Secrets.global().redact(super.convert(event));
    return message.indexOf('\n') < 0 && message.indexOf('\r') < 0 ? message
        : message.replace("\r", "\\r").replace("\n", "\\n");
  }
}
