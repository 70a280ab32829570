package dev.switchboard.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.switchboard.core.Addresses;
import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.switchboard.server.BridgeClient.sendFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a browser may do on the bridge: listen and ask freely, act only with the control token,
 * and every refusal audited without the token in it.
 */
@ExtendWith(VertxExtension.class)
class BridgePermissionsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** The raw endpoint is served by the fan-out path. */
  private static final String BRIDGE_LOGGER = "dev.switchboard.server.fanout";

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private FeedSimulator sim;
  private Switchboard app;
  private LogCapture audit;
  private LogCapture bridgeLog;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(0));
    vertx.deployVerticle(sim).await();
    audit = LogCapture.of("switchboard.audit");
    bridgeLog = LogCapture.of(BRIDGE_LOGGER);
    app = ServerFixture.start(ServerFixture.config(dataDir, ServerFixture.feedListener("feed", sim.url(), true)));
    Await.until(WAIT, "feed connected", () -> "CONNECTED".equals(status().getString("state")));
  }

  @AfterEach
  void tearDown() {
    audit.close();
    bridgeLog.close();
    app.stop().await();
  }

  private BridgeClient connect() {
    return BridgeClient.connect(vertx, app.httpPort(), "/eventbus/websocket");
  }

  private JsonObject status() {
    return app.vertx().eventBus().<JsonObject>request(Addresses.CONTROL, new JsonObject().put("action", "status").put("name", "feed"))
        .await().body().getJsonObject("listener");
  }

  private List<ILoggingEvent> auditLines(Level level) {
    return audit.list().stream().filter(e -> e.getLevel() == level).toList();
  }

  @Test
  @DisplayName("a control send without the token is refused with a reply saying why, audited, and nothing is stopped")
  void controlWithoutToken() {
    BridgeClient browser = connect();
    browser.send(sendFrame(Addresses.CONTROL, new JsonObject().put("action", "stop").put("name", "feed"), "r-no-token", null));

    JsonObject reply = browser.reply("r-no-token");
    assertEquals("err", reply.getString("type"));
    assertEquals(401, reply.getInteger("failureCode"));
    assertTrue(reply.getString("message").contains("control token"), reply.encode());
    Await.until(WAIT, "the bridge's own rejection", () -> browser.errors("rejected") == 1);

    List<ILoggingEvent> refused = Await.until(WAIT, "an audit line", () -> auditLines(Level.WARN), l -> !l.isEmpty());
    String line = refused.get(0).getFormattedMessage();
    assertTrue(line.contains(Addresses.CONTROL) && line.contains("no token") && line.contains("bridge socket "), line);
    assertTrue(status().getBoolean("is_active"), "the listener must not have been stopped");
    assertEquals("CONNECTED", status().getString("state"));
  }

  @Test
  @DisplayName("a wrong token is refused and audited, and the audit line does not carry what was presented")
  void wrongToken() {
    BridgeClient browser = connect();
    browser.send(sendFrame(Addresses.CONTROL, new JsonObject().put("action", "stop").put("name", "feed"), "r-wrong", "guess-guess-guess"));

    assertEquals(403, browser.reply("r-wrong").getInteger("failureCode"));
    List<ILoggingEvent> refused = Await.until(WAIT, "an audit line", () -> auditLines(Level.WARN), l -> !l.isEmpty());
    String line = refused.get(0).getFormattedMessage();
    assertTrue(line.contains("wrong token"), line);
    assertFalse(line.contains("guess-guess-guess"), line);
    assertTrue(status().getBoolean("is_active"));
  }

  @Test
  @DisplayName("with the token, stop and start work over the bridge, and are audited without the token")
  void controlWithToken() {
    BridgeClient browser = connect();
    browser.send(sendFrame(Addresses.CONTROL, new JsonObject().put("action", "stop").put("name", "feed"), "r-stop", ServerFixture.TOKEN));
    JsonObject stopped = browser.reply("r-stop");
    assertEquals("rec", stopped.getString("type"), stopped.encode());
    assertEquals("stopped", stopped.getJsonObject("body").getString("status"));
    assertFalse(status().getBoolean("is_active"));

    browser.send(sendFrame(Addresses.CONTROL, new JsonObject().put("action", "start").put("name", "feed"), "r-start", ServerFixture.TOKEN));
    assertEquals("started", browser.reply("r-start").getJsonObject("body").getString("status"));
    Await.until(WAIT, "feed connected again", () -> "CONNECTED".equals(status().getString("state")));

    List<ILoggingEvent> accepted = auditLines(Level.INFO);
    assertEquals(2, accepted.size(), accepted.toString());
    assertTrue(accepted.get(0).getFormattedMessage().contains("(stop feed)"), accepted.get(0).getFormattedMessage());
    assertTrue(audit.list().stream().noneMatch(e -> e.getFormattedMessage().contains(ServerFixture.TOKEN)));
    assertTrue(auditLines(Level.WARN).isEmpty());
  }

  @Test
  @DisplayName("a send to an upstream needs the token; with it, it reaches the upstream, and the token goes no further than the bridge")
  void upstreamSend() {
    BridgeClient browser = connect();
    browser.send(sendFrame("upstream.feed.send", "without", "r-1", null));
    assertEquals(401, browser.reply("r-1").getInteger("failureCode"));

    // Acting addresses get the message without the token header. (A Home Assistant call address of a
    // listener this server does not have, so that this consumer is the only one.)
    List<JsonObject> reports = new CopyOnWriteArrayList<>();
    app.vertx().eventBus().<Object>consumer("homeassistant.probe.call", m -> {
      reports.add(new JsonObject().put("token", m.headers().get("token")).put("other", m.headers().get("other")));
      m.reply(new JsonObject().put("ok", true));
    }).completion().await();
    browser.send(sendFrame("homeassistant.probe.call", new JsonObject().put("domain", "light").put("service", "toggle"), "r-2",
        ServerFixture.TOKEN).put("headers", new JsonObject().put("token", ServerFixture.TOKEN).put("other", "kept")));
    assertEquals("rec", browser.reply("r-2").getString("type"));
    assertEquals(1, reports.size());
    assertNull(reports.get(0).getString("token"));
    assertEquals("kept", reports.get(0).getString("other"));
    // Spelt otherwise, it is the token all the same: checked, and taken out.
    browser.send(sendFrame("homeassistant.probe.call", new JsonObject().put("domain", "light").put("service", "toggle"), "r-2b", null)
        .put("headers", new JsonObject().put("Token", ServerFixture.TOKEN)));
    assertEquals("rec", browser.reply("r-2b").getString("type"));
    assertEquals(2, reports.size());
    assertNull(reports.get(1).getString("token"), "no token header under any case");

    browser.send(sendFrame("upstream.feed.send", "with the token", "r-3", ServerFixture.TOKEN));
    assertEquals(true, browser.reply("r-3").getJsonObject("body").getBoolean("sent"));
    Await.until(WAIT, "the simulator got it", () -> sim.received().contains("with the token"));
    assertFalse(sim.received().contains("without"));
  }

  @Test
  @DisplayName("read-only requests need no token; registers and sends outside the permitted addresses, and publishes, are refused")
  void readOnlyAndRefusals() {
    BridgeClient browser = connect();
    browser.send(sendFrame(Addresses.STATUS_SNAPSHOT, null, "r-snap", null));
    JsonObject snapshot = browser.reply("r-snap");
    assertEquals("feed", snapshot.getJsonObject("body").getJsonArray("listeners").getJsonObject(0).getString("name"));

    browser.send(new JsonObject().put("type", "register").put("address", Addresses.LISTENER_REPORTS));
    browser.send(new JsonObject().put("type", "register").put("address", Addresses.BRIDGE_EVENTS));
    browser.send(new JsonObject().put("type", "register").put("address", "upstream.feed.send"));
    browser.send(sendFrame(Addresses.LISTENER_REPORTS, new JsonObject(), null, ServerFixture.TOKEN));
    Await.until(WAIT, "four denials", () -> browser.errors("access_denied") == 4);

    browser.send(new JsonObject().put("type", "publish").put("address", Addresses.CONTROL)
        .put("body", new JsonObject().put("action", "stop").put("name", "feed")).put("headers", new JsonObject().put("token", ServerFixture.TOKEN)));
    Await.until(WAIT, "the publish rejected", () -> browser.errors("rejected") == 1);
    assertTrue(auditLines(Level.WARN).stream().anyMatch(e -> e.getFormattedMessage().contains("refused publish to switchboard.control")));
    assertTrue(status().getBoolean("is_active"));
  }

  @Test
  @DisplayName("a message larger than the bridge's limit (64 KiB by default) closes that socket and reaches nothing")
  void oversized() {
    BridgeClient browser = connect();
    browser.send(sendFrame("upstream.feed.send", "x".repeat(70_000), "r-big", ServerFixture.TOKEN));
    Await.until(WAIT, "the socket closed", browser.socket::isClosed);
    assertTrue(bridgeLog.list().stream().anyMatch(e -> e.getFormattedMessage().contains("max message size of 65536")));
    BridgeClient other = connect();
    other.send(sendFrame("upstream.feed.send", "y".repeat(60_000), "r-fits", ServerFixture.TOKEN));
    assertEquals(true, other.reply("r-fits").getJsonObject("body").getBoolean("sent"));
    Await.until(WAIT, "the one that fits reached the simulator", () -> sim.received().size() == 1);
    assertTrue(sim.received().get(0).startsWith("yyy"));
  }
}
