package dev.switchboard.server.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.switchboard.core.Secrets;

/**
 * {@code %ex}: the whole stack trace, with any secret in its messages masked. Written to the journal, each of
 * its lines carries the event's priority: journald files every line on its own, and a trace filed as info would
 * be missing from {@code journalctl -p err} under its error.
 */
public class RedactingThrowableConverter extends ThrowableProxyConverter {
  @Override
  public String convert(ILoggingEvent event) {
    String trace = Secrets.global().redact(super.convert(event));
    return JournalStream.stdout() ? JournalStream.prefixLines(trace, event.getLevel()) : trace;
  }
}
