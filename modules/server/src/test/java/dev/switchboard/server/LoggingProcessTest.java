package dev.switchboard.server;

import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The process's log as an operator reads it: ISO 8601 with the offset, the listener named once, JSON on demand, secrets masked. */
@ExtendWith(VertxExtension.class)
class LoggingProcessTest {
  private static final String SECRET = "k3y-in-the-url-9876";

  @TempDir
  Path dir;

  /** Runs the process until the listener is connected, then SIGTERM; returns what it printed. */
  private List<String> run(Vertx vertx, JsonObject logging) throws Exception {
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(20));
    vertx.deployVerticle(sim).await();
    JsonObject listener = ServerFixture.feedListener("feed", sim.url() + "?key=${FEED_KEY}", true);
    JsonObject config = ServerFixture.config(dir.resolve("data"), listener).put("logging", logging);
    return run(config, lines -> sim.concurrentConnections() == 1
        && lines.stream().anyMatch(l -> l.contains("connected\"") || l.endsWith(" connected")));
  }

  /** Runs the process with {@code config} until {@code ready}, then SIGTERM; returns what it printed. */
  private List<String> run(JsonObject config, java.util.function.Predicate<List<String>> ready) throws Exception {
    return run(config, ready, Journal.NONE);
  }

  /** What the process is told of systemd's journal. */
  private enum Journal {
    NONE,
    /** JOURNAL_STREAM names its output, as systemd does for StandardOutput=journal. */
    OUTPUT,
    /** JOURNAL_STREAM names another stream: the process was started by a service, its output redirected. */
    ELSEWHERE
  }

  private List<String> run(JsonObject config, java.util.function.Predicate<List<String>> ready, Journal journal) throws Exception {
    Process process = start(config, journal);
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> new BufferedReader(new InputStreamReader(process.getInputStream())).lines().forEach(lines::add));
    reader.setDaemon(true);
    reader.start();
    try {
      Await.until(Duration.ofSeconds(30), "ready to stop", () -> ready.test(lines));
      // kill(1), not Process.destroy(), which also closes our end of its output: the last lines would be lost.
      assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).start().waitFor());
      assertTrue(process.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, process.exitValue());
      reader.join(5_000);
      return lines;
    } finally {
      process.destroyForcibly();
    }
  }

  private Process start(JsonObject config, Journal journal) throws Exception {
    Path file = Files.writeString(dir.resolve("switchboard.json"), config.encodePrettily());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // The product's logback.xml, as in the jar (the test classpath has a logback-test.xml that would win).
    String logback = Path.of(Main.class.getResource("/logback.xml").toURI()).toString();
    List<String> command = new java.util.ArrayList<>();
    if (journal != Journal.NONE) {
      // systemd's JOURNAL_STREAM is the output stream's device:inode; here the pipe's, read by the shell that then
      // becomes the process (or, ELSEWHERE, that of the shell's standard input).
      String fd = journal == Journal.OUTPUT ? "1" : "0";
      command.addAll(List.of("sh", "-c", "export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/" + fd + "); exec \"$0\" \"$@\""));
    }
    command.addAll(List.of(java, "-Dlogback.configurationFile=" + logback, "-cp", System.getProperty("java.class.path"),
        "dev.switchboard.server.Main", file.toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("TEST_TOKEN", ServerFixture.TOKEN);
    builder.environment().put("FEED_KEY", SECRET);
    return builder.start();
  }

  @Test
  @DisplayName("text: ISO 8601 time with its offset, the listener's name once per line, the URL's secret masked")
  void text(Vertx vertx) throws Exception {
    List<String> lines = run(vertx, new JsonObject());
    String connected = lines.stream().filter(l -> l.contains(" connected")).findFirst().orElseThrow(() -> new AssertionError(lines));
    assertTrue(connected.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO  \\[feed] connected"), connected);
    for (String line : lines) {
      assertFalse(line.contains(SECRET), line);
      assertTrue(line.indexOf("feed]") == line.lastIndexOf("feed]"), "the listener named once: " + line);
    }
    assertTrue(lines.stream().anyMatch(l -> l.contains("?key=***")), "the masked URL is logged: " + lines);
  }

  @Test
  @DisplayName("SIGTERM while one listener retries a refused port and another hangs in its upgrade: exit 0, not one ERROR line")
  void cleanShutdown() throws Exception {
    try (java.net.ServerSocket hanging = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
         java.net.ServerSocket closed = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      int refused = closed.getLocalPort();
      closed.close();
      List<java.net.Socket> held = new CopyOnWriteArrayList<>();
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            held.add(hanging.accept()); // accepted, never answered: the upgrade hangs
          }
        } catch (IOException done) {
          // closed at the end of the test
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      JsonObject quick = new JsonObject().put("initialDelay", "10ms").put("maxDelay", "20ms").put("connectTimeout", "300ms");
      JsonObject config = ServerFixture.config(dir.resolve("data"),
          new JsonObject().put("name", "refused").put("type", "upstream").put("autoStart", true)
              .put("url", "ws://127.0.0.1:" + refused + "/x").put("restart", quick),
          new JsonObject().put("name", "hanging").put("type", "upstream").put("autoStart", true)
              .put("url", "ws://127.0.0.1:" + hanging.getLocalPort() + "/x").put("restart", quick));
      List<String> lines = run(config, out -> out.stream().filter(l -> l.contains("[hanging] connection ended")).count() >= 2
          && out.stream().filter(l -> l.contains("[refused] connection ended")).count() >= 2);
      List<String> errors = lines.stream().filter(l -> l.contains(" ERROR ") || l.contains("Exception")).toList();
      assertTrue(errors.isEmpty(), "not one ERROR line or exception: " + errors + "\nthe whole log:\n" + String.join("\n", lines));
      assertTrue(lines.stream().anyMatch(l -> l.contains("stopped cleanly")), String.join("\n", lines));
    }
  }

  @Test
  @DisplayName("json: one JSON object a line, secrets still masked; levels per logger apply")
  void json(Vertx vertx) throws Exception {
    List<String> lines = run(vertx, new JsonObject().put("format", "json")
        .put("level", new JsonObject().put("switchboard.audit", "WARN").put("dev.switchboard.server.Switchboard", "WARN")));
    List<JsonObject> events = lines.stream().filter(l -> !l.isBlank()).map(JsonObject::new).toList(); // each line parses
    assertTrue(events.stream().anyMatch(e -> "switchboard.listener.feed".equals(e.getString("loggerName"))
        && String.valueOf(e.getString("message")).contains("connected")), lines.toString());
    assertTrue(events.stream().noneMatch(e -> "dev.switchboard.server.Switchboard".equals(e.getString("loggerName"))
        && "INFO".equals(e.getString("level"))), "the logger's level applied: " + lines);
    for (String line : lines) {
      assertFalse(line.contains(SECRET), line);
    }
    assertEquals(0, lines.stream().filter(l -> l.startsWith("20")).count(), "no text lines once JSON is on");
  }

  @Test
  @DisplayName("systemd's journal: each line starts with its priority (<6> info, <4> warning); not when the journal is another stream")
  void journalPriorities(Vertx vertx) throws Exception {
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(20));
    vertx.deployVerticle(sim).await();
    JsonObject config = ServerFixture.config(dir.resolve("data"), ServerFixture.feedListener("feed", sim.url(), true));
    List<String> lines = run(config, out -> {
      if (sim.concurrentConnections() == 1 && out.stream().noneMatch(l -> l.contains("malformed frame dropped"))) {
        sim.sendMalformed(); // a warning
      }
      return out.stream().anyMatch(l -> l.contains("malformed frame dropped"));
    }, Journal.OUTPUT);
    String record = "<([3467])>\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) (ERROR|WARN |INFO |DEBUG) .*";
    for (String line : lines) {
      assertTrue(line.startsWith("<"), "every line starts with a priority: " + line + "\nthe whole log:\n" + String.join("\n", lines));
    }
    String connected = lines.stream().filter(l -> l.endsWith("[feed] connected")).findFirst().orElseThrow(() -> new AssertionError(lines));
    assertTrue(connected.matches(record) && connected.startsWith("<6>"), connected);
    String warning = lines.stream().filter(l -> l.contains("malformed frame dropped")).findFirst().orElseThrow();
    assertTrue(warning.matches(record) && warning.startsWith("<4>") && warning.contains(" WARN "), warning);

    List<String> elsewhere = run(config, out -> out.stream().anyMatch(l -> l.endsWith("[feed] connected")), Journal.ELSEWHERE);
    assertTrue(elsewhere.stream().noneMatch(l -> l.startsWith("<")), "no priority on a stream that is not the journal's: " + elsewhere);
  }

  @Test
  @DisplayName("systemd's journal: a config error that stops the start is filed as an error")
  void journalConfigError() throws Exception {
    Process process = start(new JsonObject().put("http", "not an object"), Journal.OUTPUT);
    String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, process.exitValue(), output);
    assertTrue(output.startsWith("<3>switchboard: config error in "), output);
  }
}
