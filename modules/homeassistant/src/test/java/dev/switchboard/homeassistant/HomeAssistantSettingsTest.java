package dev.switchboard.homeassistant;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.ListenerKind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The listener's config is read strictly: every mistake names its field. */
class HomeAssistantSettingsTest {
  private static final String URL = "ws://homeassistant.local:8123/api/websocket";

  private static HomeAssistantSettings read(JsonObject json) {
    return HomeAssistantSettings.from(new ConfigSection("listeners[0]", json, HomeAssistantKind.FIELDS, java.util.Map.of()));
  }

  private static String refused(JsonObject json) {
    return assertThrows(ConfigException.class, () -> read(json)).getMessage();
  }

  @Test
  @DisplayName("defaults: state_changed, no stale check, 10 s command timeout, 16 MiB frames")
  void defaults() {
    HomeAssistantSettings s = read(new JsonObject().put("url", URL).put("token", "abc"));
    assertEquals(List.of("state_changed"), s.eventTypes());
    assertFalse(s.staleCheck());
    assertEquals(Duration.ofSeconds(10), s.commandTimeout());
    assertEquals(16 * 1024 * 1024, s.maxFrameSize());
    assertEquals(dev.switchboard.core.UpstreamTls.JVM_DEFAULT, s.tls());
  }

  @Test
  @DisplayName("every field read, with durations")
  void allFields() {
    HomeAssistantSettings s = read(new JsonObject().put("url", "wss://ha.example.org/api/websocket").put("token", "abc")
        .put("eventTypes", new JsonArray().add("state_changed").add("call_service")).put("staleAfter", "5m")
        .put("commandTimeout", "3s").put("maxFrameSize", 1_048_576)
        .put("tls", new JsonObject().put("trustCertificates", "/etc/switchboard/ha-ca.pem").put("verifyHostname", false)));
    assertEquals(List.of("state_changed", "call_service"), s.eventTypes());
    assertEquals(java.nio.file.Path.of("/etc/switchboard/ha-ca.pem"), s.tls().trustCertificates());
    assertFalse(s.tls().verifyHostname());
    assertEquals(Duration.ofMinutes(5), s.staleAfter());
    assertEquals(Duration.ofSeconds(3), s.commandTimeout());
    assertEquals(1_048_576, s.maxFrameSize());
  }

  @Test
  @DisplayName("mistakes are refused with the field's name")
  void mistakes() {
    JsonObject ok = new JsonObject().put("url", URL).put("token", "abc");
    assertTrue(refused(ok.copy().put("url", "http://homeassistant.local:8123")).startsWith("listeners[0].url"));
    assertTrue(refused(ok.copy().put("url", "ws://homeassistant.local:8123/")).contains("must end with /api/websocket"));
    assertTrue(refused(new JsonObject().put("url", URL)).startsWith("listeners[0].token"));
    assertTrue(refused(ok.copy().put("eventTypes", new JsonArray())).startsWith("listeners[0].eventTypes"));
    assertTrue(refused(ok.copy().put("eventTypes", new JsonArray().add("a").add("a"))).startsWith("listeners[0].eventTypes[1]"));
    assertTrue(refused(ok.copy().put("eventTypes", new JsonArray().add("*").add("state_changed"))).contains("list it alone"));
    assertTrue(refused(ok.copy().put("commandTimeout", 0)).startsWith("listeners[0].commandTimeout"));
    assertTrue(refused(ok.copy().put("staleAfter", "soon")).startsWith("listeners[0].staleAfter"));
    assertTrue(refused(ok.copy().put("maxFrameSize", 10)).startsWith("listeners[0].maxFrameSize"));
    assertTrue(refused(ok.copy().put("evenTypes", new JsonArray().add("x"))).startsWith("listeners[0].evenTypes"));
  }

  @Test
  @DisplayName("the token never shows in the settings' text")
  void tokenHidden() {
    HomeAssistantSettings s = read(new JsonObject().put("url", URL).put("token", "very-secret-token"));
    assertFalse(s.toString().contains("very-secret-token"));
  }

  @Test
  @DisplayName("the server finds the kind as \"homeassistant\" through META-INF/services")
  void foundByTheServer() {
    assertTrue(ServiceLoader.load(ListenerKind.class).stream().anyMatch(k -> k.get().type().equals("homeassistant")));
  }
}
