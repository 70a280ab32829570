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
 * Its options are in {@link RelayBenchOptions#USAGE} ({@code --help}); {@code modules/bench/run-relay-bench.sh}
 * builds the jars, installs the peers and runs it.
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
      try {
        if (parts.length == 2) {
          int clients = Integer.parseInt(parts[0]);
          int rate = parts[1].equals("max") ? 0 : Integer.parseInt(parts[1]);
          if (clients >= 1 && clients <= 100_000 && (parts[1].equals("max") || rate >= 1)) {
            return new Scenario(clients, rate);
          }
        }
      } catch (NumberFormatException e) {
        // answered below
      }
      throw new IllegalArgumentException("scenario '" + text + "' must look like 100@300 (clients@messages per second, "
          + "1 to 100,000 clients) or 100@max");
    }
  }

  /** The issue's matrix: one client at max rate and at fixed rates, then 100 and 1,000 clients. */
  static final String MATRIX = "1@max,1@1000,1@10000,100@100,100@300,100@1000,1000@10,1000@30,1000@100,100@max,1000@max";
  static final List<String> PEERS = List.of("node-ws", "node-red", "python");
  /** How long a relay settles before its RSS is read: after its upstream connected (idle), after the clients connected. */
  static final long SETTLE_MS = 500;

  /**
   * One relay's figures for one round, or a row's aggregate of its rounds ({@link #median}). Loss and
   * duplicates count the seqs of the measured window only; {@code rounds} is how many rounds it holds,
   * of which {@code roundsCpuInTicks} had their CPU read in 10 ms ticks (no schedstat, or a relay thread
   * exited) and {@code roundsUpstreamInterrupted} saw the relay's upstream connection made again.
   */
  record Result(String relay, Scenario scenario, double deliveriesPerSecond, double p50, double p99, double p999,
                long missing, long duplicates, double cpuPer100k, double rssIdle, double rssConnected, double rssLoaded,
                double rssPeak, long stillConnected, int rounds, int roundsCpuInTicks, int roundsUpstreamInterrupted) {
    /** What the relay holds per connected client, before any traffic: (connected - idle) / M. */
    double kilobytesPerClient() {
      return (rssConnected - rssIdle) * 1024 / scenario.clients();
    }
  }

  public static void main(String[] args) throws Exception {
    RelayBenchOptions options;
    try {
      options = RelayBenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("relay benchmark: " + e.getMessage() + " (--help lists the options)");
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.print(RelayBenchOptions.USAGE);
      return;
    }
    if (options.check()) {
      return; // the options are well formed: run-relay-bench.sh asks before it installs the peers
    }
    Path workDir = Files.createDirectories(Path.of("modules/bench/target/relay-bench"));
    Path bench = options.benchDir().toAbsolutePath();
    // Ctrl-C, or an error past the rows' own cleanup, must not leave relays or Node clients running.
    ChildProcesses.stopOnExit();

    System.out.printf("relay benchmark: %s clients (%d Node processes), %d s measured after %d s warm-up per run, median of %d; switchboard-jar JVM options: %s; load average before: %s%n",
        options.clients(), options.fleetProcesses(), options.seconds(), options.warmup(), options.repeat(),
        options.jvmOptions().isEmpty() ? "none" : options.jvmOptions(), loadAverage());
    System.out.printf("CPU: %s%n", ProcessProbe.cpuClock());
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    List<Result> results = new ArrayList<>();
    try {
      for (Scenario scenario : options.scenarios()) {
        // Every relay of the row starts fresh, with its own upstream and clients, and is kept for the
        // row's rounds: round 1 measures each relay in turn, then round 2... (the others sit idle).
        Map<String, RelayUnderTest> row = new LinkedHashMap<>();
        Map<String, List<Result>> runs = new LinkedHashMap<>();
        try {
          for (String relay : options.relays()) {
            Clients fleet = options.clients().equals("java") ? new ClientFleet(vertx, scenario.clients())
                : new NodeFleet(bench.resolve("node-relay/fleet.js"), scenario.clients(), options.fleetProcesses(), workDir);
            RelayUnderTest started = RelayUnderTest.start(vertx, relay, scenario, fleet, options.jar(), options.jvmOptions(),
                options.eventLoops(), bench, workDir);
            started.showThreads = options.threads();
            row.put(relay, started);
          }
          for (int i = 0; i < options.repeat(); i++) {
            for (RelayUnderTest relay : row.values()) {
              Result r = relay.round(options.seconds(), options.warmup());
              runs.computeIfAbsent(r.relay(), k -> new ArrayList<>()).add(r);
              System.out.printf("  %-16s %-12s %,10.0f deliveries/s  p99 %7.2f ms  CPU %6.2f s/100k%s  RSS peak %4.0f MB  missing %d  dup %d  connected %d/%d  load %s%n",
                  r.relay(), scenario.label(), r.deliveriesPerSecond(), r.p99(), r.cpuPer100k(), r.roundsCpuInTicks() > 0 ? " (ticks)" : "",
                  r.rssPeak(), r.missing(), r.duplicates(), r.stillConnected(), scenario.clients(), loadAverage().split(" ")[0]);
            }
          }
        } finally {
          closeAll(row);
        }
        runs.values().forEach(r -> results.add(median(r)));
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    System.out.println();
    System.out.println(table(results));
    System.out.print(notes(results));
    System.out.printf("load average after: %s%n", loadAverage());
    System.exit(0);
  }

  /**
   * Each column's median over the runs; loss and duplicates are summed over the rounds' windows (each
   * round counts its own window's seqs), since any is a failure.
   */
  static Result median(List<Result> runs) {
    Result first = runs.get(0);
    return new Result(first.relay(), first.scenario(),
        median(runs, Result::deliveriesPerSecond), median(runs, Result::p50), median(runs, Result::p99), median(runs, Result::p999),
        runs.stream().mapToLong(Result::missing).sum(), runs.stream().mapToLong(Result::duplicates).sum(),
        median(runs, Result::cpuPer100k), median(runs, Result::rssIdle), median(runs, Result::rssConnected), median(runs, Result::rssLoaded),
        runs.stream().mapToDouble(Result::rssPeak).max().orElse(0),
        runs.stream().mapToLong(Result::stillConnected).min().orElse(0),
        runs.stream().mapToInt(Result::rounds).sum(), runs.stream().mapToInt(Result::roundsCpuInTicks).sum(),
        runs.stream().mapToInt(Result::roundsUpstreamInterrupted).sum());
  }

  /**
   * Closes every relay of a row, each in its own try: one that fails to close must not leave the others
   * running. Failures are reported, not thrown, so that they do not hide the row's own error.
   */
  static void closeAll(Map<String, ? extends AutoCloseable> row) {
    row.forEach((name, relay) -> {
      try {
        relay.close();
      } catch (Exception e) {
        System.err.println("relay benchmark: " + name + " did not close cleanly: " + e);
      }
    });
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

  /** How to read the table's counts, and the rows whose rounds are not like the others. */
  static String notes(List<Result> results) {
    StringBuilder out = new StringBuilder();
    out.append("loss and dup: summed over each row's rounds, each round counting the seqs of its own measured window only.\n");
    out.append("CPU s/100k: ").append(ProcessProbe.cpuClock()).append(".\n");
    for (Result r : results) {
      if (r.roundsCpuInTicks() > 0 && ProcessProbe.SCHEDSTAT) {
        out.append(String.format(Locale.ROOT, "%s %s: CPU read in 10 ms ticks in %d of %d rounds (a relay thread exited)%n",
            r.relay(), r.scenario().label(), r.roundsCpuInTicks(), r.rounds()));
      }
      if (r.roundsUpstreamInterrupted() > 0) {
        out.append(String.format(Locale.ROOT, "%s %s: WARNING the relay's upstream reconnected in %d of %d rounds; their figures include the gap%n",
            r.relay(), r.scenario().label(), r.roundsUpstreamInterrupted(), r.rounds()));
      }
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
}
