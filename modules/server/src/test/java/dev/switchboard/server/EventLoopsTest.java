package dev.switchboard.server;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.internal.VertxInternal;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The process runs the event loops its config asks for (one by default), on Linux over epoll, and says so in its log. */
class EventLoopsTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("one event loop by default, on the native epoll transport where the jar carries it (Linux x86_64)")
  void oneLoopOnEpoll() {
    try (LogCapture log = LogCapture.of(Switchboard.class.getName())) {
      Switchboard app = ServerFixture.start(ServerFixture.config(dir.resolve("data")));
      try {
        assertEquals(1, loops(app));
        String said = log.list().stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("event loop")).findFirst().orElseThrow();
        if (System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64")) {
          assertTrue(app.vertx().isNativeTransportEnabled(), "epoll unavailable: " + app.vertx().unavailableNativeTransportCause());
          assertEquals("1 event loop(s), native transport (epoll)", said);
        } else {
          assertTrue(said.startsWith("1 event loop(s), "), said);
        }
      } finally {
        app.stop().await();
      }
    }
  }

  @Test
  @DisplayName("eventLoops: 3 runs three")
  void asManyAsConfigured() {
    Switchboard app = ServerFixture.start(ServerFixture.config(dir.resolve("data")).put("eventLoops", 3));
    try {
      assertEquals(3, loops(app));
    } finally {
      app.stop().await();
    }
  }

  private static int loops(Switchboard app) {
    int n = 0;
    for (EventExecutor ignored : ((VertxInternal) app.vertx()).nettyEventLoopGroup()) {
      n++;
    }
    return n;
  }
}
