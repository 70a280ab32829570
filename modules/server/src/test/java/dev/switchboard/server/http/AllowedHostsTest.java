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

/** Which Host headers the server answers to, and what http.allowedHosts accepts. */
class AllowedHostsTest {
  private static AllowedHosts read(JsonObject http) {
    ConfigSection section = new ConfigSection("http", http);
    AllowedHosts hosts = AllowedHosts.from(section, http.getString("host", "127.0.0.1"));
    section.accept("host").finish();
    return hosts;
  }

  @Test
  @DisplayName("by default: the loopback names and http.host, with or without a port; nothing else")
  void defaults() {
    AllowedHosts hosts = read(new JsonObject().put("host", "192.168.1.20"));
    for (String allowed : new String[] {"localhost", "LOCALHOST:8080", "127.0.0.1", "127.0.0.1:8080", "[::1]", "[::1]:8080",
        "192.168.1.20", "192.168.1.20:80"}) {
      assertTrue(hosts.allows(allowed), allowed);
    }
    assertTrue(hosts.allows(null), "no Host at all (HTTP/1.0)");
    for (String refused : new String[] {"evil.example.com", "evil.example.com:8080", "localhost.evil.example.com", "127.0.0.1:x",
        "127.0.0.1:80:80", "[::1", "", "::1"}) {
      assertFalse(hosts.allows(refused), refused);
    }
    assertEquals(Set.of("localhost", "127.0.0.1", "[::1]", "[::2]"), read(new JsonObject().put("host", "::2")).names());
  }

  @Test
  @DisplayName("a list replaces the default; \"*\" allows any name; a scheme, port or path is refused naming the entry")
  void configured() {
    AllowedHosts hosts = read(new JsonObject().put("allowedHosts", new JsonArray().add("switchboard.example.com").add("::1")));
    assertTrue(hosts.allows("Switchboard.Example.com:443"));
    assertTrue(hosts.allows("[::1]:8080"));
    assertFalse(hosts.allows("localhost"));
    assertTrue(read(new JsonObject().put("allowedHosts", new JsonArray().add("*"))).allows("anything.example"));
    assertEquals("http.allowedHosts[1]: must be a host name or an address, without scheme, port or path (any port is accepted), not 'example.com:8080'",
        assertThrows(ConfigException.class, () -> read(new JsonObject().put("allowedHosts", new JsonArray().add("a.example").add("example.com:8080"))))
            .getMessage());
    assertThrows(ConfigException.class, () -> read(new JsonObject().put("allowedHosts", new JsonArray().add("http://example.com"))));
    assertThrows(ConfigException.class, () -> read(new JsonObject().put("allowedHosts", new JsonArray())));
  }

  @Test
  @DisplayName("loopback: localhost, 127.0.0.0/8 and ::1; anything else, names included, is not")
  void loopback() {
    for (String yes : new String[] {"localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"}) {
      assertTrue(AllowedHosts.isLoopback(yes), yes);
    }
    for (String no : new String[] {"0.0.0.0", "::", "192.168.1.2", "example.com", "127.0.0.1.example.com", "128.0.0.1"}) {
      assertFalse(AllowedHosts.isLoopback(no), no);
    }
  }
}
