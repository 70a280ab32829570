package dev.switchboard.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.testing.Definitions;
import dev.switchboard.market.AlpacaKind;
import dev.switchboard.simulators.alpaca.AlpacaSimulator;
import dev.switchboard.simulators.alpaca.AlpacaSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A busy Alpaca feed, JSON or msgpack: the simulator sends a trade and a quote for each of
 * {@code symbols} symbols {@code ticks} times a second to one {@code alpaca} listener, which decodes
 * every frame and publishes every message as an envelope to a consumer; this prints the messages per
 * second published and the CPU time per 10,000 messages, the listener's side apart from the simulator's.
 * <p>
 * The simulator runs in its own Vert.x with one event loop, so that its CPU time (making and encoding
 * the frames) can be told apart from Switchboard's (reading, decoding, publishing them).
 * <p>
 * Arguments: {@code encoding [seconds] [symbols] [ticksPerSecond] [warmupSeconds]}, default
 * {@code json 20 25 1000 10}: 50,000 messages a second offered, in frames of 50.
 */
public final class AlpacaIngestBench {
  private static final String NAME = "bench";

  private AlpacaIngestBench() {
  }

  public static void main(String[] args) throws Exception {
    String encoding = args.length > 0 ? args[0] : "json";
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int symbolCount = args.length > 2 ? Integer.parseInt(args[2]) : 25;
    double ticks = args.length > 3 ? Double.parseDouble(args[3]) : 1000;
    int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 10;
    Path dataDir = Files.createTempDirectory("switchboard-bench");
    List<String> symbols = new ArrayList<>();
    for (int i = 0; i < symbolCount; i++) {
      symbols.add(String.format(Locale.ROOT, "S%03d", i));
    }

    Vertx simVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    Vertx vertx = Vertx.vertx();
    try {
      // A listener that falls behind is not cut as a slow client: what is measured is how fast it reads.
      AlpacaSimulator sim = new AlpacaSimulator(AlpacaSimulatorOptions.defaults()
          .withData(ticks, Duration.ZERO).withMaxOutboundBytes(Integer.MAX_VALUE));
      simVertx.deployVerticle(sim).await();
      long simThread = BenchSteps.threadOf(simVertx);

      vertx.deployVerticle(Definitions.supervisor(new AlpacaKind(), dataDir, Duration.ofSeconds(1),
          List.of(listener(sim.url("sip"), encoding, dataDir)))).await();
      AtomicLong published = new AtomicLong();
      for (String channel : List.of("trades", "quotes")) {
        for (String symbol : symbols) {
          vertx.eventBus().<JsonObject>consumer("market." + NAME + "." + channel + "." + symbol, m -> published.incrementAndGet())
              .completion().await();
        }
      }
      BenchSteps.control(vertx, NAME, "start");
      BenchSteps.waitFor(Duration.ofSeconds(30), () -> "CONNECTED".equals(BenchSteps.control(vertx, NAME, "status").getString("state")));
      for (String channel : List.of("trades", "quotes")) {
        vertx.eventBus().request("market." + NAME + ".watch", new JsonObject().put("client", "bench").put("channel", channel)
            .put("symbols", new JsonArray(symbols))).await();
      }

      System.out.printf(Locale.ROOT, "Alpaca ingestion bench, %s: %d symbols x (trade + quote) x %.0f ticks/s = %,.0f messages/s offered;"
              + " %d s after %d s warm-up; %d cores, Java %s%n", encoding, symbolCount, ticks, 2 * symbolCount * ticks, seconds, warmup,
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
      BenchSteps.waitFor(Duration.ofMinutes(1), () -> published.get() > 0);
      pause(Duration.ofSeconds(warmup));

      OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long published0 = published.get();
      long sent0 = sim.dataMessagesSent();
      long bytes0 = BenchSteps.control(vertx, NAME, "status").getLong("bytes_in", 0L);
      long cpu0 = os.getProcessCpuTime();
      long simCpu0 = threads.getThreadCpuTime(simThread);
      long t0 = System.nanoTime();
      pause(Duration.ofSeconds(seconds));
      long t1 = System.nanoTime();
      long cpu = os.getProcessCpuTime() - cpu0;
      long simCpu = threads.getThreadCpuTime(simThread) - simCpu0;
      long messages = published.get() - published0;
      long sent = sim.dataMessagesSent() - sent0;
      JsonObject status = BenchSteps.control(vertx, NAME, "status");
      long bytes = status.getLong("bytes_in", 0L) - bytes0;

      double elapsed = (t1 - t0) / 1e9;
      double perTenK = 10_000.0 / Math.max(1, messages);
      System.out.printf(Locale.ROOT, "  published: %,.0f messages/s (sent %,.0f/s; %.0f bytes a message on the wire)%n",
          messages / elapsed, sent / elapsed, bytes / (double) Math.max(1, messages));
      System.out.printf(Locale.ROOT, "  CPU: Switchboard %.0f%% of a core, %.0f ms per 10,000 messages (listener, bus, GC, JIT);"
              + " simulator %.0f%% of a core, %.0f ms per 10,000%n",
          100.0 * (cpu - simCpu) / (t1 - t0), (cpu - simCpu) / 1e6 * perTenK, 100.0 * simCpu / (t1 - t0), simCpu / 1e6 * perTenK);
      System.out.printf(Locale.ROOT, "  check: state %s, deployments %d, malformed %d%n",
          status.getString("state"), status.getLong("deployments"), status.getLong("malformed"));
    } finally {
      vertx.close().await();
      simVertx.close().await();
    }
  }

  private static ListenerDefinition listener(String url, String encoding, Path dataDir) {
    JsonObject json = new JsonObject().put("url", url)
        .put("key", AlpacaSimulatorOptions.DEMO_KEY).put("secret", AlpacaSimulatorOptions.DEMO_SECRET)
        .put("encoding", encoding).put("maxSymbolsPerClient", 100_000).put("maxFrameSize", 64 * 1024 * 1024);
    return Definitions.of(new AlpacaKind(), NAME, false, BenchSteps.POLICY, json, dataDir);
  }


  /** A measuring period: the bench holds still while the feed runs. */
  private static void pause(Duration period) throws InterruptedException {
    Thread.sleep(period.toMillis());
  }

}
