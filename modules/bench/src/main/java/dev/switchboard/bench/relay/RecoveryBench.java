package dev.switchboard.bench.relay;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The recovery benchmark: the upstream is killed, restarted on the same port after 2 s, and the
 * time from its restart to the first message delivered to a client is measured, 5 times per relay
 * (median printed). The clients stay connected to the relay throughout; that is checked.
 *
 * <pre>
 * java -cp switchboard-bench.jar dev.switchboard.bench.relay.RecoveryBench [--clients 100] [--cycles 5]
 *      [--relays node-ws,switchboard] [--jar ...] [--node-relay ...]
 * </pre>
 */
public final class RecoveryBench {
  private static final int RATE = 200;

  private RecoveryBench() {
  }

  public static void main(String[] args) throws Exception {
    java.util.Map<String, String> options = new java.util.LinkedHashMap<>();
    List<String> known = List.of("clients", "cycles", "relays", "jar", "node-relay");
    for (int i = 0; i < args.length; i += 2) {
      String name = args[i].replaceFirst("^--", "");
      if (!args[i].startsWith("--") || !known.contains(name) || i + 1 >= args.length) {
        System.err.println("recovery benchmark: '" + args[i] + "' is not one of --clients N, --cycles N, --relays a,b, --jar PATH,"
            + " --node-relay PATH, each with a value");
        System.exit(2);
      }
      options.put(name, args[i + 1]);
    }
    Path jar = Path.of(options.getOrDefault("jar", "modules/server/target/switchboard.jar"));
    Path nodeRelay = Path.of(options.getOrDefault("node-relay", "modules/bench/node-relay/relay.js"));
    int clients = Integer.parseInt(options.getOrDefault("clients", "100"));
    int cycles = Integer.parseInt(options.getOrDefault("cycles", "5"));
    List<String> relays = List.of(options.getOrDefault("relays", "node-ws,switchboard").split(","));
    Path workDir = Files.createDirectories(Path.of("modules/bench/target/relay-bench"));
    ChildProcesses.stopOnExit(); // Ctrl-C must not leave a relay running
    System.out.printf("recovery benchmark: %d clients, upstream at %d msg/s killed and restarted after 2 s, %d times; load average: %s%n",
        clients, RATE, cycles, RelayBench.loadAverage());
    System.out.println("Switchboard's listener: restart initialDelay 100ms, maxDelay 500ms, jitter 0; the Node relay retries every 1 s.");
    System.out.println();
    System.out.println("| relay | restart -> first delivery, median | all runs (ms) | clients still connected |");
    System.out.println("|---|---|---|---|");
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try {
      for (String relayName : relays) {
        run(vertx, relayName, clients, cycles, jar, nodeRelay, workDir);
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    System.exit(0);
  }

  private static void run(Vertx vertx, String relayName, int clients, int cycles, Path jar, Path nodeRelay, Path workDir)
      throws Exception {
    Generator generator = new Generator();
    String deployment = vertx.deployVerticle(generator).await(10, TimeUnit.SECONDS);
    RelayProcess relay = switch (relayName) {
      case "switchboard" -> RelayProcess.switchboard(RelayProcess.Launch.JAR, jar, List.of(), null, generator.port(), workDir);
      case "node-ws" -> RelayProcess.node(nodeRelay, generator.port(), workDir);
      default -> throw new IllegalArgumentException("unknown relay '" + relayName + "'");
    };
    ClientFleet fleet = new ClientFleet(vertx, clients);
    try {
      generator.relayConnected().await(30, TimeUnit.SECONDS);
      fleet.connect(relay.port(), relay.clientPath(), RelayProcess.ADDRESS).await(60, TimeUnit.SECONDS);
      generator.sendAtRate(RATE).await();
      awaitTrue(fleet::allReceiving, 30_000, "every client receiving");
      List<Double> millis = new ArrayList<>();
      for (int i = 0; i < cycles; i++) {
        generator.kill().await(10, TimeUnit.SECONDS);
        RelayProcess.pause(2_000);
        long before = fleet.delivered();
        generator.revive().await(10, TimeUnit.SECONDS);
        long restarted = System.nanoTime();
        awaitTrue(() -> fleet.delivered() > before, 30_000, "a delivery after the restart");
        millis.add((System.nanoTime() - restarted) / 1e6);
        RelayProcess.pause(500);
      }
      List<Double> sorted = millis.stream().sorted().toList();
      System.out.printf("| %s | %.0f ms | %s | %d of %d |%n", relayName, sorted.get(sorted.size() / 2),
          millis.stream().map(m -> String.format("%.0f", m)).toList(), fleet.connectedCount(), clients);
    } finally {
      generator.stopSending().await();
      fleet.close().await(10, TimeUnit.SECONDS);
      relay.stop();
      vertx.undeploy(deployment).await(10, TimeUnit.SECONDS);
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, long timeoutMillis, String what) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting for " + what);
      }
      RelayProcess.pause(1);
    }
  }
}
