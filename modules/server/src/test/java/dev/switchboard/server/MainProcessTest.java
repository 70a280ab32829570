package dev.switchboard.server;

import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.ThreadDump;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real process: its exit codes and its clean stop on SIGTERM. */
@ExtendWith(VertxExtension.class)
class MainProcessTest {
  @TempDir
  Path dir;

  private Process launch(Path config, String... jvmOptions) throws IOException {
    return launch(config, false, jvmOptions);
  }

  /**
   * {@code sighupDefault}: the child gets SIGHUP's default action back (coreutils' env), for a test that
   * needs SIGHUP handled even when this JVM runs under nohup, whose ignored SIGHUP a child inherits.
   */
  private Process launch(Path config, boolean sighupDefault, String... jvmOptions) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new java.util.ArrayList<>(sighupDefault ? List.of("env", "--default-signal=HUP", java) : List.of(java));
    command.addAll(List.of(jvmOptions));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.switchboard.server.Main", config.toString()));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("TEST_TOKEN", ServerFixture.TOKEN);
    builder.environment().remove("NOT_SET_ANYWHERE");
    return builder.start();
  }

  private static int freePort() throws IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Whether this process ignores SIGHUP (bit 0 of SigIgn in /proc/self/status), as one started under nohup does. */
  private static boolean sighupIgnoredHere() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseLong(line.substring("SigIgn:".length()).strip(), 16) & 1) != 0;
      }
    }
    return false;
  }

  private Path write(JsonObject config) throws IOException {
    Path file = dir.resolve("switchboard.json");
    Files.writeString(file, config.encodePrettily());
    return file;
  }

  private static List<String> lines(java.io.InputStream in) throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
  }

  private void assertRefused(Consumer<JsonObject> mistake, String field) throws Exception {
    JsonObject config = ServerFixture.config(dir.resolve("data"), ServerFixture.feedListener("feed", "ws://127.0.0.1:9/x", false));
    mistake.accept(config);
    Process process = launch(write(config));
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    List<String> err = lines(process.getErrorStream());
    assertEquals(2, process.exitValue(), "exit code for " + field + "; stderr: " + err);
    assertEquals(1, err.size(), "one line: " + err);
    assertTrue(err.get(0).contains(field), err.get(0));
  }

  @Test
  @DisplayName("a bad config ends the process with exit code 2 and one line naming the field")
  void badConfigExitsWithTwo() throws Exception {
    assertRefused(c -> c.put("extra", true), "extra: unknown field");
    assertRefused(c -> c.getJsonObject("http").put("port", "eighty"), "http.port: must be a whole number");
    assertRefused(c -> c.getJsonArray("listeners").getJsonObject(0).put("url", "ws://h/${NOT_SET_ANYWHERE}"),
        "listeners[0].url: environment variable NOT_SET_ANYWHERE is not set");
    assertRefused(c -> c.getJsonArray("listeners").getJsonObject(0).put("url", "tcp://h:1/x"),
        "listeners[0].url: must be a ws:// or wss:// URL");
    assertRefused(c -> c.getJsonObject("http").put("host", "0.0.0.0").put("controlToken", "demo-control-token"),
        "http.controlToken: is the public demo token");
  }

  /** The stacks of the process's threads whose header line holds one of {@code names}: where a start is stuck. */
  private static String threads(Process process, String... names) {
    try {
      return ThreadDump.threads(ThreadDump.of(process.pid()))
          .filter(thread -> Arrays.stream(names).anyMatch(name -> thread.lines().findFirst().orElse("").contains(name)))
          .collect(Collectors.joining("\n\n"));
    } catch (IOException e) {
      return "jcmd failed: " + e.getMessage();
    }
  }

  /** Every line the process writes, kept as it comes (so that its pipes never fill). */
  private static List<String> drain(Process process) {
    List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (java.io.InputStream stream : List.of(process.getInputStream(), process.getErrorStream())) {
      Thread drain = new Thread(() -> new BufferedReader(new InputStreamReader(stream)).lines().forEach(said::add));
      drain.setDaemon(true);
      drain.start();
    }
    return said;
  }

  @Test
  @DisplayName("signals during the start: a SIGHUP as logging is being set up does not end the process (the reload follows); a SIGTERM stops it cleanly once started (exit 0)")
  void signalsDuringTheStart() throws Exception {
    JsonObject config = ServerFixture.config(dir.resolve("data"), ServerFixture.feedListener("feed", "ws://127.0.0.1:9/x", false));
    int port = freePort();
    config.getJsonObject("http").put("port", port);
    Path file = write(config);
    // The JVM names each class as it loads it: logging's first class is the moment the start is under way.
    String logging = "ch.qos.logback.classic.LoggerContext";
    Process process = launch(file, sighupIgnoredHere(), "-Xlog:class+load=info:stdout");
    try {
      List<String> said = drain(process);
      Await.until(Duration.ofSeconds(30), "logging being set up", () -> said.stream().anyMatch(line -> line.contains(logging)));
      assertEquals(0, new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).start().waitFor());
      Await.until(Duration.ofSeconds(30), "the reload after the start", () -> said.stream().anyMatch(line -> line.contains("reload by SIGHUP")),
          () -> (process.isAlive() ? "alive" : "ended with " + process.exitValue()) + "; it said, besides loading classes:\n  "
              + said.stream().filter(line -> !line.contains("[class,load]")).collect(Collectors.joining("\n  "))
              + "\nits main and signal threads:\n" + threads(process, "\"main\"", "\"Signal Dispatcher\"", "SIGHUP handler"));
      assertTrue(process.isAlive());
      process.destroy();
      assertTrue(process.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, process.exitValue());
    } finally {
      process.destroyForcibly();
    }

    Process stopped = launch(file, "-Xlog:class+load=info:stdout");
    try {
      List<String> said = drain(stopped);
      Await.until(Duration.ofSeconds(30), "logging being set up", () -> said.stream().anyMatch(line -> line.contains(logging)));
      // kill, not Process.destroy(): that closes the pipes, and the process's last lines would not be read.
      assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(stopped.pid())).start().waitFor());
      assertTrue(stopped.waitFor(60, TimeUnit.SECONDS), "the process ends");
      assertEquals(0, stopped.exitValue(), "a clean stop once started, not the JVM's 143");
      Await.until(Duration.ofSeconds(5), "its last lines read", () -> said.stream().anyMatch(line -> line.contains("stopped cleanly")),
          () -> said.stream().filter(line -> !line.contains("[class,load]")).toList().toString());
    } finally {
      stopped.destroyForcibly();
    }
  }

  @Test
  @DisplayName("SIGHUP adds the file's new listener alone; SIGTERM closes every upstream socket with 1000, keeps the desired state, and exits 0")
  void sigtermStopsCleanly(Vertx vertx) throws Exception {
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(20));
    vertx.deployVerticle(sim).await();
    Path data = dir.resolve("data");
    int port = freePort();
    JsonObject config = ServerFixture.config(data, ServerFixture.feedListener("feed", sim.url(), false));
    config.getJsonObject("http").put("port", port);
    Process process = launch(write(config));
    // Drain the output so the child never blocks on a full pipe; its last lines explain a failure.
    Deque<String> said = new ArrayDeque<>();
    for (java.io.InputStream stream : List.of(process.getInputStream(), process.getErrorStream())) {
      Thread drain = new Thread(() -> new BufferedReader(new InputStreamReader(stream)).lines().forEach(line -> {
        synchronized (said) {
          said.addLast(line);
          if (said.size() > 200) {
            said.removeFirst();
          }
        }
      }));
      drain.setDaemon(true);
      drain.start();
    }
    try {
      WebClient http = WebClient.create(vertx);
      Await.until(Duration.ofSeconds(30), "the server up and the listener started", () -> {
        try {
          return http.post(port, "127.0.0.1", "/api/listeners/feed/start").bearerTokenAuthentication(ServerFixture.TOKEN)
              .timeout(2_000).send().await(3, TimeUnit.SECONDS).statusCode() == 200;
        } catch (Exception notYet) {
          return false;
        }
      });
      Await.until(Duration.ofSeconds(30), "the listener connected", () -> sim.concurrentConnections() == 1);

      // A second process on the same data directory (another port) is refused before it runs anything: it would
      // connect every listener a second time and overwrite the first one's files.
      JsonObject second = config.copy();
      second.getJsonObject("http").put("port", freePort());
      Process refused = launch(write(second));
      assertTrue(refused.waitFor(60, TimeUnit.SECONDS), "the second process ends");
      List<String> why = lines(refused.getErrorStream());
      assertEquals(1, refused.exitValue(), "stderr: " + why);
      assertTrue(why.stream().anyMatch(line -> line.contains("switchboard: cannot start: dataDir '" + data.toAbsolutePath()
          + "' is in use by another Switchboard process (pid " + process.pid() + ")")), String.join("\n", why));
      assertEquals(1, sim.totalConnections(), "the second process connected nothing");

      // SIGHUP applies the edited file's listeners; the running one keeps its connection.
      write(config.copy().put("listeners", config.getJsonArray("listeners").copy()
          .add(ServerFixture.feedListener("second", sim.url(), true))));
      if (sighupIgnoredHere()) {
        // Run under nohup: the child inherits SIGHUP ignored, and a JVM keeps it so. It must say so at
        // start, and the reload it points to must do what SIGHUP would have.
        Await.until(Duration.ofSeconds(10), "the warning that SIGHUP cannot reload", () -> {
          synchronized (said) {
            return said.stream().anyMatch(line -> line.contains("SIGHUP is ignored in this process") && line.contains("POST /api/reload"));
          }
        });
        assertEquals(200, http.post(port, "127.0.0.1", "/api/reload").bearerTokenAuthentication(ServerFixture.TOKEN)
            .send().await(10, TimeUnit.SECONDS).statusCode());
      } else {
        assertEquals(0, new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).start().waitFor());
      }
      Await.until(Duration.ofSeconds(30), "the file's new listener connected", () -> sim.concurrentConnections() == 2);
      assertEquals(2, sim.totalConnections(), "the first listener's connection was not touched");

      process.destroy(); // SIGTERM
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the process ends");
      assertEquals(0, process.exitValue());
      Await.until(Duration.ofSeconds(5), "the upstream saw the close", () -> sim.concurrentConnections() == 0);
      assertEquals(List.of((short) 1000, (short) 1000), sim.closeCodes());
      JsonObject state = new JsonObject(Files.readString(data.resolve("listeners.json")));
      assertEquals(true, state.getJsonObject("listeners").getJsonObject("feed").getBoolean("active"),
          "the start is persisted, and a shutdown is not a stop: the listener comes back with the process");
    } catch (AssertionError e) {
      synchronized (said) {
        throw new AssertionError(e.getMessage() + "\n--- the process said (last lines):\n" + String.join("\n", said), e);
      }
    } finally {
      process.destroyForcibly();
    }
  }
}
