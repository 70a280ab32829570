package dev.switchboard.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The options that answer and exit without starting anything: --check, --version, --help. */
class MainCommandsTest {
  @TempDir
  Path dir;

  record Answer(int exitCode, List<String> out, List<String> err) {
  }

  private static Answer main(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Main.Starting result = Main.start(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertNull(result.app(), "nothing is started");
    return new Answer(result.exitCode(), out.toString(StandardCharsets.UTF_8).lines().toList(),
        err.toString(StandardCharsets.UTF_8).lines().toList());
  }

  private Path config(JsonObject json) throws Exception {
    Path file = dir.resolve("switchboard.json");
    Files.writeString(file, json.encodePrettily());
    return file;
  }

  private JsonObject valid() {
    // A literal token: the check reads the process's own environment, as a start does.
    JsonObject config = ServerFixture.config(dir.resolve("data"), ServerFixture.feedListener("feed", "ws://127.0.0.1:9/x", true));
    config.getJsonObject("http").put("controlToken", ServerFixture.TOKEN);
    return config;
  }

  @Test
  @DisplayName("--check of a valid config: exit 0 and one line, with no server started")
  void checkValid() throws Exception {
    Path file = config(valid());
    Answer answer = main("--check", file.toString());
    assertEquals(0, answer.exitCode(), answer.err().toString());
    assertEquals(List.of("switchboard: " + file + " is valid (1 listener(s) in the file)"), answer.out());
    assertEquals(List.of(), answer.err());
  }

  @Test
  @DisplayName("--check of a bad config: exit 2 and the start's one line naming the field")
  void checkInvalid() throws Exception {
    Path file = config(valid().put("extra", true));
    Answer answer = main("--check", file.toString());
    assertEquals(2, answer.exitCode());
    assertEquals(List.of("switchboard: config error in " + file + ": extra: unknown field"), answer.err());
    assertEquals(List.of(), answer.out());

    JsonObject badListener = valid();
    badListener.getJsonArray("listeners").getJsonObject(0).put("url", "tcp://h:1/x");
    answer = main("--check", config(badListener).toString());
    assertEquals(2, answer.exitCode());
    assertTrue(answer.err().get(0).contains("listeners[0].url: must be a ws:// or wss:// URL"), answer.err().toString());

    answer = main("--check", dir.resolve("missing.json").toString());
    assertEquals(2, answer.exitCode());
    assertTrue(answer.err().get(0).endsWith("missing.json: no such file"), answer.err().toString());
  }

  @Test
  @DisplayName("--version answers from the jar manifest, and says so when run from classes; a wrong command line is exit 2")
  void versionAndUsage() {
    Answer version = main("--version");
    assertEquals(0, version.exitCode());
    // Tests run from target/classes, which has no manifest: the jar's answer is LauncherIT's.
    assertEquals(List.of("switchboard " + Main.version()), version.out());
    assertTrue(version.out().get(0).startsWith("switchboard "));

    Answer help = main("--help");
    assertEquals(0, help.exitCode());
    assertTrue(help.out().stream().anyMatch(l -> l.contains("--check")), help.out().toString());

    for (String[] wrong : List.of(new String[] {"--check", "a.json", "b.json"}, new String[] {"--version", "x"},
        new String[] {"--chekc"}, new String[] {"a.json", "b.json"})) {
      Answer answer = main(wrong);
      assertEquals(2, answer.exitCode(), List.of(wrong).toString());
      assertEquals(1, answer.err().size());
      assertTrue(answer.err().get(0).startsWith("usage: "), answer.err().toString());
    }
  }
}
