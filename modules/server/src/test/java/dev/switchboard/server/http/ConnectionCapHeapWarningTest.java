package dev.switchboard.server.http;

import dev.switchboard.server.config.ConfigLoader;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The start's check of http.maxConnections against the heap, with the launcher's 256 MB. */
class ConnectionCapHeapWarningTest {
  private static final long LAUNCHER_HEAP = 256L << 20;

  @Test
  @DisplayName("the default bound fits the launcher's heap; twice it does not, and the warning says how much and what to do")
  void defaultFitsTheLaunchersHeap() {
    assertEquals(Optional.empty(), ConnectionCap.heapWarning(ConfigLoader.DEFAULT_MAX_CONNECTIONS, LAUNCHER_HEAP));
    String warning = ConnectionCap.heapWarning(2 * ConfigLoader.DEFAULT_MAX_CONNECTIONS, LAUNCHER_HEAP).orElseThrow();
    assertEquals("http.maxConnections is 10000: that many connections may hold 234 MB of heap, more than three quarters of the 256 MB"
        + " this JVM may use. Lower it, or give the JVM more heap (JAVA_OPTS=-Xmx...)", warning);
    assertTrue(ConnectionCap.heapWarning(40_000, 1L << 30).isPresent(), "a gigabyte holds fewer than 40,000");
  }
}
