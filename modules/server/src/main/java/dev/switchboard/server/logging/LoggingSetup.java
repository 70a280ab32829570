package dev.switchboard.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Applies the config's {@code logging} section to logback, replacing the console output that
 * logback.xml set up for the start: text or JSON lines, and a level per logger.
 */
public final class LoggingSetup {
  private LoggingSetup() {
  }

  /** One line a format: {@code text} (the default) or {@code json}; levels by logger name ({@code root} for all). */
  public record Logging(String format, Map<String, String> levels) {
  }

  public static void apply(Logging logging) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another SLF4J backend: its own configuration applies
    }
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    if ("json".equals(logging.format())) {
      RedactingJsonEncoder json = new RedactingJsonEncoder();
      json.setWithFormattedMessage(true); // the line as the text format says it, where log viewers look for it
      json.setContext(context);
      json.start();
      replaceConsole(context, root, json);
    }
    logging.levels().forEach((name, level) ->
        context.getLogger(name.equals("root") ? Logger.ROOT_LOGGER_NAME : name).setLevel(Level.toLevel(level)));
  }

  private static void replaceConsole(LoggerContext context, Logger root, Encoder<ILoggingEvent> encoder) {
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("OUT");
    console.setEncoder(encoder);
    console.start();
    root.detachAppender("OUT");
    root.addAppender(console);
  }
}
