package dev.switchboard.server.http;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which Origin headers may use the bridge, and what http.allowedOrigins accepts. */
class AllowedOriginsTest {
  private static AllowedOrigins read(JsonObject http) {
    ConfigSection section = new ConfigSection("http", http);
    AllowedOrigins origins = AllowedOrigins.from(section);
    section.finish();
    return origins;
  }

  @Test
  @DisplayName("by default: no Origin, or the request's own host and port; nothing else")
  void sameOriginByDefault() {
    AllowedOrigins origins = read(new JsonObject());
    assertTrue(origins.allows(null, "127.0.0.1:8080"), "a script: no Origin");
    assertTrue(origins.allows("http://127.0.0.1:8080", "127.0.0.1:8080"));
    assertTrue(origins.allows("http://LOCALHOST:8080", "localhost:8080"));
    assertTrue(origins.allows("http://[::1]:8080", "[::1]:8080"));
    assertTrue(origins.allows("http://switchboard.example.com", "switchboard.example.com"), "default port, left out of both");
    assertTrue(origins.allows("https://switchboard.example.com", "switchboard.example.com"), "TLS ended by a proxy that keeps Host");
    assertTrue(origins.allows("http://switchboard.example.com", "switchboard.example.com:80"));
    for (String[] refused : new String[][] {
        {"http://evil.example.com", "127.0.0.1:8080"},
        {"http://127.0.0.1:8081", "127.0.0.1:8080"},
        {"https://127.0.0.1:8080", "127.0.0.1"},
        {"http://localhost:8080", "127.0.0.1:8080"},
        {"http://127.0.0.1:8080", null},
        {"null", "127.0.0.1:8080"},
        {"http://127.0.0.1:8080/path", "127.0.0.1:8080"},
        {"file://", "127.0.0.1:8080"},
        {"", "127.0.0.1:8080"},
        {"http://127.0.0.1:8080", "127.0.0.1:x"}}) {
      assertFalse(origins.allows(refused[0], refused[1]), refused[0] + " to " + refused[1]);
    }
    assertEquals(Set.of(), origins.listed());
  }

  @Test
  @DisplayName("a listed origin is allowed on any Host, by scheme, name and port; \"*\" allows any")
  void listed() {
    AllowedOrigins origins = read(new JsonObject().put("allowedOrigins", new JsonArray().add("https://App.Example.com").add("http://localhost:3000")));
    assertEquals(Set.of("https://app.example.com", "http://localhost:3000"), origins.listed());
    assertTrue(origins.allows("https://app.example.com", "127.0.0.1:8080"));
    assertTrue(origins.allows("https://app.example.com:443", "127.0.0.1:8080"));
    assertTrue(origins.allows("http://localhost:3000", "127.0.0.1:8080"));
    assertFalse(origins.allows("http://app.example.com", "127.0.0.1:8080"), "another scheme is another origin");
    assertFalse(origins.allows("https://app.example.com:8443", "127.0.0.1:8080"));
    assertFalse(origins.allows("http://localhost:3001", "127.0.0.1:8080"));

    AllowedOrigins any = read(new JsonObject().put("allowedOrigins", new JsonArray().add("*")));
    assertTrue(any.allows("http://evil.example.com", "127.0.0.1:8080"));
    assertTrue(any.allows("null", "127.0.0.1:8080"));
    assertEquals(Set.of("*"), any.listed());
  }

  @Test
  @DisplayName("an entry that is not an origin is refused naming the field")
  void badEntries() {
    for (String bad : new String[] {"app.example.com", "https://app.example.com/", "https://app.example.com/dashboard", "ws://app.example.com",
        "https://user@app.example.com", "null"}) {
      ConfigException e = assertThrows(ConfigException.class, () -> read(new JsonObject().put("allowedOrigins", new JsonArray().add(bad))), bad);
      assertTrue(e.getMessage().startsWith("http.allowedOrigins[0]: must be an origin"), e.getMessage());
    }
  }
}
