package dev.switchboard.cluster;

import java.util.List;

/** A node's settings for a test on loopback: Hazelcast on {@code port}, any event-bus port, default timing. */
final class LoopbackSettings {
  private LoopbackSettings() {
  }

  static ClusterSettings of(String node, String name, int port, List<String> members) {
    ClusterSettings defaults = ClusterSettings.OFF;
    return new ClusterSettings(true, node, name, "127.0.0.1", port, members, "127.0.0.1", 0, defaults.lease(), defaults.heartbeat(),
        defaults.maxSilence(), defaults.rebalanceAfter());
  }
}
