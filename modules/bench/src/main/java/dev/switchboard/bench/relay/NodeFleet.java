package dev.switchboard.bench.relay;

import io.vertx.core.Future;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * M Node {@code ws} clients spread over a few Node processes ({@link NodeFleetProcess}): one Node
 * process parses about 150,000 frames a second, so with many clients at max rate a single one would
 * measure itself, not the relay.
 */
final class NodeFleet implements Clients {
  private final List<NodeFleetProcess> processes = new ArrayList<>();

  NodeFleet(Path script, int size, int processCount, Path logDir) {
    int count = Math.max(1, Math.min(processCount, size));
    for (int i = 0; i < count; i++) {
      int share = size / count + (i < size % count ? 1 : 0);
      processes.add(new NodeFleetProcess(script, share, logDir.resolve("node-fleet-" + i + ".log")));
    }
  }

  @Override
  public Future<Void> connect(int port, String path, String address) {
    return Future.all(processes.stream().map(p -> p.connect(port, path, address)).toList()).mapEmpty();
  }

  @Override
  public boolean allReceiving() {
    return processes.stream().allMatch(NodeFleetProcess::allReceiving);
  }

  @Override
  public long connectedCount() {
    return processes.stream().mapToLong(NodeFleetProcess::connectedCount).sum();
  }

  @Override
  public void openWindow(long first) {
    processes.forEach(p -> p.openWindow(first));
  }

  @Override
  public void closeWindow(long last) {
    processes.forEach(p -> p.closeWindow(last));
  }

  @Override
  public long delivered() {
    long sum = 0;
    for (NodeFleetProcess p : processes) {
      sum += p.delivered();
    }
    return sum;
  }

  @Override
  public long duplicates() {
    return processes.stream().mapToLong(NodeFleetProcess::duplicates).sum();
  }

  @Override
  public long missing() {
    return processes.stream().mapToLong(NodeFleetProcess::missing).sum();
  }

  @Override
  public long lowestLast() {
    return processes.stream().mapToLong(NodeFleetProcess::lowestLast).min().orElse(0);
  }

  @Override
  public LatencyHistogram latencies() {
    LatencyHistogram all = new LatencyHistogram();
    processes.forEach(p -> all.add(p.latencies()));
    return all;
  }

  @Override
  public String kind() {
    return "node";
  }

  @Override
  public Future<Void> close() {
    processes.forEach(NodeFleetProcess::close);
    return Future.succeededFuture();
  }
}
