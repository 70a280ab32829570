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
 * The end-to-end relay benchmark: generator -> relay -> M bridge clients, for Switchboard's fat jar
 * and for the Node {@code ws} baseline, scenario by scenario, each relay in a fresh process.
 *
 * <pre>
 * java -cp switchboard-bench.jar dev.switchboard.bench.relay.RelayBench
 *      [--jar modules/server/target/switchboard.jar] [--node-relay modules/bench/node-relay/relay.js]
 *      [--scenarios 1@1000,100@300,1000@30,1@max,100@max,1000@max] [--seconds 5] [--warmup 2]
 *      [--repeat 1] (runs per row; the table shows the median of each column; loss and duplicates are summed)
 *      [--relays node-ws,switchboard] [--jvm "-Xmx256m"]   (JVM options of the Switchboard process; default none)
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

  record Result(String relay, Scenario scenario, double deliveriesPerSecond, double p50, double p99, double p999,
                long missing, long duplicates, double cpuPer100k, double rssIdle, double rssConnected, double rssLoaded,
                long stillConnected) {
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
    for (String s : options.getOrDefault("scenarios", "1@1000,100@300,1000@30,1@max,100@max,1000@max").split(",")) {
      scenarios.add(Scenario.parse(s));
    }
    List<String> relays = List.of(options.getOrDefault("relays", "node-ws,switchboard").split(","));
    String jvm = options.getOrDefault("jvm", "").trim();
    List<String> jvmOptions = jvm.isEmpty() ? List.of() : List.of(jvm.split("\\s+"));
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "5"));
    int warmup = Integer.parseInt(options.getOrDefault("warmup", "2"));
    int repeat = Integer.parseInt(options.getOrDefault("repeat", "1"));
    Path workDir = Files.createDirectories(Path.of("modules/bench/target/relay-bench"));

    System.out.printf("relay benchmark: %d s measured after %d s warm-up per run, median of %d; Switchboard JVM options: %s; load average before: %s%n",
        seconds, warmup, repeat, jvmOptions.isEmpty() ? "none" : jvmOptions, loadAverage());
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    List<Result> results = new ArrayList<>();
    try {
      for (Scenario scenario : scenarios) {
        for (String relay : relays) {
          List<Result> runs = new ArrayList<>();
          for (int i = 0; i < repeat; i++) {
            Result r = run(vertx, relay, scenario, jar, jvmOptions, nodeRelay, workDir, seconds, warmup);
            runs.add(r);
            System.out.printf("  %-18s %-12s %,10.0f deliveries/s  p99 %7.2f ms  missing %d  dup %d%n",
                r.relay(), scenario.label(), r.deliveriesPerSecond(), r.p99(), r.missing(), r.duplicates());
          }
          results.add(median(runs));
        }
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    System.out.println();
    System.out.println(table(results));
    System.out.printf("load average after: %s%n", loadAverage());
    System.exit(0);
  }

  static Result run(Vertx vertx, String relayName, Scenario scenario, Path jar, List<String> jvmOptions, Path nodeRelay,
                    Path workDir, int seconds, int warmup) throws Exception {
    Generator generator = new Generator();
    String deployment = vertx.deployVerticle(generator).await(10, TimeUnit.SECONDS);
    RelayProcess relay = switch (relayName) {
      case "switchboard" -> RelayProcess.switchboard(jar, jvmOptions, generator.port(), workDir);
      case "node-ws" -> RelayProcess.node(nodeRelay, generator.port(), workDir);
      default -> throw new IllegalArgumentException("unknown relay '" + relayName + "'; use node-ws or switchboard");
    };
    ClientFleet fleet = new ClientFleet(vertx, scenario.clients());
    try {
      generator.relayConnected().await(30, TimeUnit.SECONDS);
      RelayProcess.pause(1_000);
      double rssIdle = relay.probe().rssMegabytes();
      fleet.connect(relay.port(), RelayProcess.ADDRESS).await(60, TimeUnit.SECONDS);
      RelayProcess.pause(1_000);
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
      RelayProcess.pause(200); // let duplicates, if any, arrive
      double rssLoaded = relay.probe().rssMegabytes();
      LatencyHistogram latencies = fleet.latencies();
      double deliveries = d1 - d0;
      return new Result(relayName, scenario, deliveries / ((t1 - t0) / 1e9),
          latencies.quantileMillis(0.50), latencies.quantileMillis(0.99), latencies.quantileMillis(0.999),
          fleet.missing(), fleet.duplicates(), (cpu1 - cpu0) / (deliveries / 100_000.0),
          rssIdle, rssConnected, rssLoaded, fleet.connectedCount());
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
        runs.stream().mapToLong(Result::stillConnected).min().orElse(0));
  }

  private static double median(List<Result> runs, java.util.function.ToDoubleFunction<Result> field) {
    double[] values = runs.stream().mapToDouble(field).sorted().toArray();
    return values.length % 2 == 1 ? values[values.length / 2] : (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
  }

  static String table(List<Result> results) {
    StringBuilder out = new StringBuilder();
    out.append("| relay | M @ rate | deliveries/s | p50 ms | p99 ms | p99.9 ms | loss | dup | CPU s/100k | RSS idle/connected/loaded MB | KB per client | x node: deliveries/s, p99, CPU |\n");
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      Result base = results.stream()
          .filter(b -> b.relay().equals("node-ws") && b.scenario().equals(r.scenario()))
          .findFirst().orElse(null);
      String ratio = base == null || base == r ? "" : String.format(Locale.ROOT, "%.2f, %.2f, %.2f",
          r.deliveriesPerSecond() / base.deliveriesPerSecond(), r.p99() / base.p99(), r.cpuPer100k() / base.cpuPer100k());
      out.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %.2f | %.2f | %.2f | %d | %d | %.2f | %.0f / %.0f / %.0f | %.0f | %s |%n",
          r.relay(), r.scenario().label(), r.deliveriesPerSecond(), r.p50(), r.p99(), r.p999(),
          r.missing(), r.duplicates(), r.cpuPer100k(), r.rssIdle(), r.rssConnected(), r.rssLoaded(), r.kilobytesPerClient(), ratio));
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
