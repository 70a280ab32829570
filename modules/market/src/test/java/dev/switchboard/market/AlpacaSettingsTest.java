package dev.switchboard.market;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.Secrets;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A bad alpaca listener config is refused at start, naming the field. */
class AlpacaSettingsTest {

  private static JsonObject valid() {
    return new JsonObject().put("url", "wss://stream.data.alpaca.markets/v2/iex").put("key", "PKTEST").put("secret", "s3cr3t-value");
  }

  private static String refusal(JsonObject json) {
    return assertThrows(ConfigException.class, () -> AlpacaSettings.from(new ConfigSection("listeners[2]", json, AlpacaKind.FIELDS, java.util.Map.of()))).getMessage();
  }

  @Test
  @DisplayName("defaults: 90 s after a 406, no linger, no staleness check, msgpack; the secret is masked from then on")
  void defaults() {
    AlpacaSettings settings = AlpacaSettings.from(new ConfigSection("listeners[2]", valid(), AlpacaKind.FIELDS, java.util.Map.of()));
    assertEquals(Duration.ofSeconds(90), settings.connectionLimitBackoff());
    assertEquals(Duration.ZERO, settings.unsubscribeLinger());
    assertTrue(settings.staleAfter().isEmpty());
    assertEquals(AlpacaSettings.Encoding.MSGPACK, settings.encoding(), "msgpack: it measured faster (docs/performance.md)");
    // A literal secret, read as every definition is: masked from then on, though no placeholder brought it.
    dev.switchboard.core.ListenerKinds.of(new AlpacaKind()).read("listeners[2]", valid().put("name", "m").put("type", "alpaca"),
        java.util.Map.of(), java.nio.file.Path.of("data"), 1);
    assertEquals("secret=***", Secrets.global().redact("secret=s3cr3t-value"));
  }

  @Test
  @DisplayName("the key and the secret never show in the settings' text")
  void textHidesTheCredentials() {
    String text = AlpacaSettings.from(new ConfigSection("l", valid(), AlpacaKind.FIELDS, java.util.Map.of())).toString();
    assertFalse(text.contains("PKTEST") || text.contains("s3cr3t-value"), text);
    assertTrue(text.contains("key=***") && text.contains("secret=***") && text.contains("encoding=MSGPACK"), text);
  }

  @Test
  @DisplayName("tls: a proxy's certificates may be trusted; on a ws:// URL it is refused")
  void tls() {
    JsonObject tls = new JsonObject().put("trustCertificates", "proxy-ca.pem");
    AlpacaSettings settings = AlpacaSettings.from(new ConfigSection("l", valid().put("tls", tls), AlpacaKind.FIELDS, java.util.Map.of()));
    assertEquals(java.nio.file.Path.of("proxy-ca.pem").toAbsolutePath(), settings.tls().trustCertificates());
    assertTrue(settings.tls().verifyHostname());
    assertTrue(refusal(valid().put("url", "ws://localhost:9000/v2/iex").put("tls", tls))
        .startsWith("listeners[2].tls: applies to a wss:// URL only"));
  }

  @Test
  @DisplayName("staleAfter per channel")
  void staleAfter() {
    AlpacaSettings settings = AlpacaSettings.from(new ConfigSection("l", valid().put("staleAfter", new JsonObject().put("quotes", "15s")), AlpacaKind.FIELDS, java.util.Map.of()));
    assertEquals(Duration.ofSeconds(15), settings.staleAfter().get(Channel.QUOTES));
    assertEquals(1, settings.staleAfter().size());
  }

  @Test
  @DisplayName("missing key, unknown field, an unknown staleAfter channel, zero durations, a non-ws URL: refused with the field")
  void refusals() {
    JsonObject noKey = valid();
    noKey.remove("key");
    assertTrue(refusal(noKey).contains("listeners[2].key"), refusal(noKey));
    assertTrue(refusal(valid().put("feed", "iex")).contains("listeners[2].feed"));
    assertTrue(refusal(valid().put("staleAfter", new JsonObject().put("statuses", "5s"))).contains("listeners[2].staleAfter.statuses"));
    assertTrue(refusal(valid().put("staleAfter", new JsonObject().put("trades", 0))).contains("listeners[2].staleAfter.trades"));
    assertTrue(refusal(valid().put("subscriptionTimeout", "0s")).contains("listeners[2].subscriptionTimeout"));
    assertTrue(refusal(valid().put("maxSymbolsPerClient", 0)).contains("listeners[2].maxSymbolsPerClient"));
    assertTrue(refusal(valid().put("url", "https://stream.data.alpaca.markets/v2/iex")).contains("listeners[2].url"));
    assertTrue(refusal(valid().put("encoding", "xml")).contains("listeners[2].encoding"));
    assertEquals(AlpacaSettings.Encoding.JSON, AlpacaSettings.from(new ConfigSection("l", valid().put("encoding", "json"),
        AlpacaKind.FIELDS, java.util.Map.of())).encoding());
  }
}
