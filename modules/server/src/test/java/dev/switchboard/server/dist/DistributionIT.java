package dev.switchboard.server.dist;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * target/switchboard-&lt;version&gt;.tar.gz as {@code mvn package} builds it: its entries, and that it runs
 * once unpacked. Runs in integration-test, after package (mvn verify).
 */
class DistributionIT {
  static final Path REPO = Path.of("../..").toAbsolutePath().normalize();
  static String version;
  static Path archive;

  @TempDir
  Path dir;

  @BeforeAll
  static void packaged() {
    version = System.getProperty("switchboard.version");
    assumeTrue(version != null, "the POM passes switchboard.version to the integration tests");
    archive = LauncherIT.TARGET.resolve("switchboard-" + version + ".tar.gz");
    LauncherIT.requirePackaged(Files.isRegularFile(archive), archive.toString());
  }

  record Entry(int mode, byte[] content) {
  }

  @Test
  @DisplayName("one top directory with bin/switchboard (executable), lib/switchboard.jar, conf/ with the systemd unit, LICENSE, README and docs")
  void entries() throws Exception {
    Map<String, Entry> files = files(archive);
    String top = "switchboard-" + version + "/";
    assertTrue(files.keySet().stream().allMatch(name -> name.startsWith(top)), files.keySet().toString());
    for (String expected : List.of("bin/switchboard", "lib/switchboard.jar", "LICENSE", "README.md",
        "conf/switchboard.json", "conf/examples/upstream.json", "conf/examples/homeassistant.json",
        "conf/examples/alpaca.json", "conf/systemd/switchboard.service", "conf/systemd/switchboard.json",
        "docs/operations.md", "docs/configuration.md")) {
      assertTrue(files.containsKey(top + expected), expected + " in " + files.keySet());
    }
    assertEquals(0755, files.get(top + "bin/switchboard").mode() & 0777, "the launcher is executable");
    assertArrayEquals(Files.readAllBytes(Path.of("src/main/dist/bin/switchboard")), files.get(top + "bin/switchboard").content());
    assertArrayEquals(Files.readAllBytes(LauncherIT.JAR), files.get(top + "lib/switchboard.jar").content(), "the fat jar");
    assertArrayEquals(Files.readAllBytes(REPO.resolve("LICENSE")), files.get(top + "LICENSE").content());
    assertArrayEquals(Files.readAllBytes(REPO.resolve("conf/systemd/switchboard.service")),
        files.get(top + "conf/systemd/switchboard.service").content());
  }

  @Test
  @DisplayName("every file the README and the docs in the archive link to within docs/ and conf/ (the dashboard's picture, another doc) is in it too")
  void linkedFilesAreThere() throws Exception {
    Map<String, Entry> files = files(archive);
    String top = "switchboard-" + version + "/";
    java.util.regex.Pattern link = java.util.regex.Pattern.compile("\\]\\(([^)#:\\s]+)(#[^)]*)?\\)");
    int checked = 0;
    for (Map.Entry<String, Entry> file : files.entrySet()) {
      if (!file.getKey().endsWith(".md")) {
        continue;
      }
      Path page = Path.of(file.getKey().substring(top.length()));
      java.util.regex.Matcher m = link.matcher(new String(file.getValue().content(), StandardCharsets.UTF_8));
      while (m.find()) {
        Path target = (page.getParent() == null ? Path.of(m.group(1)) : page.getParent().resolve(m.group(1))).normalize();
        if ((target.startsWith("docs") || target.startsWith("conf")) && Files.exists(REPO.resolve(target))) {
          assertTrue(files.containsKey(top + target), page + " links to " + target + ", which the archive lacks");
          checked++;
        }
      }
    }
    assertTrue(checked > 20, "only " + checked + " links checked");
  }

  @Test
  @DisplayName("unpacked, bin/switchboard finds lib/switchboard.jar: --version, and --check of the demo config from the top directory")
  void runsUnpacked() throws Exception {
    for (Map.Entry<String, Entry> file : files(archive).entrySet()) {
      Path path = dir.resolve(file.getKey());
      Files.createDirectories(path.getParent());
      Files.write(path, file.getValue().content());
      Files.setPosixFilePermissions(path, permissions(file.getValue().mode()));
    }
    Path home = dir.resolve("switchboard-" + version);
    assertEquals("switchboard " + version, launch(home, "--version").get(0));
    assertTrue(launch(home, "--check").get(0).startsWith("switchboard: conf/switchboard.json is valid"));
  }

  private static List<String> launch(Path home, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(home.resolve("bin/switchboard").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true);
    builder.environment().remove("JAVA_OPTS");
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process process = builder.start();
    List<String> out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), out.toString());
    return out;
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ ... OTHERS_EXECUTE, high bit first
    for (int i = 0; i < bits.length; i++) {
      if ((mode & (0400 >> i)) != 0) {
        set.add(bits[i]);
      }
    }
    return set;
  }

  /**
   * The regular files of a .tar.gz by name, in order: enough of ustar (name, prefix, mode, size, type)
   * and of pax (a long path) for what the assembly plugin writes. The JDK reads no tar.
   */
  static Map<String, Entry> files(Path tarGz) throws IOException {
    Map<String, Entry> files = new LinkedHashMap<>();
    try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(tarGz)))) {
      String longName = null;
      byte[] header = new byte[512];
      while (true) {
        try {
          in.readFully(header);
        } catch (EOFException end) {
          break;
        }
        String name = text(header, 0, 100);
        if (name.isEmpty()) {
          break; // the two zero blocks at the end
        }
        String prefix = text(header, 345, 155);
        int mode = (int) octal(header, 100, 8);
        long size = octal(header, 124, 12);
        char type = (char) header[156];
        byte[] content = in.readNBytes((int) size);
        in.skipNBytes((512 - size % 512) % 512);
        if (type == 'x') {
          longName = paxPath(new String(content, StandardCharsets.UTF_8));
        } else if (type == '0' || type == '\0') {
          files.put(longName != null ? longName : prefix.isEmpty() ? name : prefix + "/" + name, new Entry(mode, content));
          longName = null;
        } else {
          longName = null;
        }
      }
    }
    return files;
  }

  private static String text(byte[] header, int offset, int length) {
    int end = offset;
    while (end < offset + length && header[end] != 0) {
      end++;
    }
    return new String(header, offset, end - offset, StandardCharsets.UTF_8);
  }

  private static long octal(byte[] header, int offset, int length) {
    String digits = text(header, offset, length).trim();
    return digits.isEmpty() ? 0 : Long.parseLong(digits, 8);
  }

  /** pax records are "length key=value\n". */
  private static String paxPath(String records) {
    for (String record : records.split("\n")) {
      int space = record.indexOf(' ');
      if (space > 0 && record.startsWith("path=", space + 1)) {
        return record.substring(space + 1 + "path=".length());
      }
    }
    return null;
  }
}
