package dev.switchboard.server.dist;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a release carries besides the code: the license, the POM's metadata, and the docs that run it. */
class ReleaseFilesTest {
  static final Path REPO = Path.of("../..").toAbsolutePath().normalize();
  static final Path LAUNCHER = Path.of("src/main/dist/bin/switchboard");

  @Test
  @DisplayName("LICENSE is the whole Apache License 2.0, and the parent POM says so, with its developers and organization")
  void license() throws Exception {
    String license = Files.readString(REPO.resolve("LICENSE"));
    assertTrue(license.strip().startsWith("Apache License"), "the text starts with its title");
    assertTrue(license.contains("Version 2.0, January 2004"));
    for (int section = 1; section <= 9; section++) {
      assertTrue(license.contains("\n   " + section + ". "), "section " + section + " is there");
    }
    assertTrue(license.contains("END OF TERMS AND CONDITIONS"));
    assertTrue(license.contains("APPENDIX: How to apply the Apache License to your work."));

    Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(REPO.resolve("pom.xml").toFile());
    Element project = pom.getDocumentElement();
    assertEquals("Apache-2.0", text(project, "licenses/license/name"));
    assertEquals("https://www.apache.org/licenses/LICENSE-2.0.txt", text(project, "licenses/license/url"));
    assertFalse(text(project, "developers/developer/name").isBlank());
    assertFalse(text(project, "organization/name").isBlank());
  }

  @Test
  @DisplayName("the README runs the launcher and links operations.md, which shows the launcher's default JVM flags as they are")
  void docs() throws Exception {
    String readme = Files.readString(REPO.resolve("README.md"));
    assertTrue(readme.contains("mvn -B -q package -DskipTests && modules/server/target/bin/switchboard"), "the run command");
    assertTrue(readme.contains("(docs/operations.md)"), "a link to operations.md");
    String defaults = LauncherIT.defaultFlags(LAUNCHER).stream().reduce((a, b) -> a + " " + b).orElseThrow();
    for (String doc : List.of("docs/operations.md", "docs/performance.md")) {
      assertTrue(Files.readString(REPO.resolve(doc)).contains("`" + defaults + "`"), doc + " shows the defaults: " + defaults);
    }
    String operations = Files.readString(REPO.resolve("docs/operations.md"));
    for (String topic : List.of("systemctl enable", "journalctl", "/health/live", "/health/ready", "RestartPreventExitStatus",
        "--check", "JAVA_OPTS", "definitions.json")) {
      assertTrue(operations.contains(topic), "operations.md covers " + topic);
    }
  }

  /** The text of the first element along a slash-separated path of child names. */
  private static String text(Element from, String path) {
    Element at = from;
    for (String name : path.split("/")) {
      Element next = null;
      for (var node = at.getFirstChild(); node != null && next == null; node = node.getNextSibling()) {
        if (node instanceof Element e && e.getTagName().equals(name)) {
          next = e;
        }
      }
      assertTrue(next != null, "the POM has " + path);
      at = next;
    }
    return at.getTextContent().strip();
  }
}
