package dev.switchboard.server.http;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.server.fanout.FanoutOptions;
import dev.switchboard.server.fanout.SlowClientPolicy;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BridgeOptionsTest {
  private static BridgeOptions read(JsonObject json) {
    return BridgeOptions.from(new ConfigSection("http.bridge", json));
  }

  @Test
  @DisplayName("no http.bridge section: ping timeout 60 s, 500 handlers per socket, 64 KiB messages, replies within 30 s, 4 MiB queues, disconnect")
  void defaults() {
    assertEquals(BridgeOptions.DEFAULTS, read(null));
    assertEquals(new BridgeOptions(Duration.ofSeconds(60), 500, 65_536, Duration.ofSeconds(30), 4 << 20, SlowClientPolicy.DISCONNECT),
        BridgeOptions.DEFAULTS);
    assertEquals(FanoutOptions.defaults(), BridgeOptions.DEFAULTS.fanout(), "both paths start from the same bounds");
  }

  @Test
  @DisplayName("every field is read, and reaches the SockJS bridge, the fan-out path and the HTTP server")
  void fields() {
    BridgeOptions options = read(new JsonObject().put("pingTimeout", "2m").put("maxHandlersPerSocket", 50)
        .put("maxMessageSize", 8192).put("replyTimeout", "5s").put("maxQueuedBytes", 65_536).put("slowClients", "conflate"));
    assertEquals(new BridgeOptions(Duration.ofMinutes(2), 50, 8192, Duration.ofSeconds(5), 65_536, SlowClientPolicy.CONFLATE), options);
    assertEquals(new FanoutOptions(65_536, SlowClientPolicy.CONFLATE, FanoutOptions.defaults().maxBatch(), 120_000, 8192, 5_000, 50, 25_000),
        options.fanout());
    SockJSBridgeOptions bridge = options.applyTo(new SockJSBridgeOptions());
    assertEquals(120_000, bridge.getPingTimeout());
    assertEquals(50, bridge.getMaxHandlersPerSocket());
    assertEquals(5_000, bridge.getReplyTimeout());
    assertEquals(BridgeRules.MAX_ADDRESS_LENGTH, bridge.getMaxAddressLength(), "as on the fan-out path");
    HttpServerOptions server = options.applyTo(new HttpServerOptions());
    assertEquals(8192, server.getMaxWebSocketFrameSize());
    assertEquals(8192, server.getMaxWebSocketMessageSize());
  }

  @Test
  @DisplayName("a wrong field is refused with its name and what is wrong")
  void refusals() {
    assertEquals("http.bridge.pingTimeout: must be at least 10s: the browser client pings every 5 s",
        assertThrows(ConfigException.class, () -> read(new JsonObject().put("pingTimeout", "5s"))).getMessage());
    assertThrows(ConfigException.class, () -> read(new JsonObject().put("maxHandlersPerSocket", 0)));
    assertThrows(ConfigException.class, () -> read(new JsonObject().put("maxMessageSize", 100)));
    assertThrows(ConfigException.class, () -> read(new JsonObject().put("replyTimeout", 0)));
    assertThrows(ConfigException.class, () -> read(new JsonObject().put("maxQueuedBytes", 1000)));
    assertEquals("http.bridge.slowClients: must be \"disconnect\" or \"conflate\", not \"drop\"",
        assertThrows(ConfigException.class, () -> read(new JsonObject().put("slowClients", "drop"))).getMessage());
    assertEquals("http.bridge.pingtimeout: unknown field",
        assertThrows(ConfigException.class, () -> read(new JsonObject().put("pingtimeout", "60s"))).getMessage());
  }
}
