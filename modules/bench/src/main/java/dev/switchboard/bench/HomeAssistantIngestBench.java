package dev.switchboard.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerFactory;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.testing.Definitions;
import dev.switchboard.homeassistant.HomeAssistantAddresses;
import dev.switchboard.homeassistant.HomeAssistantKind;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulator;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Home Assistant ingestion, flat out: the simulator floods {@code state_changed} events to one
 * listener as fast as the listener reads them, and this prints the events per second ingested and
 * published, the CPU time per 10,000 events and the heap after GC.
 * <p>
 * The simulator runs in its own Vert.x with one event loop, so that its CPU time (making and writing
 * the events) can be told apart from Switchboard's (reading, parsing, publishing them).
 * <p>
 * Arguments: {@code [events] [warmupEvents]}, default 200000 and 50000.
 */
public final class HomeAssistantIngestBench {
  private static final String NAME = "bench";
  private static final String TOKEN = "bench-token";

  private HomeAssistantIngestBench() {
  }

  public static void main(String[] args) throws Exception {
    long events = args.length > 0 ? Long.parseLong(args[0]) : 200_000;
    long warmup = args.length > 1 ? Long.parseLong(args[1]) : 50_000;
    Path dataDir = Files.createTempDirectory("switchboard-bench");

    Vertx simVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    Vertx vertx = Vertx.vertx();
    try {
      HomeAssistantSimulator sim = new HomeAssistantSimulator(HomeAssistantSimulatorOptions.defaults()
          .withToken(TOKEN).withEntities(40, 40, 20).withSeed(1));
      simVertx.deployVerticle(sim).await();
      long simThread = BenchSteps.threadOf(simVertx);

      ListenerDefinition listener = listener(sim.directUrl(), dataDir);
      vertx.deployVerticle(Definitions.supervisor(new HomeAssistantKind(), dataDir, Duration.ofSeconds(1), List.of(listener))).await();
      // A consumer of the events and one of every entity's state: each HA event is two messages on the bus.
      AtomicLong published = new AtomicLong();
      AtomicLong stateMessages = new AtomicLong();
      vertx.eventBus().<JsonObject>consumer(HomeAssistantAddresses.event(NAME, "state_changed"), m -> published.incrementAndGet())
          .completion().await();
      for (String entityId : sim.states().keySet()) {
        vertx.eventBus().<JsonObject>consumer(HomeAssistantAddresses.state(NAME, entityId), m -> stateMessages.incrementAndGet())
            .completion().await();
      }
      BenchSteps.control(vertx, NAME, "start");
      BenchSteps.waitFor(Duration.ofSeconds(30), () -> "CONNECTED".equals(BenchSteps.control(vertx, NAME, "status").getString("state")));

      System.out.printf(Locale.ROOT, "Home Assistant ingestion bench: %d events after %d warm-up, %d cores, Java %s%n",
          events, warmup, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
      flood(sim, published, warmup);
      long heapBefore = BenchSteps.heapAfterGc();

      OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long published0 = published.get();
      long cpu0 = os.getProcessCpuTime();
      long simCpu0 = threads.getThreadCpuTime(simThread);
      long t0 = System.nanoTime();
      long states0 = stateMessages.get();
      flood(sim, published, events);
      long t1 = System.nanoTime();
      BenchSteps.waitFor(Duration.ofMinutes(1), () -> stateMessages.get() - states0 >= events);
      long cpu = os.getProcessCpuTime() - cpu0;
      long simCpu = threads.getThreadCpuTime(simThread) - simCpu0;

      // The counters reach the status within its refresh period.
      BenchSteps.waitFor(Duration.ofSeconds(5), () -> BenchSteps.control(vertx, NAME, "status").getLong("events_session") >= published.get());
      JsonObject status = BenchSteps.control(vertx, NAME, "status");
      long heapAfter = BenchSteps.heapAfterGc();
      double seconds = (t1 - t0) / 1e9;
      double perTenK = 10_000.0 / events;
      System.out.printf(Locale.ROOT, "  ingested: %,.0f events/s (HA events read, parsed and counted, over %.2f s)%n", events / seconds, seconds);
      System.out.printf(Locale.ROOT, "  published: %,.0f messages/s on the event bus (each event as an event and as a state envelope)%n",
          (published.get() - published0 + stateMessages.get() - states0) / seconds);
      System.out.printf(Locale.ROOT, "  CPU per 10,000 events: %.0f ms in all; %.0f ms Switchboard (listener, bus, GC, JIT), %.0f ms the simulator%n",
          cpu / 1e6 * perTenK, (cpu - simCpu) / 1e6 * perTenK, simCpu / 1e6 * perTenK);
      System.out.printf(Locale.ROOT, "  heap after GC: %.1f MB before the run, %.1f MB after (%d entities known)%n",
          heapBefore / 1e6, heapAfter / 1e6, status.getInteger("entities"));
      System.out.printf(Locale.ROOT, "  check: events_session %d, published %d, malformed %d%n",
          status.getLong("events_session"), published.get(), status.getLong("malformed"));
    } finally {
      vertx.close().await();
      simVertx.close().await();
    }
  }

  /** Floods {@code count} events and returns once every one of them was published and delivered. */
  private static void flood(HomeAssistantSimulator sim, AtomicLong published, long count) {
    long target = published.get() + count;
    sim.flood(count);
    BenchSteps.waitFor(Duration.ofMinutes(5), () -> published.get() >= target);
  }

  private static ListenerDefinition listener(String url, Path dataDir) {
    JsonObject json = new JsonObject().put("url", url).put("token", TOKEN);
    return Definitions.of(new HomeAssistantKind(), NAME, false, BenchSteps.POLICY, json, dataDir);
  }



}
