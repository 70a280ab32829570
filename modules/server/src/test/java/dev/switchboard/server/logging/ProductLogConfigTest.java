package dev.switchboard.server.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The product's logback.xml (the test classpath's logback-test.xml would win over it, so it is read here). */
class ProductLogConfigTest {
  @Test
  @DisplayName("a client's malformed SockJS frames write nothing (vertx-web logs each, unescaped); Vert.x's own warnings still show")
  void sockJsFramesAreNotLogged() throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(ProductLogConfigTest.class.getResource("/logback.xml"));
    assertFalse(context.getLogger("io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl").isErrorEnabled());
    assertTrue(context.getLogger("io.vertx.ext.web.handler.sockjs.impl.SockJSSession").isWarnEnabled());
    assertTrue(context.getLogger("io.vertx.core.impl.ContextImpl").isWarnEnabled());
    context.stop();
  }
}
