package dev.switchboard.server.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.switchboard.core.Secrets;

/** {@code %ex}: the whole stack trace, with any secret in its messages masked. */
public class RedactingThrowableConverter extends ThrowableProxyConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return Secrets.global().redact(super.convert(event));
  }
}
