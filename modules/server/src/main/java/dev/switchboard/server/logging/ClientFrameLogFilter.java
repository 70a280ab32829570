package dev.switchboard.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

import java.util.List;

/**
 * Drops the lines vertx-web's SockJS bridge writes, unescaped, for each malformed frame a client sends on the
 * HTTP transports (an ERROR for a bad type): anyone could fill the log or forge lines in it. The client gets
 * its error frame. The bridge's other lines (a failure in its event handler, a socket's exception) still show.
 */
public class ClientFrameLogFilter extends TurboFilter {
  static final String BRIDGE = "io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl";
  private static final List<String> CLIENT_CAUSED = List.of(
      "Invalid type in incoming message", "Refusing to register as", "Will not send message, reply address is");

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (format == null || !BRIDGE.equals(logger.getName())) {
      return FilterReply.NEUTRAL;
    }
    for (String prefix : CLIENT_CAUSED) {
      if (format.startsWith(prefix)) {
        return FilterReply.DENY;
      }
    }
    return FilterReply.NEUTRAL;
  }
}
