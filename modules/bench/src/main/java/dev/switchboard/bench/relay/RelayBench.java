package dev.switchboard.bench.relay;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The end-to-end relay benchmark: generator -> relay -> M bridge clients, for Switchboard and its
 * peers, scenario by scenario, each relay in a fresh process; the runs of one row are interleaved
 * (round 1: every relay, round 2: every relay...), so that a busy minute hits them all.
 *
 * <pre>
 * java -cp switchboard-bench.jar dev.switchboard.bench.relay.RelayBench
 *      [--jar modules/server/target/switchboard.jar] [--node-relay modules/bench/node-relay/relay.js]
 *      [--scenarios 1@max,1@1000,...] (default: the whole matrix, {@link #MATRIX}) [--seconds 5] [--warmup 2]
 *      [--repeat 1] (rounds per row; the table shows the median of each column; loss and duplicates are summed)
 *      [--relays node-ws,node-red,python,switchboard]
 *           switchboard: through bin/switchboard, the README's launch (the launcher's JVM defaults);
 *           switchboard-jar: java [--jvm flags] -jar switchboard.jar
 *      [--clients node|java] (node: Node ws clients, one frame per event, JSON.parse each; java: Vert.x clients)
 *      [--fleet-processes 2] (Node processes the node clients are spread over)
 *      [--jvm "-Xmx256m"]   (JVM options of switchboard-jar; default none)
 * </pre>
 */
public final class RelayBench {
  private RelayBench() {
  }

  record Scenario(int clients, int rate) {
    boolean max() {
      return rate <= 0;
    }

    String label() {
      return clients + " @ " + (max() ? "max" : rate + "/s");
    }

    /** How far the generator may run ahead of the slowest deliveries at max rate. */
    int window() {
      return Math.max(20, Math.min(2_000, 20_000 / clients));
    }

    static Scenario parse(String text) {
      String[] parts = text.trim().split("@");
      if (parts.length != 2) {
        throw new IllegalArgumentException("scenario '" + text + "' must look like 100@300 or 100@max");
      }
      return new Scenario(Integer.parseInt(parts[0]), parts[1].equals("max") ? 0 : Integer.parseInt(parts[1]));
    }
  }

  /** The issue's matrix: one client at max rate and at fixed rates, then 100 and 1,000 clients. */
  static final String MATRIX = "1@max,1@1000,1@10000,100@100,100@300,100@1000,1000@10,1000@30,1000@100,100@max,1000@max";
  static final List<String> PEERS = List.of("node-ws", "node-red", "python");
  /** How long a relay settles before its RSS is read: after its upstream connected (idle), after the clients connected. */
  static final long SETTLE_MS = 500;

  record Result(String relay, Scenario scenario, double deliveriesPerSecond, double p50, double p99, double p999,
                long missing, long duplicates, double cpuPer100k, double rssIdle, double rssConnected, double rssLoaded,
                double rssPeak, long stillConnected) {
    /** What the relay holds per connected client, before any traffic: (connected - idle) / M. */
    double kilobytesPerClient() {
      return (rssConnected - rssIdle) * 1024 / scenario.clients();
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = options(args);
    Path jar = Path.of(options.getOrDefault("jar", "modules/server/target/switchboard.jar"));
    Path nodeRelay = Path.of(options.getOrDefault("node-relay", "modules/bench/node-relay/relay.js"));
    List<Scenario> scenarios = new ArrayList<>();
    for (String s : options.getOrDefault("scenarios", MATRIX).split(",")) {
      scenarios.add(Scenario.parse(s));
    }
    List<String> relays = List.of(options.getOrDefault("relays", "node-ws,node-red,python,switchboard").split(","));
    String clients = options.getOrDefault("clients", "node");
    int fleetProcesses = Integer.parseInt(options.getOrDefault("fleet-processes", "2"));
    String jvm = options.getOrDefault("jvm", "").trim();
    List<String> jvmOptions = jvm.isEmpty() ? List.of() : List.of(jvm.split("\\s+"));
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "5"));
    int warmup = Integer.parseInt(options.getOrDefault("warmup", "2"));
    int repeat = Integer.parseInt(options.getOrDefault("repeat", "1"));
    Path workDir = Files.createDirectories(Path.of("modules/bench/target/relay-bench"));
    Path bench = nodeRelay.toAbsolutePath().getParent().getParent();

    System.out.printf("relay benchmark: %s clients (%d Node processes), %d s measured after %d s warm-up per run, median of %d; switchboard-jar JVM options: %s; load average before: %s%n",
        clients, fleetProcesses, seconds, warmup, repeat, jvmOptions.isEmpty() ? "none" : jvmOptions, loadAverage());
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    List<Result> results = new ArrayList<>();
    try {
      for (Scenario scenario : scenarios) {
        Map<String, List<Result>> runs = new LinkedHashMap<>();
        for (int i = 0; i < repeat; i++) {
          for (String relay : relays) {
            Clients fleet = clients.equals("java") ? new ClientFleet(vertx, scenario.clients())
                : new NodeFleet(bench.resolve("node-relay/fleet.js"), scenario.clients(), fleetProcesses, workDir);
            Result r = run(vertx, relay, scenario, fleet, jar, jvmOptions, bench, workDir, seconds, warmup);
            runs.computeIfAbsent(relay, k -> new ArrayList<>()).add(r);
            System.out.printf("  %-16s %-12s %,10.0f deliveries/s  p99 %7.2f ms  CPU %6.2f s/100k  RSS peak %4.0f MB  missing %d  dup %d  connected %d/%d  load %s%n",
                r.relay(), scenario.label(), r.deliveriesPerSecond(), r.p99(), r.cpuPer100k(), r.rssPeak(), r.missing(), r.duplicates(),
                r.stillConnected(), scenario.clients(), loadAverage().split(" ")[0]);
          }
        }
        runs.values().forEach(r -> results.add(median(r)));
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    System.out.println();
    System.out.println(table(results));
    System.out.printf("load average after: %s%n", loadAverage());
    System.exit(0);
  }

  static Result run(Vertx vertx, String relayName, Scenario scenario, Clients fleet, Path jar, List<String> jvmOptions,
                    Path bench, Path workDir, int seconds, int warmup) throws Exception {
    Generator generator = new Generator();
    String deployment = vertx.deployVerticle(generator).await(10, TimeUnit.SECONDS);
    RelayProcess relay = switch (relayName) {
      case "switchboard" -> RelayProcess.switchboard(RelayProcess.Launch.LAUNCHER, jar, List.of(), generator.port(), workDir);
      case "switchboard-jar" -> RelayProcess.switchboard(RelayProcess.Launch.JAR, jar, jvmOptions, generator.port(), workDir);
      case "node-ws" -> RelayProcess.node(bench.resolve("node-relay/relay.js"), generator.port(), workDir);
      case "node-red" -> RelayProcess.nodeRed(bench.resolve("node-red"), generator.port(), workDir);
      case "python" -> RelayProcess.python(bench.resolve("python-relay/relay.py"), generator.port(), workDir);
      default -> throw new IllegalArgumentException("unknown relay '" + relayName
          + "'; use node-ws, node-red, python, switchboard or switchboard-jar");
    };
    try {
      generator.relayConnected().await(30, TimeUnit.SECONDS);
      RelayProcess.pause(SETTLE_MS);
      double rssIdle = relay.probe().rssMegabytes();
      fleet.connect(relay.port(), RelayProcess.CLIENT_PATH, RelayProcess.ADDRESS).await(60, TimeUnit.SECONDS);
      RelayProcess.pause(SETTLE_MS);
      double rssConnected = relay.probe().rssMegabytes();
      if (scenario.max()) {
        generator.sendAtMax(scenario.clients(), scenario.window(), fleet::delivered).await();
      } else {
        generator.sendAtRate(scenario.rate()).await();
      }
      long warmUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup);
      long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < warmUntil || !fleet.allReceiving()) {
        if (System.nanoTime() > giveUp) {
          throw new IllegalStateException(relayName + ": not every client received a message within 30 s");
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
      double cpu0 = relay.probe().cpuSeconds();
      long t0 = System.nanoTime();
      RelayProcess.pause(seconds * 1_000L);
      long d1 = fleet.delivered();
      double cpu1 = relay.probe().cpuSeconds();
      long t1 = System.nanoTime();
      long last = generator.stopSending().await();
      fleet.closeWindow(last);
      long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (fleet.lowestLast() < last && System.nanoTime() < drainUntil) {
        RelayProcess.pause(10);
      }
      if (fleet.lowestLast() < last) {
        System.out.printf("  (%s %s: not drained within 10 s: what the clients had not received by then counts as missing)%n",
            relayName, scenario.label());
      }
      RelayProcess.pause(200); // let duplicates, if any, arrive
      double rssLoaded = relay.probe().rssMegabytes();
      double rssPeak = relay.probe().peakRssMegabytes();
      LatencyHistogram latencies = fleet.latencies();
      double deliveries = d1 - d0;
      return new Result(relayName, scenario, deliveries / ((t1 - t0) / 1e9),
          latencies.quantileMillis(0.50), latencies.quantileMillis(0.99), latencies.quantileMillis(0.999),
          fleet.missing(), fleet.duplicates(), (cpu1 - cpu0) / (deliveries / 100_000.0),
          rssIdle, rssConnected, rssLoaded, rssPeak, fleet.connectedCount());
    } finally {
      fleet.close().await(10, TimeUnit.SECONDS);
      relay.stop();
      vertx.undeploy(deployment).await(10, TimeUnit.SECONDS);
    }
  }

  /** Each column's median over the runs; loss and duplicates are summed, since any is a failure. */
  static Result median(List<Result> runs) {
    Result first = runs.get(0);
    return new Result(first.relay(), first.scenario(),
        median(runs, Result::deliveriesPerSecond), median(runs, Result::p50), median(runs, Result::p99), median(runs, Result::p999),
        runs.stream().mapToLong(Result::missing).sum(), runs.stream().mapToLong(Result::duplicates).sum(),
        median(runs, Result::cpuPer100k), median(runs, Result::rssIdle), median(runs, Result::rssConnected), median(runs, Result::rssLoaded),
        runs.stream().mapToDouble(Result::rssPeak).max().orElse(0),
        runs.stream().mapToLong(Result::stillConnected).min().orElse(0));
  }

  private static double median(List<Result> runs, java.util.function.ToDoubleFunction<Result> field) {
    double[] values = runs.stream().mapToDouble(field).sorted().toArray();
    return values.length % 2 == 1 ? values[values.length / 2] : (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
  }

  /**
   * The table: each relay's medians, and Switchboard's ratios to the peers of the same row: deliveries/s
   * to the best peer's, p99 to the best (lowest) peer p99, CPU per delivery to the Node relay's.
   * Peak RSS is the highest of the runs (VmHWM), not a median.
   */
  static String table(List<Result> results) {
    StringBuilder out = new StringBuilder();
    out.append("| relay | M @ rate | deliveries/s | p50 ms | p99 ms | p99.9 ms | loss | dup | CPU s/100k | RSS idle / peak MB | KB per client | x best peer: deliveries/s, p99; x node-ws CPU |\n");
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      List<Result> peers = results.stream()
          .filter(b -> PEERS.contains(b.relay()) && b.scenario().equals(r.scenario()))
          .toList();
      Result node = peers.stream().filter(b -> b.relay().equals("node-ws")).findFirst().orElse(null);
      String ratio = "";
      if (!PEERS.contains(r.relay()) && !peers.isEmpty()) {
        double bestRate = peers.stream().mapToDouble(Result::deliveriesPerSecond).max().orElseThrow();
        double bestP99 = peers.stream().mapToDouble(Result::p99).min().orElseThrow();
        ratio = String.format(Locale.ROOT, "%.2f, %.2f; %s", r.deliveriesPerSecond() / bestRate, r.p99() / bestP99,
            node == null ? "-" : String.format(Locale.ROOT, "%.2f", r.cpuPer100k() / node.cpuPer100k()));
      }
      out.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %.2f | %.2f | %.2f | %d | %d | %.2f | %.0f / %.0f | %.0f | %s |%n",
          r.relay(), r.scenario().label(), r.deliveriesPerSecond(), r.p50(), r.p99(), r.p999(),
          r.missing(), r.duplicates(), r.cpuPer100k(), r.rssIdle(), r.rssPeak(), r.kilobytesPerClient(), ratio));
    }
    return out.toString();
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (Exception e) {
      return "unknown";
    }
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("arguments are --name value pairs; got '" + args[i] + "'");
      }
      options.put(args[i].substring(2), args[++i]);
    }
    return options;
  }
}
