package dev.switchboard.server.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.switchboard.core.Secrets;

/**
 * The {@code %msg} of every log line, with any secret from the environment masked, and on one line: a
 * message quotes what upstreams and clients sent (a close reason, a malformed frame), and a line break or a
 * terminal's control sequence in it would let them write or hide a line of their own.
 */
public class RedactingMessageConverter extends MessageConverter {
  @Override
  public String convert(ILoggingEvent event) {
    String message = Secrets.global().redact(super.convert(event));
    return message.chars().anyMatch(RedactingMessageConverter::escaped) ? oneLine(message) : message;
  }

  /** Control characters but the tab, and Unicode's line and paragraph separators. */
  private static boolean escaped(int c) {
    return (Character.isISOControl(c) && c != '\t') || c == '\u2028' || c == '\u2029';
  }

  private static String oneLine(String message) {
    StringBuilder out = new StringBuilder(message.length() + 16);
    message.chars().forEach(c -> {
      if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else if (escaped(c)) {
        out.append(String.format("\\u%04x", c));
      } else {
        out.append((char) c);
      }
    });
    return out.toString();
  }
}
