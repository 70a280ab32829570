package dev.switchboard.bench.relay;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A relay under test, running in its own process so that its CPU and memory can be read alone. */
final class RelayProcess {
  static final String SOURCE = "gen";
  static final String ADDRESS = "upstream." + SOURCE + ".message";

  private final String name;
  private final Process process;
  private final int port;
  private final ProcessProbe probe;

  private RelayProcess(String name, Process process, int port) {
    this.name = name;
    this.process = process;
    this.port = port;
    this.probe = new ProcessProbe(process.pid());
  }

  /**
   * Switchboard's fat jar with one {@code upstream} listener on the generator; clients on the raw
   * bridge endpoint {@code /eventbus/websocket}, which the fan-out path serves.
   */
  static RelayProcess switchboard(Path jar, List<String> jvmOptions, int generatorPort, Path workDir) throws IOException {
    int port = freePort();
    Path config = config(port, generatorPort, workDir);
    List<String> command = new java.util.ArrayList<>();
    command.add(javaBinary());
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar.toString(), config.toString()));
    return start("switchboard", command, port, workDir);
  }

  private static Path config(int port, int generatorPort, Path workDir) throws IOException {
    // A fresh data dir each run: a definitions.json left by the last run is the truth at start, and
    // names the last run's generator port.
    Path data = workDir.resolve("data");
    if (Files.isDirectory(data)) {
      try (var files = Files.walk(data)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Path config = workDir.resolve("switchboard-bench.json");
    Files.writeString(config, """
        {
          "http": { "host": "127.0.0.1", "port": %d, "controlToken": "bench-token" },
          "dataDir": "%s",
          "listeners": [
            {
              "name": "%s",
              "type": "upstream",
              "autoStart": true,
              "url": "ws://127.0.0.1:%d/feed",
              "restart": { "initialDelay": "100ms", "maxDelay": "500ms", "jitter": 0,
                           "heartbeatInterval": "10s", "heartbeatTimeout": "5s" }
            }
          ]
        }
        """.formatted(port, data, SOURCE, generatorPort));
    return config;
  }

  /** The hand-written Node {@code ws} relay of {@code modules/bench/node-relay}. */
  static RelayProcess node(Path script, int generatorPort, Path workDir) throws IOException {
    int port = freePort();
    return start("node-ws", List.of("node", script.toString(), Integer.toString(port),
        "ws://127.0.0.1:" + generatorPort + "/feed", SOURCE), port, workDir);
  }

  private static RelayProcess start(String name, List<String> command, int port, Path workDir) throws IOException {
    Path log = workDir.resolve(name + ".log");
    Process process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    RelayProcess relay = new RelayProcess(name, process, port);
    relay.awaitListening(log);
    return relay;
  }

  String name() {
    return name;
  }

  int port() {
    return port;
  }

  ProcessProbe probe() {
    return probe;
  }

  boolean alive() {
    return process.isAlive();
  }

  /** SIGTERM, then SIGKILL if it has not gone within 15 s. */
  void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  private void awaitListening(Path log) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log);
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        pause(50);
      }
    }
    process.destroyForcibly();
    throw new IllegalStateException(name + " did not listen on " + port + " within 60 s; see " + log);
  }

  static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
