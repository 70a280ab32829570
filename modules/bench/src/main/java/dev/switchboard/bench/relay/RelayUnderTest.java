package dev.switchboard.bench.relay;

import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.concurrent.TimeUnit;

/**
 * One relay of one row, kept for the row's rounds: its process, the generator it reads and the M
 * clients on it. Its idle and connected RSS are read once, at start; each {@link #round} sends, warms
 * up, measures a window and drains.
 */
final class RelayUnderTest implements AutoCloseable {
  private final Vertx vertx;
  private final String name;
  private final RelayBench.Scenario scenario;
  private final Generator generator;
  private final String deployment;
  private final RelayProcess relay;
  private final Clients fleet;
  private final double rssIdle;
  private final double rssConnected;
  /** Print, after each round, which of the relay's threads its CPU went to (--threads). */
  boolean showThreads;

  private RelayUnderTest(Vertx vertx, String name, RelayBench.Scenario scenario, Generator generator, String deployment,
                         RelayProcess relay, Clients fleet, double rssIdle, double rssConnected) {
    this.vertx = vertx;
    this.name = name;
    this.scenario = scenario;
    this.generator = generator;
    this.deployment = deployment;
    this.relay = relay;
    this.fleet = fleet;
    this.rssIdle = rssIdle;
    this.rssConnected = rssConnected;
  }

  static RelayUnderTest start(Vertx vertx, String name, RelayBench.Scenario scenario, Clients fleet, Path jar,
                              List<String> jvmOptions, Integer eventLoops, Path bench, Path workDir) throws Exception {
    Generator generator = new Generator();
    String deployment = vertx.deployVerticle(generator).await(10, TimeUnit.SECONDS);
    RelayProcess relay = switch (name) {
      case "switchboard" -> RelayProcess.switchboard(RelayProcess.Launch.LAUNCHER, jar, List.of(), eventLoops, generator.port(), workDir);
      case "switchboard-jar" -> RelayProcess.switchboard(RelayProcess.Launch.JAR, jar, jvmOptions, eventLoops, generator.port(), workDir);
      case "switchboard-subscribe" -> RelayProcess.switchboard(RelayProcess.Launch.LAUNCHER_SUBSCRIBE, jar, List.of(), eventLoops,
          generator.port(), workDir);
      case "node-ws" -> RelayProcess.node(bench.resolve("node-relay/relay.js"), generator.port(), workDir);
      case "node-red" -> RelayProcess.nodeRed(bench.resolve("node-red"), generator.port(), workDir);
      case "python" -> RelayProcess.python(bench.resolve("python-relay/relay.py"), generator.port(), workDir);
      default -> throw new IllegalArgumentException("unknown relay '" + name + "'; use " + String.join(", ", RelayBenchOptions.RELAYS));
    };
    try {
      generator.relayConnected().await(30, TimeUnit.SECONDS);
      RelayProcess.pause(RelayBench.SETTLE_MS);
      double rssIdle = relay.probe().rssMegabytes();
      fleet.connect(relay.port(), relay.clientPath(), RelayProcess.ADDRESS).await(60, TimeUnit.SECONDS);
      RelayProcess.pause(RelayBench.SETTLE_MS);
      double rssConnected = relay.probe().rssMegabytes();
      return new RelayUnderTest(vertx, name, scenario, generator, deployment, relay, fleet, rssIdle, rssConnected);
    } catch (Exception | Error e) {
      fleet.close().await(10, TimeUnit.SECONDS);
      relay.stop();
      vertx.undeploy(deployment).await(10, TimeUnit.SECONDS);
      throw e;
    }
  }

  /**
   * Sends, warms up (at least {@code warmup} s, until every client has a message), measures {@code seconds} s, drains.
   * A round in which the relay's upstream connection dropped says so: its figures include the gap.
   */
  RelayBench.Result round(int seconds, int warmup) throws Exception {
    int upstreamConnections = generator.connections();
    if (scenario.max()) {
      generator.sendAtMax(scenario.clients(), scenario.window(), fleet::delivered).await();
    } else {
      generator.sendAtRate(scenario.rate()).await();
    }
    long start = System.nanoTime();
    long warmUntil = start + TimeUnit.SECONDS.toNanos(warmup);
    long giveUp = start + TimeUnit.SECONDS.toNanos(30); // a warm-up longer than that goes on once they all have
    while (System.nanoTime() < warmUntil || !fleet.allReceiving()) {
      if (System.nanoTime() > giveUp && !fleet.allReceiving()) {
        throw new IllegalStateException(name + ": not every client received a message within 30 s");
      }
      RelayProcess.pause(20);
    }
    // A small margin, so that no seq of the window can have arrived before the window opened.
    long first = generator.sent() + 10;
    fleet.openWindow(first);
    while (generator.sent() < first) {
      RelayProcess.pause(1);
    }
    long d0 = fleet.delivered();
    CpuSample cpu0 = relay.probe().cpu();
    long t0 = System.nanoTime();
    RelayProcess.pause(seconds * 1_000L);
    long d1 = fleet.delivered();
    CpuSample.CpuWindow cpu = cpu0.until(relay.probe().cpu());
    long t1 = System.nanoTime();
    if (showThreads) {
      printThreads(cpu, d1 - d0);
    }
    if (cpu.threadGone()) {
      System.out.printf("  (%s %s: a relay thread exited during the window: its CPU is read in 10 ms ticks this round)%n",
          name, scenario.label());
    }
    long last = generator.stopSending().await();
    fleet.closeWindow(last);
    long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (fleet.lowestLast() < last && System.nanoTime() < drainUntil) {
      RelayProcess.pause(10);
    }
    if (fleet.lowestLast() < last) {
      System.out.printf("  (%s %s: not drained within 10 s: what the clients had not received by then counts as missing)%n",
          name, scenario.label());
    }
    RelayProcess.pause(200); // let duplicates, if any, arrive
    int reconnects = generator.connections() - upstreamConnections;
    boolean upstreamDown = !generator.relayPresent();
    boolean upstreamInterrupted = reconnects > 0 || upstreamDown;
    if (upstreamInterrupted) {
      String what = reconnects == 0 ? "dropped during this round and is down now"
          : "connected again " + reconnects + " time(s) during this round" + (upstreamDown ? " and is down now" : "");
      System.out.printf("  WARNING %s %s: the relay's upstream %s; its figures include the gap%n", name, scenario.label(), what);
    }
    double rssLoaded = relay.probe().rssMegabytes();
    double rssPeak = relay.probe().peakRssMegabytes();
    LatencyHistogram latencies = fleet.latencies();
    double deliveries = d1 - d0;
    return new RelayBench.Result(name, scenario, deliveries / ((t1 - t0) / 1e9),
        latencies.quantileMillis(0.50), latencies.quantileMillis(0.99), latencies.quantileMillis(0.999),
        fleet.missing(), fleet.duplicates(), cpu.seconds() / (deliveries / 100_000.0),
        rssIdle, rssConnected, rssLoaded, rssPeak, fleet.connectedCount(),
        1, cpu.inTicks() ? 1 : 0, upstreamInterrupted ? 1 : 0);
  }

  /** The window's CPU by thread (from the same readings as the total), in CPU-seconds per 100k deliveries, the busiest first. */
  private void printThreads(CpuSample.CpuWindow cpu, long deliveries) {
    double per100k = deliveries / 100_000.0;
    String line = cpu.byThread().entrySet().stream()
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue() / per100k))
        .collect(Collectors.joining(", "));
    String gone = cpu.threadGone() ? String.format(Locale.ROOT, "; threads that exited %.2f", cpu.goneSeconds() / per100k) : "";
    System.out.printf("    %s %s threads, CPU s/100k: %s%s%n", name, scenario.label(), line.isEmpty() ? "none" : line, gone);
  }

  /** Closes the clients, stops the relay and the generator, each whatever the others did. */
  @Override
  public void close() throws Exception {
    Exception failed = null;
    try {
      fleet.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      failed = e;
    }
    try {
      relay.stop();
    } catch (Exception e) {
      failed = also(failed, e);
    }
    try {
      vertx.undeploy(deployment).await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      failed = also(failed, e);
    }
    if (failed != null) {
      throw failed;
    }
  }

  /** {@code failed} with {@code e} added: the first failure, the later ones suppressed in it. */
  private static Exception also(Exception failed, Exception e) {
    if (failed == null) {
      return e;
    }
    failed.addSuppressed(e);
    return failed;
  }
}
