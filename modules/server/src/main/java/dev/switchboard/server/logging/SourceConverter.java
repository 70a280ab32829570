package dev.switchboard.server.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %source}: who speaks. A listener's logger ({@code switchboard.listener.<name>[.part]}) is shown
 * as the listener's name, once per line (its messages do not repeat it); any other as its class name.
 */
public class SourceConverter extends ClassicConverter {
  static final String LISTENER_PREFIX = "switchboard.listener.";

  @Override
  public String convert(ILoggingEvent event) {
    return source(event.getLoggerName());
  }

  static String source(String logger) {
    if (logger.startsWith(LISTENER_PREFIX)) {
      String rest = logger.substring(LISTENER_PREFIX.length());
      int dot = rest.indexOf('.');
      return "[" + (dot < 0 ? rest : rest.substring(0, dot)) + "]";
    }
    int dot = logger.lastIndexOf('.');
    return dot < 0 ? logger : logger.substring(dot + 1);
  }
}
