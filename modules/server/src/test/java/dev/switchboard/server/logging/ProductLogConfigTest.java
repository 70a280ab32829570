package dev.switchboard.server.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The product's logback.xml (the test classpath's logback-test.xml would win over it, so it is read here). */
class ProductLogConfigTest {
  @Test
  @DisplayName("a client's malformed SockJS frames write nothing (vertx-web logs each, unescaped); the bridge's own failures still show")
  void sockJsFramesAreNotLogged() throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(ProductLogConfigTest.class.getResource("/logback.xml"));
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.setContext(context);
    seen.start();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(seen);

    org.slf4j.Logger bridge = context.getLogger(ClientFrameLogFilter.BRIDGE);
    bridge.error("Invalid type in incoming message: x\n2026-12-03T10:00:00.000Z ERROR forged");
    bridge.warn("Refusing to register as address is already registered");
    bridge.warn("Refusing to register as address length > max_address_length");
    bridge.error("Will not send message, reply address is > 36 chars");
    bridge.error("Failure in bridge event handler", new IllegalStateException("ours"));
    context.getLogger("io.vertx.core.impl.ContextImpl").warn("Vert.x's own warning");
    assertEquals(List.of("Failure in bridge event handler", "Vert.x's own warning"),
        seen.list.stream().map(ILoggingEvent::getMessage).toList());
    context.stop();
  }
}
