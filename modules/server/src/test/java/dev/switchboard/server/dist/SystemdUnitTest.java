package dev.switchboard.server.dist;

import dev.switchboard.core.ConfigException;
import dev.switchboard.server.config.ConfigLoader;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** conf/systemd/: the unit's key lines and its starter config. systemd does not run here: its lines are read. */
class SystemdUnitTest {
  static final Path REPO = Path.of("../..").toAbsolutePath().normalize();
  static final Path UNIT = REPO.resolve("conf/systemd/switchboard.service");
  static final Path STARTER = REPO.resolve("conf/systemd/switchboard.json");

  @TempDir
  Path dir;

  /** section -> key -> values, in order (a key may repeat); comments and blank lines left out. */
  static Map<String, Map<String, List<String>>> read(Path unit) throws Exception {
    Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
    Map<String, List<String>> section = null;
    for (String raw : Files.readAllLines(unit)) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      if (line.startsWith("[")) {
        section = sections.computeIfAbsent(line.substring(1, line.indexOf(']')), s -> new LinkedHashMap<>());
        continue;
      }
      int eq = line.indexOf('=');
      assertTrue(section != null && eq > 0, "a key=value line in a section: " + line);
      section.computeIfAbsent(line.substring(0, eq).strip(), k -> new ArrayList<>()).add(line.substring(eq + 1).strip());
    }
    return sections;
  }

  private static String one(Map<String, List<String>> section, String key) {
    List<String> values = section.getOrDefault(key, List.of());
    assertEquals(1, values.size(), key + " once: " + values);
    return values.get(0);
  }

  @Test
  @DisplayName("the unit runs the launcher as an unprivileged user, restarts on failure but not on exit 2, stops with SIGTERM")
  void keyLines() throws Exception {
    Map<String, List<String>> service = read(UNIT).get("Service");
    assertEquals("/opt/switchboard/bin/switchboard /etc/switchboard/switchboard.json", one(service, "ExecStart"));
    assertEquals("on-failure", one(service, "Restart"));
    assertTrue(List.of(one(service, "RestartPreventExitStatus").split("\\s+")).contains("2"),
        "a bad config (exit 2) is not restarted");
    assertEquals("SIGTERM", one(service, "KillSignal"));
    assertTrue(one(service, "TimeoutStopSec").matches("(3[1-9]|[4-9][0-9])s"),
        "systemd waits longer than the 30 s the process gives its listeners to close");
    String user = one(service, "User");
    assertNotEquals("root", user);
    assertNotEquals("0", user);
    assertEquals("switchboard", one(service, "StateDirectory"));
    assertEquals("/var/lib/switchboard", one(service, "WorkingDirectory"));
    assertEquals("/etc/switchboard/switchboard.env", one(service, "EnvironmentFile"));
    assertEquals("multi-user.target", one(read(UNIT).get("Install"), "WantedBy"));
  }

  @Test
  @DisplayName("the starter config keeps its data in the unit's StateDirectory, and needs SWITCHBOARD_TOKEN from the env file")
  void starterConfig() throws Exception {
    JsonObject config = new JsonObject(Files.readString(STARTER));
    assertEquals("/var/lib/" + one(read(UNIT).get("Service"), "StateDirectory"), config.getString("dataDir"));
    // Valid as shipped, but for a data dir this test can write.
    JsonObject here = config.copy().put("dataDir", dir.resolve("data").toString());
    new ConfigLoader(Map.of("SWITCHBOARD_TOKEN", "a-secret-of-32-characters-at-least")).parse(here);
    ConfigException noToken = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).parse(here));
    assertTrue(noToken.getMessage().contains("SWITCHBOARD_TOKEN"), noToken.getMessage());
  }

  @Test
  @DisplayName("systemd-analyze verify finds nothing to say about the unit (where systemd-analyze is installed)")
  void systemdAnalyzeVerify() throws Exception {
    assumeTrue(onPath("systemd-analyze"), "systemd-analyze is not installed");
    // verify checks that ExecStart's program exists: point it at the launcher of this checkout.
    Path launcher = Path.of("src/main/dist/bin/switchboard").toAbsolutePath();
    assertTrue(Files.isExecutable(launcher), launcher + " is executable in the checkout");
    Path unit = dir.resolve("switchboard.service");
    Files.writeString(unit, Files.readString(UNIT).replace("/opt/switchboard/bin/switchboard", launcher.toString()));
    Process process = new ProcessBuilder("systemd-analyze", "verify", unit.toString()).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    // It exits 0 even for an unknown key or a bad value, and says so: every line about this unit is a finding.
    List<String> findings = out.lines().filter(l -> l.contains("switchboard.service")).toList();
    assertEquals(List.of(), findings, out);
    assertEquals(0, process.exitValue(), out);
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    return path != null && List.of(path.split(File.pathSeparator)).stream()
        .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, program)));
  }
}
