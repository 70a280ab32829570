package dev.switchboard.bench;

import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerFactory;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.testing.Definitions;
import dev.switchboard.core.testing.Census;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import dev.switchboard.upstream.FeedKind;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The soak: one {@code upstream} listener on the feed simulator (100 msg/s) stopped and started
 * {@code cycles} times (default 10,000), each time until CONNECTED and then STOPPED, through the
 * control address as a client would. Prints the census (deployments, event-bus consumers, timers,
 * sockets, threads) and the heap after GC before and after.
 *
 * <pre>java -cp switchboard-bench.jar dev.switchboard.bench.SoakBench [cycles]</pre>
 */
public final class SoakBench {
  private static final String NAME = "soak";

  private SoakBench() {
  }

  public static void main(String[] args) throws Exception {
    int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    Path dataDir = Files.createTempDirectory("switchboard-soak");
    Vertx simVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    Vertx vertx = Vertx.vertx();
    try {
      FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withPort(0).withRate(100));
      simVertx.deployVerticle(sim).await();
      JsonObject fields = new JsonObject().put("url", sim.url());
      ListenerDefinition listener = Definitions.of(new FeedKind(), NAME, false, BenchSteps.POLICY, fields, dataDir);
      vertx.deployVerticle(Definitions.supervisor(new FeedKind(), dataDir, Duration.ofSeconds(1), List.of(listener))).await();

      cycle(vertx); // the first connection loads classes and warms the pools: count after it
      Census before = Census.of(vertx);
      long heapBefore = BenchSteps.heapAfterGc();
      java.util.Map<String, long[]> histogramBefore = histogram();
      long t0 = System.nanoTime();
      for (int i = 1; i <= cycles; i++) {
        cycle(vertx);
        if (i % 1_000 == 0) {
          System.out.printf(Locale.ROOT, "  %,d cycles, %.1f s%n", i, (System.nanoTime() - t0) / 1e9);
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      Census after = Census.of(vertx);
      long heapAfter = BenchSteps.heapAfterGc();
      JsonObject status = BenchSteps.control(vertx, NAME, "status");
      System.out.printf(Locale.ROOT, "soak: %,d stop/start cycles in %.1f s (%.1f ms a cycle), load average %s%n",
          cycles, seconds, seconds * 1000 / cycles, Files.readString(Path.of("/proc/loadavg")).trim());
      System.out.println("| | before | after |");
      System.out.println("|---|---|---|");
      System.out.printf("| deployments | %d | %d |%n", before.deployments(), after.deployments());
      System.out.printf("| event-bus consumers | %d | %d |%n", before.consumers(), after.consumers());
      System.out.printf("| timers | %d | %d |%n", before.timers(), after.timers());
      System.out.printf("| sockets | %d | %d |%n", before.sockets(), after.sockets());
      System.out.printf("| threads | %d | %d |%n", before.threads(), after.threads());
      System.out.printf(Locale.ROOT, "| heap after GC | %.1f MB | %.1f MB |%n", heapBefore / 1e6, heapAfter / 1e6);
      System.out.printf("listener status after: %s%n", status.encode());
      System.out.println("classes whose live instances grew most (instances, bytes):");
      java.util.Map<String, long[]> histogramAfter = histogram();
      histogramAfter.entrySet().stream()
          .map(e -> java.util.Map.entry(e.getKey(), new long[] {
              e.getValue()[0] - histogramBefore.getOrDefault(e.getKey(), new long[2])[0],
              e.getValue()[1] - histogramBefore.getOrDefault(e.getKey(), new long[2])[1]}))
          .sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]))
          .limit(12)
          .forEach(e -> System.out.printf("  %+,d  %+,d B  %s%n", e.getValue()[0], e.getValue()[1], e.getKey()));
    } finally {
      vertx.close().await();
      simVertx.close().await();
    }
    System.exit(0);
  }

  /** Start, wait until CONNECTED; stop, wait until STOPPED. */
  private static void cycle(Vertx vertx) {
    BenchSteps.control(vertx, NAME, "start");
    awaitState(vertx, "CONNECTED");
    BenchSteps.control(vertx, NAME, "stop");
    awaitState(vertx, "STOPPED");
  }

  private static void awaitState(Vertx vertx, String state) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!state.equals(BenchSteps.control(vertx, NAME, "status").getString("state"))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("listener not " + state + " within 30 s: " + BenchSteps.control(vertx, NAME, "status").encode());
      }
      Thread.onSpinWait();
    }
  }


  /** Live objects by class (instances, bytes), from the JVM's own class histogram (it runs a full GC). */
  private static java.util.Map<String, long[]> histogram() throws Exception {
    String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
        new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
        new Object[] {new String[0]}, new String[] {String[].class.getName()});
    java.util.Map<String, long[]> out = new java.util.HashMap<>();
    for (String line : text.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && f[0].endsWith(":")) {
        out.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
      }
    }
    return out;
  }

}
