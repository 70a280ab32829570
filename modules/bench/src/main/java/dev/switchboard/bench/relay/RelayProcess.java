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

  /** Debian's Python, the one python3-websockets installs into (a pyenv python3 first on the PATH would not see it). */
  static final String DEBIAN_PYTHON = "/usr/bin/python3";
  /** Where every relay here takes its clients (Switchboard's bridge raw endpoint; the peers take any path). */
  static final String CLIENT_PATH = "/eventbus/websocket";
  /** Switchboard's plain subscription: each frame is the upstream's message as it came, as Node-RED sends it. */
  static final String SUBSCRIBE_PATH = "/subscribe?address=" + ADDRESS + "&format=data";

  private final String name;
  private final Process process;
  private final int port;
  private final String clientPath;
  private final ProcessProbe probe;

  private RelayProcess(String name, Process process, int port, String clientPath) {
    this.name = name;
    this.process = process;
    this.port = port;
    this.clientPath = clientPath;
    this.probe = new ProcessProbe(process.pid());
  }

  /**
   * How Switchboard is started and where its clients connect: the README's launcher (its JVM defaults)
   * or {@code java -jar} with the given flags; the bridge's raw endpoint or {@code /subscribe}.
   */
  enum Launch {
    LAUNCHER("switchboard", CLIENT_PATH), JAR("switchboard-jar", CLIENT_PATH), LAUNCHER_SUBSCRIBE("switchboard-subscribe", SUBSCRIBE_PATH);

    final String relayName;
    final String clientPath;

    Launch(String relayName, String clientPath) {
      this.relayName = relayName;
      this.clientPath = clientPath;
    }
  }

  /**
   * Switchboard's fat jar with one {@code upstream} listener on the generator; clients on the raw
   * bridge endpoint {@code /eventbus/websocket} or on {@code /subscribe}, both served by the fan-out path.
   */
  static RelayProcess switchboard(Launch launch, Path jar, List<String> jvmOptions, Integer eventLoops, int generatorPort,
                                  Path workDir) throws IOException {
    int port = freePort();
    Path config = config(launch.relayName, port, generatorPort, eventLoops, workDir);
    List<String> command = new java.util.ArrayList<>();
    if (launch != Launch.JAR) {
      // bin/switchboard execs the JVM (same pid), so /proc shows the JVM's own CPU and memory.
      command.add(jar.resolveSibling("bin").resolve("switchboard").toString());
    } else {
      command.add(javaBinary());
      command.addAll(jvmOptions);
      command.add("-jar");
      command.add(jar.toString());
    }
    command.add(config.toString());
    ProcessBuilder builder = new ProcessBuilder(command);
    if (launch != Launch.JAR) {
      builder.environment().remove("JAVA_OPTS"); // the launcher's defaults, as the README's command runs it
      builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    }
    return start(launch.relayName, builder, port, launch.clientPath, workDir);
  }

  /**
   * The config and data dir of one Switchboard relay, {@code <workDir>/<relay>/}: two Switchboards in one
   * row (switchboard and switchboard-jar) run side by side, and must not share a data dir.
   *
   * @param eventLoops the config's {@code eventLoops}; null: left out, the product's default
   */
  private static Path config(String relayName, int port, int generatorPort, Integer eventLoops, Path workDir) throws IOException {
    Path home = Files.createDirectories(workDir.resolve(relayName));
    // A fresh data dir each run: a definitions.json left by the last run is the truth at start, and
    // names the last run's generator port.
    Path data = home.resolve("data");
    if (Files.isDirectory(data)) {
      try (var files = Files.walk(data)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Path config = home.resolve("switchboard-bench.json");
    Files.writeString(config, """
        {
          "http": { "host": "127.0.0.1", "port": %d, "controlToken": "bench-token" },
          "dataDir": "%s",%s
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
        """.formatted(port, data, eventLoops == null ? "" : "\n  \"eventLoops\": " + eventLoops + ",", SOURCE, generatorPort));
    return config;
  }

  /** The hand-written Node {@code ws} relay of {@code modules/bench/node-relay}. */
  static RelayProcess node(Path script, int generatorPort, Path workDir) throws IOException {
    int port = freePort();
    return start("node-ws", new ProcessBuilder("node", script.toString(), Integer.toString(port),
        "ws://127.0.0.1:" + generatorPort + "/feed", SOURCE), port, workDir);
  }

  /** The relay a user would write with Python's {@code websockets}: {@code modules/bench/python-relay/relay.py}. */
  static RelayProcess python(Path script, int generatorPort, Path workDir) throws IOException {
    int port = freePort();
    return start("python", new ProcessBuilder(DEBIAN_PYTHON, script.toString(), Integer.toString(port),
        "ws://127.0.0.1:" + generatorPort + "/feed", SOURCE), port, workDir);
  }

  /**
   * Node-RED (from {@code modules/bench/node-red}, {@code npm ci}) with the flow a user builds for a
   * relay: websocket in (a client of the generator) -> change (delete {@code msg._session}, or the
   * out node would answer only the upstream's session) -> websocket out (a listener on the clients'
   * path, broadcasting each payload as it came). Its own userDir in a fresh temp directory.
   */
  static RelayProcess nodeRed(Path home, int generatorPort, Path workDir) throws IOException {
    int port = freePort();
    Path userDir = Files.createTempDirectory("node-red-bench");
    Files.writeString(userDir.resolve("flows.json"), """
        [
          {"id": "relay", "type": "tab", "label": "relay"},
          {"id": "upstream", "type": "websocket-client", "path": "ws://127.0.0.1:%d/feed", "tls": "", "wholemsg": "false",
           "hb": "0", "subprotocol": "", "headers": []},
          {"id": "clients", "type": "websocket-listener", "path": "%s", "wholemsg": "false"},
          {"id": "in", "type": "websocket in", "z": "relay", "name": "", "server": "", "client": "upstream", "x": 100, "y": 80,
           "wires": [["unsession"]]},
          {"id": "unsession", "type": "change", "z": "relay", "name": "", "x": 300, "y": 80,
           "rules": [{"t": "delete", "p": "_session", "pt": "msg"}], "wires": [["out"]]},
          {"id": "out", "type": "websocket out", "z": "relay", "name": "", "server": "clients", "client": "", "x": 500, "y": 80,
           "wires": []}
        ]
        """.formatted(generatorPort, CLIENT_PATH));
    ProcessBuilder builder = new ProcessBuilder("node", home.resolve("node_modules/node-red/red.js").toString(),
        "--userDir", userDir.toString(), "--settings", home.resolve("settings.js").toAbsolutePath().toString());
    builder.environment().put("NODE_RED_PORT", Integer.toString(port));
    return start("node-red", builder, port, workDir);
  }

  private static RelayProcess start(String name, ProcessBuilder builder, int port, Path workDir) throws IOException {
    return start(name, builder, port, CLIENT_PATH, workDir);
  }

  private static RelayProcess start(String name, ProcessBuilder builder, int port, String clientPath, Path workDir)
      throws IOException {
    Path log = workDir.resolve(name + ".log");
    Process process = builder
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    RelayProcess relay = new RelayProcess(name, process, port, clientPath);
    relay.awaitListening(log);
    return relay;
  }

  String name() {
    return name;
  }

  int port() {
    return port;
  }

  /** The path (and query) its clients connect to. */
  String clientPath() {
    return clientPath;
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
