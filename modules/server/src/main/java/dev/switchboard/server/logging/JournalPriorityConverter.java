package dev.switchboard.server.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/** {@code %journal}: the line's syslog priority ({@code <4>} for a warning) when standard output is the journal, else nothing. */
public class JournalPriorityConverter extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return JournalStream.stdout() ? JournalStream.prefix(event.getLevel()) : "";
  }
}
