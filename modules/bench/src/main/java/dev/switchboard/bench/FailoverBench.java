package dev.switchboard.bench;

import dev.switchboard.simulators.FreePorts;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Cluster failover, measured on real processes: three Switchboard nodes (the packaged launcher, default
 * lease timing) on loopback, one feed listener on the project's feed simulator (in this JVM, numbering
 * its messages {@code n}), and a consumer of {@code upstream.feed.message} on each node that is not the
 * owner, through {@code /subscribe}. Each run kills the owner (kill -9 or SIGTERM, alternating) and
 * measures the time until another node's status says CONNECTED with a newer epoch; then counts, at the
 * consumer on the node that neither lost nor took the listener, the feed numbers it missed (sent while
 * no node held the upstream: the feed does not replay) and the ones it got twice. The killed node is
 * started again, and the cluster settles, before the next run.
 * <pre>
 *   java -cp switchboard-bench.jar dev.switchboard.bench.FailoverBench [--runs 5] [--rate 50]
 *        [--launcher modules/server/target/bin/switchboard]
 * </pre>
 */
public final class FailoverBench {
  private static final Duration START = Duration.ofSeconds(120);
  private static final Duration FAILOVER = Duration.ofSeconds(60);

  private final Path dir;
  private final Path launcher;
  private final int[] hazelcast;
  private final int[] http;
  private final Process[] processes = new Process[3];
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Vertx vertx = Vertx.vertx();
  private final String clusterName = "bench-" + UUID.randomUUID().toString().substring(0, 8);
  private FeedSimulator feed;
  private double rate;

  private FailoverBench(Path launcher) throws IOException {
    this.dir = Files.createTempDirectory("failover-bench");
    this.launcher = launcher;
    int[] ports = FreePorts.take(6);
    hazelcast = new int[] {ports[0], ports[1], ports[2]};
    http = new int[] {ports[3], ports[4], ports[5]};
  }

  public static void main(String[] args) throws Exception {
    int runs = 5;
    double rate = 50;
    Path launcher = Path.of("modules/server/target/bin/switchboard");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--rate" -> rate = Double.parseDouble(args[++i]);
        case "--launcher" -> launcher = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i] + "; options: --runs N --rate MSG_PER_S --launcher PATH");
      }
    }
    FailoverBench bench = new FailoverBench(launcher.toAbsolutePath());
    try {
      bench.run(runs, rate);
    } finally {
      bench.close();
    }
    System.exit(0);
  }

  /** One fault and what it cost. */
  private record Run(String fault, long reconnectedMs, long firstMessageMs, long lost, long duplicated, long gaps) {
  }

  private void run(int runs, double rate) throws Exception {
    this.rate = rate;
    feed = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(rate));
    vertx.deployVerticle(feed).await();
    for (int i = 0; i < 3; i++) {
      Files.writeString(dir.resolve(node(i) + ".json"), config(i).encodePrettily());
    }
    System.out.printf("failover bench: %d runs of each fault, feed at %.0f msg/s, 3 nodes (%s), load average %.2f, %d cores%n",
        runs, rate, launcher, load(), Runtime.getRuntime().availableProcessors());
    List<Run> results = new ArrayList<>();
    for (int r = 0; r < 2 * runs; r++) {
      String fault = r % 2 == 0 ? "KILL" : "TERM";
      results.add(once(fault));
      Run last = results.get(results.size() - 1);
      System.out.printf("  run %2d  %-7s  reconnected %6d ms  first message at the consumer %6d ms  lost %4d  duplicated %d  gap envelopes %d%n",
          r + 1, fault.equals("KILL") ? "kill -9" : "SIGTERM", last.reconnectedMs, last.firstMessageMs, last.lost, last.duplicated, last.gaps);
    }
    System.out.printf("%nload average at the end %.2f%n", load());
    for (String fault : List.of("KILL", "TERM")) {
      List<Run> of = results.stream().filter(x -> x.fault.equals(fault)).toList();
      String name = fault.equals("KILL") ? "kill -9" : "SIGTERM";
      System.out.printf("%-8s -> reconnected (ms)            %s%n", name, stats(of, Run::reconnectedMs));
      System.out.printf("%-8s -> first message at consumer   %s%n", name, stats(of, Run::firstMessageMs));
      System.out.printf("%-8s    messages lost per failover   %s (at %.0f msg/s)%n", name, stats(of, Run::lost), rate);
      System.out.printf("%-8s    messages duplicated          %d in all%n", name, of.stream().mapToLong(Run::duplicated).sum());
    }
    System.out.printf("upstream: at most %d connection(s) at once over all runs%n", feed.maxConcurrentConnections());
  }

  private Run once(String fault) throws Exception {
    for (int i = 0; i < 3; i++) {
      if (processes[i] == null || !processes[i].isAlive()) {
        start(i);
      }
    }
    JsonObject before = waitFor(START, "all three nodes agree on one connected owner", this::agreed);
    int owner = before.getString("owner").charAt(5) - 'a';
    long epoch = before.getLong("epoch");
    List<Integer> others = List.of((owner + 1) % 3, (owner + 2) % 3);
    List<Consumer> consumers = new ArrayList<>();
    for (int i : others) {
      consumers.add(new Consumer(i));
    }
    waitFor(Duration.ofSeconds(30), "both consumers receive", () -> consumers.stream().allMatch(c -> c.count() >= 20) ? true : null);

    long fired = System.nanoTime();
    new ProcessBuilder("kill", "-" + fault, Long.toString(processes[owner].pid())).start().waitFor();
    JsonObject after = waitFor(FAILOVER, "another node connected", () -> {
      JsonObject s = status(others.get(0));
      return s != null && "CONNECTED".equals(s.getString("state")) && s.getLong("epoch", 0L) > epoch ? s : null;
    });
    long reconnectedMs = (System.nanoTime() - fired) / 1_000_000;
    int taker = after.getString("owner").charAt(5) - 'a';
    Consumer third = consumers.get(others.indexOf(others.get(0) == taker ? others.get(1) : others.get(0)));
    // Two seconds of the new owner's stream at the third node, then count.
    waitFor(Duration.ofSeconds(30), "the new owner's messages at the consumer", () -> third.countFrom(epoch + 1) >= 1 ? true : null);
    long firstMessageMs = (third.firstFrom(epoch + 1) - fired) / 1_000_000;
    long enough = third.countFrom(epoch + 1) + Math.max(20, (long) (2 * rate));
    waitFor(Duration.ofSeconds(30), "more of the new owner's messages", () -> third.countFrom(epoch + 1) >= enough ? true : null);
    consumers.forEach(Consumer::close);
    if (!processes[owner].waitFor(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException(node(owner) + " did not end after kill -" + fault);
    }
    return new Run(fault, reconnectedMs, firstMessageMs, third.lost(), third.duplicated(), third.gaps);
  }

  /** The feed's status as every node shows it, when all agree on a connected owner and are ready; else null. */
  private JsonObject agreed() {
    JsonObject first = null;
    for (int i = 0; i < 3; i++) {
      JsonObject s = status(i);
      if (s == null || !"CONNECTED".equals(s.getString("state")) || s.getString("owner") == null || get(i, "/health/ready") != 200) {
        return null;
      }
      if (first == null) {
        first = s;
      } else if (!first.getString("owner").equals(s.getString("owner")) || !first.getLong("epoch").equals(s.getLong("epoch"))) {
        return null;
      }
    }
    return first;
  }

  private JsonObject config(int i) {
    JsonArray members = new JsonArray();
    for (int p : hazelcast) {
      members.add("127.0.0.1:" + p);
    }
    return new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", http[i]).put("controlToken", "failover-bench-token"))
        .put("dataDir", dir.resolve(node(i) + "-data").toString())
        .put("cluster", new JsonObject().put("enabled", true).put("node", node(i)).put("name", clusterName)
            .put("host", "127.0.0.1").put("port", hazelcast[i]).put("members", members))
        .put("listeners", new JsonArray().add(new JsonObject().put("name", "feed").put("type", "upstream").put("autoStart", true)
            .put("url", feed.url()).put("restart", new JsonObject().put("initialDelay", "200ms").put("maxDelay", "1s"))));
  }

  private void start(int i) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(launcher.toString(), dir.resolve(node(i) + ".json").toString()).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(node(i) + ".log").toFile()));
    builder.environment().remove("JAVA_OPTS");
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    processes[i] = builder.start();
    waitFor(START, node(i) + " answers (log " + dir.resolve(node(i) + ".log") + ")", () -> {
      if (!processes[i].isAlive()) {
        throw new IllegalStateException(node(i) + " ended; see " + dir.resolve(node(i) + ".log"));
      }
      return get(i, "/health/live") == 200 ? true : null;
    });
  }

  private JsonObject status(int i) {
    try {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http[i] + "/api/listeners/feed"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private int get(int i, String path) {
    try {
      return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http[i] + path)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A consumer of the feed's messages on node {@code i}, through /subscribe: every feed number it got, by epoch. */
  private final class Consumer {
    private final WebSocketClient ws = vertx.createWebSocketClient();
    private final WebSocket socket;
    private final List<long[]> received = new ArrayList<>(); // {epoch, n, nanoTime}
    private int gaps;

    Consumer(int i) throws Exception {
      socket = ws.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(http[i])
          .setURI("/subscribe?address=upstream.feed.message")).await(10, TimeUnit.SECONDS);
      socket.textMessageHandler(text -> {
        JsonObject envelope = new JsonObject(text);
        synchronized (this) {
          if ("gap".equals(envelope.getString("type"))) {
            gaps++;
          } else {
            received.add(new long[] {envelope.getLong("epoch", 0L), envelope.getJsonObject("data").getLong("n"), System.nanoTime()});
          }
        }
      });
    }

    synchronized int count() {
      return received.size();
    }

    synchronized long countFrom(long epoch) {
      return received.stream().filter(r -> r[0] >= epoch).count();
    }

    synchronized long firstFrom(long epoch) {
      return received.stream().filter(r -> r[0] >= epoch).mapToLong(r -> r[2]).min().orElseThrow();
    }

    /** Feed numbers missing between the first and the last received. */
    synchronized long lost() {
      TreeSet<Long> ns = new TreeSet<>();
      received.forEach(r -> ns.add(r[1]));
      return ns.last() - ns.first() + 1 - ns.size();
    }

    synchronized long duplicated() {
      Set<Long> seen = new HashSet<>();
      return received.stream().filter(r -> !seen.add(r[1])).count();
    }

    void close() {
      socket.close();
      ws.close();
    }
  }

  private void close() {
    for (Process p : processes) {
      if (p != null && p.isAlive()) {
        p.destroy();
      }
    }
    for (Process p : processes) {
      try {
        if (p != null && !p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    vertx.close().await();
  }

  private static <T> T waitFor(Duration timeout, String what, Supplier<T> value) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T v;
    while ((v = value.get()) == null) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for: " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return v;
  }

  private static String stats(List<Run> runs, java.util.function.ToLongFunction<Run> f) {
    long[] v = runs.stream().mapToLong(f).sorted().toArray();
    if (v.length == 0) {
      return "-";
    }
    long median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    return String.format("min %d  median %d  max %d  (n=%d)", v[0], median, v[v.length - 1], v.length);
  }

  private static double load() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static String node(int i) {
    return "node-" + (char) ('a' + i);
  }
}
