package dev.switchboard.server.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.switchboard.simulators.FreePorts;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.ThreadDump;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Three Switchboard nodes as real processes, each the packaged launcher (target/bin/switchboard, the
 * fat jar) with its own config and data dir, clustered over loopback with the DEFAULT lease timing.
 * Started one at a time (the machine may have two cores); every wait is on a condition. Each node's
 * output goes to {@code <dir>/node-x.log}, kept across its restarts, and is quoted in failures.
 */
final class ClusterProcesses implements AutoCloseable {
  static final Path TARGET = Path.of("target").toAbsolutePath();
  static final Path LAUNCHER = TARGET.resolve("bin/switchboard");
  static final Path JAR = TARGET.resolve("switchboard.jar");
  static final String TOKEN = "cluster-it-token";
  static final Duration START = Duration.ofSeconds(90);

  private final Path dir;
  private final JsonArray listeners;
  private final JsonObject timing;
  private final int[] hazelcastPorts;
  private final int[] httpPorts;
  private final Process[] processes = new Process[3];
  private final boolean[] frozen = new boolean[3];
  private final String clusterName = "it-" + UUID.randomUUID().toString().substring(0, 8);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** @param listeners the config file's listeners: they seed the cluster on its first start */
  ClusterProcesses(Path dir, JsonObject... listeners) throws IOException {
    this(dir, new JsonObject(), new JsonArray(List.of((Object[]) listeners)));
  }

  /**
   * @param timing    cluster settings that replace the defaults ({@code heartbeat}, {@code maxSilence}, {@code lease}), for
   *                  a test whose scenario needs them apart
   * @param listeners the config file's listeners: they seed the cluster on its first start
   */
  static ClusterProcesses withTiming(Path dir, JsonObject timing, JsonObject... listeners) throws IOException {
    return new ClusterProcesses(dir, timing, new JsonArray(List.of((Object[]) listeners)));
  }

  private ClusterProcesses(Path dir, JsonObject timing, JsonArray listeners) throws IOException {
    this.dir = dir;
    this.timing = timing.copy();
    this.listeners = listeners;
    int[] ports = FreePorts.take(6);
    hazelcastPorts = new int[] {ports[0], ports[1], ports[2]};
    httpPorts = new int[] {ports[3], ports[4], ports[5]};
    for (int i = 0; i < 3; i++) {
      Files.writeString(config(i), nodeConfig(i).encodePrettily());
    }
  }

  /**
   * A new directory for one cluster's configs, data dirs and logs, under target/cluster-it: kept after
   * the run, so that a failure can be read in the nodes' own logs.
   */
  static Path workDir(String test) throws IOException {
    return Files.createDirectories(TARGET.resolve("cluster-it").resolve(test + "-" + System.currentTimeMillis()));
  }

  /**
   * In the POM's integration-test execution (which sets switchboard.version) the package must be there: a
   * failure. Run another way (-Dtest in the test phase, an IDE), it may not be built yet: a skip.
   */
  static void requirePackaged() {
    boolean present = Files.isExecutable(LAUNCHER) && Files.isRegularFile(JAR);
    String message = "needs target/bin/switchboard and target/switchboard.jar: mvn verify builds them in package, then runs this test";
    if (System.getProperty("switchboard.version") != null) {
      org.junit.jupiter.api.Assertions.assertTrue(present, message);
    } else {
      org.junit.jupiter.api.Assumptions.assumeTrue(present, message);
    }
  }

  /** A generic feed listener with quick reconnects (what the tests watch is the cluster, not the backoff). */
  static JsonObject feed(String name, String url) {
    return new JsonObject().put("name", name).put("type", "upstream").put("autoStart", true).put("url", url)
        .put("restart", new JsonObject().put("initialDelay", "200ms").put("maxDelay", "1s").put("connectTimeout", "5s"));
  }

  static String name(int i) {
    return "node-" + (char) ('a' + i);
  }

  static int index(String node) {
    return node.charAt(node.length() - 1) - 'a';
  }

  Path config(int i) {
    return dir.resolve(name(i) + ".json");
  }

  Path dataDir(int i) {
    return dir.resolve(name(i) + "-data");
  }

  Path log(int i) {
    return dir.resolve(name(i) + ".log");
  }

  int httpPort(int i) {
    return httpPorts[i];
  }

  Process process(int i) {
    return processes[i];
  }

  /**
   * Node {@code i}'s threads now ({@code jcmd Thread.print}), kept whole in the work directory; answers
   * the Hazelcast I/O and priority threads' names, states and top frames, for a failure message. Meant
   * for a moment that cannot be caught later: the stall it looks for ends when a member gives up.
   */
  String hazelcastThreads(int i, String when) {
    try {
      String dump = ThreadDump.of(processes[i].pid());
      Files.writeString(dir.resolve(name(i) + "-threads-" + when + ".txt"), dump);
      keepSockets(i, when);
      StringBuilder summary = new StringBuilder();
      ThreadDump.threads(dump).filter(thread -> thread.contains("IO.thread") || thread.contains("priority-generic-operation"))
          .forEach(thread -> thread.lines().limit(5).forEach(line -> summary.append("\n    ").append(line.strip())));
      return "\n  " + name(i) + " threads " + when + ":" + summary;
    } catch (IOException e) {
      return "\n  " + name(i) + " threads " + when + ": jcmd failed: " + e.getMessage();
    }
  }

  /** The machine's TCP connections with their queues, beside the threads: which peer a stalled one is to. */
  private void keepSockets(int i, String when) {
    try {
      Process ss = new ProcessBuilder("ss", "-tnpi").redirectErrorStream(true).start();
      Files.writeString(dir.resolve(name(i) + "-sockets-" + when + ".txt"), new String(ss.getInputStream().readAllBytes()));
    } catch (IOException e) {
      // no ss on this machine: the threads alone must do
    }
  }

  boolean running(int i) {
    return processes[i] != null && processes[i].isAlive();
  }

  private JsonObject nodeConfig(int i) {
    JsonArray members = new JsonArray();
    for (int p : hazelcastPorts) {
      members.add("127.0.0.1:" + p);
    }
    // No lease, heartbeat or maxSilence unless a test gives its own: the defaults, as the failover times promise them.
    return new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", httpPorts[i]).put("controlToken", "${TEST_TOKEN}"))
        .put("dataDir", dataDir(i).toString())
        .put("cluster", timing.copy().put("enabled", true).put("node", name(i)).put("name", clusterName)
            .put("host", "127.0.0.1").put("port", hazelcastPorts[i]).put("members", members))
        .put("listeners", listeners.copy());
  }

  /** Starts node {@code i} and waits until its HTTP API answers (it has joined whatever cluster is there). */
  void start(int i) throws IOException {
    if (running(i)) {
      throw new IllegalStateException(name(i) + " runs already");
    }
    Files.writeString(log(i), "---- start " + java.time.Instant.now() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    ProcessBuilder builder = new ProcessBuilder(LAUNCHER.toString(), config(i).toString()).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log(i).toFile()));
    builder.environment().remove("JAVA_OPTS"); // the launcher's own JVM flags, as in production
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().put("TEST_TOKEN", TOKEN);
    processes[i] = builder.start();
    Await.until(START, name(i) + " answers on :" + httpPorts[i] + " (log: " + log(i) + ")", () -> {
      if (!processes[i].isAlive()) {
        throw new AssertionError(name(i) + " ended with " + processes[i].exitValue() + ": " + tail(i));
      }
      return get(i, "/health/live").statusCode() == 200;
    });
  }

  /** Sends {@code signal} (KILL, TERM, STOP, CONT) to node {@code i}: the launcher execs, so its pid is the JVM's. */
  void signal(int i, String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(processes[i].pid())).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new AssertionError("kill -" + signal + " " + processes[i].pid() + " failed");
    }
    if (signal.equals("STOP") || signal.equals("CONT")) {
      frozen[i] = signal.equals("STOP");
    }
  }

  /** SIGTERM, then waits for the clean exit (0). */
  int stop(int i) throws IOException, InterruptedException {
    signal(i, "TERM");
    if (!processes[i].waitFor(60, TimeUnit.SECONDS)) {
      throw new AssertionError(name(i) + " did not end within 60 s of SIGTERM: " + tail(i));
    }
    return processes[i].exitValue();
  }

  /** kill -9, then waits for the process to be gone. */
  void kill(int i) throws IOException, InterruptedException {
    signal(i, "KILL");
    if (!processes[i].waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError(name(i) + " did not die of SIGKILL");
    }
  }

  HttpResponse<String> get(int i, String path) {
    return send(i, HttpRequest.newBuilder(uri(i, path)).GET());
  }

  HttpResponse<String> post(int i, String path) {
    return send(i, HttpRequest.newBuilder(uri(i, path)).header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.noBody()));
  }

  HttpResponse<String> delete(int i, String path) {
    return send(i, HttpRequest.newBuilder(uri(i, path)).header("Authorization", "Bearer " + TOKEN).DELETE());
  }

  HttpResponse<String> put(int i, String path, JsonObject body) {
    return send(i, HttpRequest.newBuilder(uri(i, path)).header("Authorization", "Bearer " + TOKEN)
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  /** The listener's status as node {@code i} shows it; null when the node does not answer or has no such listener. */
  JsonObject status(int i, String listener) {
    if (!running(i)) {
      return null;
    }
    HttpResponse<String> r = get(i, "/api/listeners/" + listener);
    return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
  }

  /**
   * A Hazelcast lite member in this JVM, joined to the nodes' cluster as users' own applications join it: it owns no
   * partition and never counts toward the majority, and it can say where the cluster keeps an entry. The member
   * endpoint, as the nodes use (docs/cluster.md, Join as a lite member).
   */
  HazelcastInstance liteMember() {
    Config config = new Config();
    config.setClusterName(clusterName);
    config.setLiteMember(true);
    int port = FreePorts.take(1)[0];
    ServerSocketEndpointConfig member = new ServerSocketEndpointConfig();
    member.setPort(port).setPortAutoIncrement(false).setPublicAddress("127.0.0.1:" + port);
    member.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    config.getAdvancedNetworkConfig().setEnabled(true).setMemberEndpointConfig(member);
    config.setProperty("hazelcast.socket.server.bind.any", "false");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    // The nodes' heartbeat and maxSilence (docs/cluster.md, Join as a lite member): with Hazelcast's 5 s heartbeat, nodes
    // whose maxSilence is that short or shorter drop this member, and it joins again, over and over.
    String maxSilence = timing.getString("maxSilence", "5s");
    config.setProperty("hazelcast.heartbeat.interval.seconds", timing.getString("heartbeat", "1s").replace("s", ""));
    config.setProperty("hazelcast.max.no.heartbeat.seconds", maxSilence.replace("s", ""));
    JoinConfig join = config.getAdvancedNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    for (int p : hazelcastPorts) {
      join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1:" + p);
    }
    HazelcastInstance lite = Hazelcast.newHazelcastInstance(config);
    // A member that has just joined learns the partition table a moment later: until then no partition has an owner.
    Await.until(Duration.ofSeconds(30), "the lite member knows where every partition is kept",
        () -> lite.getPartitionService().getPartitions().stream().allMatch(p -> p.getOwner() != null));
    return lite;
  }

  /**
   * {@code listener}'s status when every node shows it CONNECTED by the same owner with the same epoch above {@code after},
   * is ready and finds the cluster safe (every partition backed up: as an operator waits before the next step); else null.
   */
  JsonObject agreed(String listener, long after) {
    JsonObject first = connected(0, listener, after);
    for (int i = 0; i < 3; i++) {
      JsonObject s = connected(i, listener, after);
      if (s == null || first == null || !s.getString("owner").equals(first.getString("owner"))
          || !java.util.Objects.equals(s.getLong("epoch"), first.getLong("epoch")) || get(i, "/health/ready").statusCode() != 200
          || !safe(i)) {
        return null;
      }
    }
    return first;
  }

  /** Node {@code i} finds every partition backed up and none moving ({@code GET /api/cluster}'s {@code safe}). */
  boolean safe(int i) {
    JsonObject facts = cluster(i);
    return facts != null && Boolean.TRUE.equals(facts.getBoolean("safe"));
  }

  /** Node {@code i}'s answer to {@code GET /api/cluster}; null when it does not answer. */
  JsonObject cluster(int i) {
    HttpResponse<String> r = get(i, "/api/cluster");
    return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
  }

  /** Node {@code i} shows {@code listener} CONNECTED by a live owner with an epoch above {@code after}; that status. */
  JsonObject connected(int i, String listener, long after) {
    JsonObject s = status(i, listener);
    return s != null && "CONNECTED".equals(s.getString("state")) && s.getString("owner") != null
        && s.getLong("epoch", 0L) > after ? s : null;
  }

  private URI uri(int i, String path) {
    return URI.create("http://127.0.0.1:" + httpPorts[i] + path);
  }

  private HttpResponse<String> send(int i, HttpRequest.Builder request) {
    try {
      return http.send(request.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return new Refused(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * What each node says now, a line each: {@code listener}'s state, owner and epoch, readiness, and the
   * cluster as that node sees it. A failed wait quotes it, so that it says which node disagreed and how.
   * A frozen node is not asked (it would hold each request until its timeout).
   */
  String picture(String listener) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      out.append("\n  ").append(name(i)).append(": ");
      if (!running(i) || frozen[i]) {
        out.append(running(i) ? "frozen (SIGSTOP)" : "not running");
        continue;
      }
      JsonObject s = status(i, listener);
      out.append(s == null ? "no " + listener : s.getString("state") + " owner=" + s.getString("owner") + " epoch=" + s.getValue("epoch")
          + (s.getString("unassigned_reason") == null ? "" : " (" + s.getString("unassigned_reason") + ")"));
      out.append(", ready=").append(get(i, "/health/ready").statusCode());
      HttpResponse<String> cluster = get(i, "/api/cluster");
      if (cluster.statusCode() == 200) {
        JsonObject c = new JsonObject(cluster.body());
        out.append(", sees ").append(c.getValue("nodes")).append(" safe=").append(c.getValue("safe"))
            .append(" fenced=").append(c.getValue("fenced")).append(" stale_dropped=").append(c.getValue("stale_dropped"))
            .append(" routes_mended=").append(c.getValue("routes_mended"));
      } else {
        out.append(", /api/cluster answered ").append(cluster.statusCode());
      }
    }
    return out.toString();
  }

  /**
   * The cluster's story from the three logs, merged in time order: starts, ownership changes, fencing,
   * mended event-bus routes, Hazelcast's suspicions and merges (the last {@code lines} of them). A failed
   * wait quotes it.
   */
  String timeline(int lines) {
    Pattern wanted = Pattern.compile("^---- start|Ownership|Supervisor|RouteRefreshingClusterManager|is suspected|is merging");
    List<String[]> merged = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      for (String line : log(i, "").split("\n")) {
        if (wanted.matcher(line).find()) {
          // "---- start <instant>" or "<instant> LEVEL ...": the instant orders the merged story.
          String at = line.startsWith("---- start ") ? line.substring("---- start ".length()) : line.split(" ", 2)[0];
          merged.add(new String[] {at, name(i) + " | " + (line.length() > 220 ? line.substring(0, 220) + "..." : line)});
        }
      }
    }
    merged.sort(Comparator.comparing(entry -> entry[0]));
    List<String> story = merged.subList(Math.max(0, merged.size() - lines), merged.size()).stream().map(entry -> entry[1]).toList();
    return "\n---- the cluster's story (last " + lines + " lines of the node logs' ownership, fencing, routes, suspicions and merges)\n"
        + String.join("\n", story);
  }

  /** The end of node {@code i}'s log: what a failure message quotes. */
  String tail(int i) {
    try {
      List<String> lines = Files.readAllLines(log(i));
      return "\n---- " + log(i) + " (last 40 lines)\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  String log(int i, String fallback) {
    try {
      return Files.readString(log(i));
    } catch (IOException e) {
      return fallback;
    }
  }

  /** SIGCONT first (a stopped process ignores SIGTERM until then), then SIGTERM, then SIGKILL for what does not end. */
  @Override
  public void close() {
    for (int i = 0; i < 3; i++) {
      Process p = processes[i];
      if (p != null && p.isAlive()) {
        try {
          signal(i, "CONT");
          p.destroy();
        } catch (Exception ignored) {
          // ended meanwhile
        }
      }
    }
    for (Process p : processes) {
      try {
        if (p != null && !p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** What {@link #send} answers when nothing answers: status 0. */
  private record Refused(IOException cause) implements HttpResponse<String> {
    @Override
    public int statusCode() {
      return 0;
    }

    @Override
    public HttpRequest request() {
      return null;
    }

    @Override
    public java.util.Optional<HttpResponse<String>> previousResponse() {
      return java.util.Optional.empty();
    }

    @Override
    public java.net.http.HttpHeaders headers() {
      return java.net.http.HttpHeaders.of(java.util.Map.of(), (a, b) -> true);
    }

    @Override
    public String body() {
      return cause.toString();
    }

    @Override
    public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
      return java.util.Optional.empty();
    }

    @Override
    public URI uri() {
      return null;
    }

    @Override
    public HttpClient.Version version() {
      return HttpClient.Version.HTTP_1_1;
    }
  }
}
