package dev.switchboard.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RedactingMessageConverterTest {
  @Test
  @DisplayName("a line break in what an upstream or a client sent stays in its line: no forged line in the text log")
  void oneLine() {
    LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
    LoggingEvent event = new LoggingEvent("test", context.getLogger("switchboard.listener.feed"), Level.INFO,
        "connection ended: connection closed by upstream (code 1000, {})", null,
        new Object[] {"bye\r\n2026-12-03T10:00:00.000Z ERROR [feed] forged"});
    assertEquals("connection ended: connection closed by upstream (code 1000, bye\\r\\n2026-12-03T10:00:00.000Z ERROR [feed] forged)",
        new RedactingMessageConverter().convert(event));
    LoggingEvent ansi = new LoggingEvent("test", context.getLogger("switchboard.listener.feed"), Level.INFO,
        "reason: {}", null, new Object[] {"a\u001b[1A\u001b[2Kb\u2028c\td"});
    assertEquals("reason: a\\u001b[1A\\u001b[2Kb\\u2028c\td", new RedactingMessageConverter().convert(ansi),
        "a terminal's escapes and Unicode's line separator are written out; a tab stays");
  }
}
