package dev.switchboard.cluster;

import dev.switchboard.simulators.FreePorts;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What a started node exposes on the network. */
class ClusteredVertxTest {
  private ClusteredVertx.Node node;

  @AfterEach
  void close() {
    if (node != null) {
      node.vertx().close().await();
    }
  }

  @Test
  @DisplayName("Hazelcast listens on cluster.host only, not on every interface (its default): another address of the machine is refused")
  void listensOnTheConfiguredHostOnly() throws IOException {
    assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "127.0.0.2 reaches loopback on Linux only");
    int port = FreePorts.take(1)[0];
    String name = "bind-" + UUID.randomUUID().toString().substring(0, 8);
    node = ClusteredVertx.start(LoopbackSettings.of("node-a", name, port, List.of("127.0.0.1:" + port)), new VertxOptions()).await();
    try (Socket configured = new Socket()) {
      configured.connect(new InetSocketAddress("127.0.0.1", port), 2000); // the node is up and listening
    }
    // Linux routes all of 127.0.0.0/8 to the loopback interface: a socket bound to every interface answers there too.
    assertThrows(ConnectException.class, () -> {
      try (Socket other = new Socket()) {
        other.connect(new InetSocketAddress("127.0.0.2", port), 2000);
      }
    }, "Hazelcast's port answered on 127.0.0.2: it is bound to every interface");
  }
}
