package dev.switchboard.server.dist;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * bin/switchboard as {@code mvn package} builds it, beside the fat jar. Runs in integration-test,
 * after package (mvn verify); skipped when the package is not there (a test-phase run).
 */
class LauncherIT {
  static final Path TARGET = Path.of("target").toAbsolutePath();
  static final Path LAUNCHER = TARGET.resolve("bin/switchboard");
  static final Path JAR = TARGET.resolve("switchboard.jar");
  static final String TOKEN = "launcher-test-token";

  @TempDir
  Path dir;

  @BeforeAll
  static void packaged() {
    requirePackaged(Files.isExecutable(LAUNCHER) && Files.isRegularFile(JAR), "target/bin/switchboard and target/switchboard.jar");
  }

  /**
   * In the POM's integration-test execution (which sets switchboard.version) what package builds must be
   * there: a failure. Run another way (-Dtest in the test phase, an IDE), it may not be built yet: a skip.
   */
  static void requirePackaged(boolean present, String what) {
    String message = "needs " + what + ": mvn verify builds them in package, then runs this test";
    if (System.getProperty("switchboard.version") != null) {
      assertTrue(present, message);
    } else {
      assumeTrue(present, message);
    }
  }

  /** The JVM flags the launcher uses when JAVA_OPTS is not set, as written in it. */
  static List<String> defaultFlags(Path launcher) throws IOException {
    Matcher m = Pattern.compile("(?m)^DEFAULT_JAVA_OPTS=\"([^\"]*)\"$").matcher(Files.readString(launcher));
    assertTrue(m.find(), "the launcher sets DEFAULT_JAVA_OPTS");
    return List.of(m.group(1).trim().split("\\s+"));
  }

  record Run(int exitCode, List<String> out, List<String> err) {
  }

  /** The launcher with a real JAVA_HOME and without JAVA_OPTS, in the temp dir, its output to files. */
  ProcessBuilder launcher(Path launcher, String... args) {
    List<String> command = new ArrayList<>(List.of(launcher.toString()));
    command.addAll(Arrays.asList(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
        .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
    builder.environment().remove("JAVA_OPTS");
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().put("TEST_TOKEN", TOKEN);
    return builder;
  }

  Run run(ProcessBuilder builder) throws Exception {
    Process process = builder.start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "ends: " + builder.command());
    return new Run(process.exitValue(), Files.readAllLines(dir.resolve("out.txt")), Files.readAllLines(dir.resolve("err.txt")));
  }

  Path config(int port) throws IOException {
    JsonObject config = new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", port).put("controlToken", "${TEST_TOKEN}"))
        .put("dataDir", dir.resolve("data").toString())
        .put("listeners", new JsonArray().add(new JsonObject().put("name", "feed").put("type", "upstream")
            .put("autoStart", false).put("url", "ws://127.0.0.1:9/x")));
    Path file = dir.resolve("switchboard.json");
    Files.writeString(file, config.encodePrettily());
    return file;
  }

  @Test
  @DisplayName("--version prints the version from the jar's manifest and exits 0")
  void version() throws Exception {
    String expected = System.getProperty("switchboard.version");
    assumeTrue(expected != null, "the POM passes switchboard.version to the integration tests");
    Run run = run(launcher(LAUNCHER, "--version"));
    assertEquals(0, run.exitCode(), run.err().toString());
    assertEquals(List.of("switchboard " + expected), run.out());
  }

  @Test
  @DisplayName("--check: 0 for a good config, 2 and the one line naming the field for a bad one; nothing started")
  void check() throws Exception {
    Path file = config(freePort());
    Run good = run(launcher(LAUNCHER, "--check", file.toString()));
    assertEquals(0, good.exitCode(), good.err().toString());
    assertEquals(List.of("switchboard: " + file + " is valid (1 listener(s) in the file)"), good.out());

    Files.writeString(file, new JsonObject(Files.readString(file)).put("statusInterval", "soon").encode());
    Run bad = run(launcher(LAUNCHER, "--check", file.toString()));
    assertEquals(2, bad.exitCode());
    assertEquals(1, bad.err().size(), bad.err().toString());
    assertTrue(bad.err().get(0).startsWith("switchboard: config error in " + file + ": statusInterval: "), bad.err().get(0));
    assertEquals(List.of(), bad.out(), "no log line: nothing was started");
  }

  @Test
  @DisplayName("the launcher execs the JVM with its default flags: SIGTERM to its pid stops Switchboard cleanly, exit 0")
  void sigtermReachesTheJvm() throws Exception {
    int port = freePort();
    Process process = launcher(LAUNCHER, config(port).toString()).start();
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!answers(http, port)) {
        assertTrue(process.isAlive(), "the process runs: " + Files.readString(dir.resolve("err.txt")));
        assertTrue(System.nanoTime() < deadline, "the server answers within 60 s");
        Thread.sleep(100);
      }
      // exec: the launcher's pid is the JVM's, with the launcher's default flags.
      Path cmdline = Path.of("/proc", Long.toString(process.pid()), "cmdline");
      if (Files.exists(cmdline)) {
        List<String> argv = List.of(new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).split("\0"));
        assertTrue(argv.get(0).endsWith("/bin/java"), argv.toString());
        assertEquals(defaultFlags(LAUNCHER), argv.subList(1, argv.indexOf("-jar")), argv.toString());
      }
      process.destroy(); // SIGTERM
      assertTrue(process.waitFor(40, TimeUnit.SECONDS), "the process ends");
      assertEquals(0, process.exitValue(), "a clean stop; stderr: " + Files.readString(dir.resolve("err.txt")));
      assertTrue(Files.readString(dir.resolve("out.txt")).contains("stopped cleanly"));
    } finally {
      // A launcher without exec would leave its JVM behind.
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }

  @Test
  @DisplayName("JAVA_HOME picks the java, JAVA_OPTS replaces the default flags (split, not globbed), arguments pass unchanged, symlinks are followed")
  void javaHomeAndJavaOpts() throws Exception {
    // A java that prints its arguments, one a line.
    Path fakeHome = fakeJavaHome("for a in \"$@\"; do echo \"$a\"; done");
    Files.writeString(dir.resolve("a file"), "a glob would find me");
    Path link = dir.resolve("switchboard");
    Files.createSymbolicLink(link, LAUNCHER);
    List<String> tail = List.of("-jar", JAR.toRealPath().toString(), "--check", "my config.json");

    ProcessBuilder defaults = launcher(link, "--check", "my config.json");
    defaults.environment().put("JAVA_HOME", fakeHome.toString());
    Run run = run(defaults);
    assertEquals(0, run.exitCode(), run.err().toString());
    List<String> expected = new ArrayList<>(defaultFlags(LAUNCHER));
    expected.addAll(tail);
    assertEquals(expected, run.out());

    ProcessBuilder own = launcher(LAUNCHER, "--check", "my config.json");
    own.environment().put("JAVA_HOME", fakeHome.toString());
    own.environment().put("JAVA_OPTS", " -Xmx300m   -Dswitchboard.x=1 * ");
    expected = new ArrayList<>(List.of("-Xmx300m", "-Dswitchboard.x=1", "*"));
    expected.addAll(tail);
    assertEquals(expected, run(own).out());

    ProcessBuilder none = launcher(LAUNCHER, "--check", "my config.json");
    none.environment().put("JAVA_HOME", fakeHome.toString());
    none.environment().put("JAVA_OPTS", "");
    assertEquals(tail, run(none).out(), "JAVA_OPTS set empty: the JVM's own defaults");
  }

  @Test
  @DisplayName("SWITCHBOARD_CLASSPATH adds jars: the main class runs on the class path, with the manifest's Add-Opens as flags")
  void extraClassPath() throws Exception {
    Path fakeHome = fakeJavaHome("for a in \"$@\"; do echo \"$a\"; done");
    ProcessBuilder extra = launcher(LAUNCHER, "--check", "my config.json");
    extra.environment().put("JAVA_HOME", fakeHome.toString());
    extra.environment().put("JAVA_OPTS", "-Xmx300m");
    extra.environment().put("SWITCHBOARD_CLASSPATH", "/opt/kinds/my kind.jar:/opt/kinds/other.jar");
    List<String> expected = new ArrayList<>(List.of("-Xmx300m"));
    java.util.jar.Attributes manifest;
    try (java.util.jar.JarFile jar = new java.util.jar.JarFile(JAR.toFile())) {
      manifest = jar.getManifest().getMainAttributes();
    }
    for (String open : manifest.getValue("Add-Opens").trim().split("\\s+")) {
      expected.add("--add-opens=" + open + "=ALL-UNNAMED");
    }
    for (String export : manifest.getValue("Add-Exports").trim().split("\\s+")) {
      expected.add("--add-exports=" + export + "=ALL-UNNAMED");
    }
    expected.addAll(List.of("-cp", JAR.toRealPath() + ":/opt/kinds/my kind.jar:/opt/kinds/other.jar",
        "dev.switchboard.server.Main", "--check", "my config.json"));
    assertEquals(expected, run(extra).out());
  }

  @Test
  @DisplayName("called by a relative path that CDPATH also finds, the launcher still finds its jar (a cd through CDPATH prints)")
  void cdPathDoesNotMisleadTheLauncher() throws Exception {
    Path fakeHome = fakeJavaHome("for a in \"$@\"; do echo \"$a\"; done");
    Files.createSymbolicLink(dir.resolve("dist"), LAUNCHER.getParent().getParent());
    ProcessBuilder relative = launcher(Path.of("dist/bin/switchboard"), "--version");
    relative.environment().put("JAVA_HOME", fakeHome.toString());
    relative.environment().put("CDPATH", dir.toString());
    Run run = run(relative);
    assertEquals(0, run.exitCode(), "out: " + run.out() + "; err: " + run.err());
    assertEquals(List.of("-jar", JAR.toRealPath().toString(), "--version"), run.out().subList(run.out().size() - 3, run.out().size()));
  }

  @Test
  @DisplayName("the cluster demo exits 1, with the process's log, when a process it starts ends before it is up")
  void clusterDemoSaysWhenAProcessCannotStart() throws Exception {
    // A java that cannot start anything: the demo's first process, the simulators, ends at once.
    Path fakeHome = fakeJavaHome("echo 'no JVM here' >&2\nexit 1");
    Files.createDirectories(dir.resolve("conf/cluster"));
    for (String name : List.of("simulators", "node-a", "node-b", "node-c")) {
      Files.writeString(dir.resolve("conf/cluster/" + name + ".json"), "{}");
    }
    ProcessBuilder demo = launcher(LAUNCHER.resolveSibling("switchboard-cluster-demo"));
    demo.environment().put("JAVA_HOME", fakeHome.toString());
    Run run = run(demo);
    assertEquals(1, run.exitCode(), "out: " + run.out() + "; err: " + run.err());
    assertTrue(run.err().contains("simulators ended; its log:") && run.err().contains("no JVM here"), run.err().toString());
  }

  /** A JAVA_HOME whose bin/java is this shell script. */
  private Path fakeJavaHome(String script) throws IOException {
    Path home = dir.resolve("jdk");
    Files.createDirectories(home.resolve("bin"));
    Path java = home.resolve("bin/java");
    Files.writeString(java, "#!/bin/sh\n" + script + "\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    return home;
  }

  private static boolean answers(HttpClient http, int port) {
    try {
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/listeners"))
          .timeout(Duration.ofSeconds(2)).build();
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException notYet) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
