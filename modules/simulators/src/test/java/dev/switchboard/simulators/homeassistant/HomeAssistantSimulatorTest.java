package dev.switchboard.simulators.homeassistant;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.AdminCall;
import io.vertx.core.Deployable;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The simulator speaks Home Assistant's WebSocket API as the real server does, checked with a bare client. */
@ExtendWith(VertxExtension.class)
class HomeAssistantSimulatorTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final String TOKEN = HomeAssistantSimulatorOptions.DEMO_TOKEN;
  private static final String ULID = "[0-9A-HJKMNP-TV-Z]{26}";
  private static final String ISO = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\+00:00";

  private Vertx vertx;
  private final List<RawClient> clients = new ArrayList<>();

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
  }

  @AfterEach
  void tearDown() {
    clients.forEach(RawClient::close);
  }

  private HomeAssistantSimulator simulator(HomeAssistantSimulatorOptions options) {
    HomeAssistantSimulator sim = new HomeAssistantSimulator(options);
    vertx.deployVerticle(sim).await();
    return sim;
  }

  private HomeAssistantSimulator simulator() {
    return simulator(HomeAssistantSimulatorOptions.defaults().withSeed(7));
  }

  private RawClient client(HomeAssistantSimulator sim) {
    RawClient c = RawClient.authenticated(vertx, sim.url(), TOKEN);
    clients.add(c);
    return c;
  }

  private static JsonObject cmd(long id, String type) {
    return new JsonObject().put("id", id).put("type", type);
  }

  @Test
  @DisplayName("auth phase: auth_required with ha_version, then auth_ok with ha_version")
  void authOk() {
    HomeAssistantSimulator sim = simulator();
    RawClient c = RawClient.connect(vertx, sim.url());
    clients.add(c);
    assertEquals(new JsonObject().put("type", "auth_required").put("ha_version", "2025.1.0"), c.next());
    c.send(new JsonObject().put("type", "auth").put("access_token", TOKEN));
    assertEquals(new JsonObject().put("type", "auth_ok").put("ha_version", "2025.1.0"), c.next());
    assertTrue(sim.lastConnection().authenticated());
  }

  @Test
  @DisplayName("a bad token gets auth_invalid with HA's message, then a normal close")
  void badToken() {
    HomeAssistantSimulator sim = simulator();
    RawClient c = RawClient.connect(vertx, sim.url());
    clients.add(c);
    c.next();
    c.send(new JsonObject().put("type", "auth").put("access_token", "wrong"));
    assertEquals(new JsonObject().put("type", "auth_invalid").put("message", "Invalid access token or password"), c.next());
    Await.until(WAIT, "closed", () -> c.closed);
    assertEquals((short) 1000, c.closeCode);
  }

  @Test
  @DisplayName("an auth message with an extra key is refused as incorrectly formatted")
  void badAuthShape() {
    HomeAssistantSimulator sim = simulator();
    RawClient c = RawClient.connect(vertx, sim.url());
    clients.add(c);
    c.next();
    c.send(new JsonObject().put("type", "auth").put("access_token", TOKEN).put("id", 1));
    JsonObject answer = c.next();
    assertEquals("auth_invalid", answer.getString("type"));
    assertEquals("Auth message incorrectly formatted: extra keys not allowed @ data['id']. Got 1", answer.getString("message"));
    Await.until(WAIT, "closed", () -> c.closed);
  }

  @Test
  @DisplayName("no auth message within the auth timeout: closed")
  void authTimeout() {
    HomeAssistantSimulator sim = simulator(HomeAssistantSimulatorOptions.defaults().withAuthTimeout(Duration.ofMillis(100)));
    RawClient c = RawClient.connect(vertx, sim.url());
    clients.add(c);
    c.next();
    Await.until(WAIT, "closed by the server", () -> c.closed);
    assertTrue(sim.lastConnection().endedBecause().startsWith("Did not receive auth message"));
  }

  @Test
  @DisplayName("ids: strictly increasing, with id_reuse, invalid_format and unknown_command as HA words them")
  void idRules() {
    HomeAssistantSimulator sim = simulator();
    RawClient c = client(sim);
    c.send(cmd(5, "ping"));
    assertEquals(new JsonObject().put("id", 5).put("type", "pong"), c.next());
    c.send(cmd(5, "ping"));
    assertEquals(error(5, "id_reuse", "Identifier values have to increase."), c.next());
    c.send(new JsonObject().put("id", "x").put("type", "ping"));
    assertEquals(error("x", "invalid_format", "Message incorrectly formatted."), c.next());
    c.send(new JsonObject().put("id", 6));
    assertEquals(error(6, "invalid_format", "Message incorrectly formatted."), c.next());
    c.send(cmd(20, "no_such_command"));
    assertEquals(error(20, "unknown_command", "Unknown command."), c.next());
    c.send(cmd(21, ""));
    assertEquals(error(21, "unknown_command", "Unknown command."), c.next(), "an empty type is a string: unknown, not malformed");
    // Rejections before a handler is found do not advance the last id...
    c.send(cmd(7, "ping").put("foo", "bar"));
    assertEquals(error(7, "invalid_format", "extra keys not allowed @ data['foo']. Got 'bar'"), c.next());
    // ...but a schema error does.
    c.send(cmd(7, "ping"));
    assertEquals("id_reuse", c.next().getJsonObject("error").getString("code"));
    c.send(cmd(8, "subscribe_events").put("event_type", 100));
    assertEquals(error(8, "invalid_format", "expected str for dictionary value @ data['event_type']. Got 100"), c.next());
    c.send(cmd(9, "unsubscribe_events").put("subscription", 1234));
    assertEquals(error(9, "not_found", "Subscription not found."), c.next());
    c.send(cmd(10, "call_service").put("service", "toggle"));
    assertEquals(error(10, "invalid_format", "required key not provided @ data['domain']. Got None"), c.next());
  }

  private static JsonObject error(Object id, String code, String message) {
    return new JsonObject().put("id", id).put("type", "result").put("success", false)
        .put("error", new JsonObject().put("code", code).put("message", message));
  }

  @Test
  @DisplayName("arrays of commands are handled in order; invalid JSON in the command phase disconnects")
  void arraysAndInvalidJson() {
    HomeAssistantSimulator sim = simulator();
    RawClient c = client(sim);
    c.send(new JsonArray().add(cmd(1, "ping")).add(cmd(2, "ping")));
    assertEquals(1, c.next().getInteger("id"));
    assertEquals(2, c.next().getInteger("id"));
    c.send("{not json");
    Await.until(WAIT, "disconnected", () -> c.closed);
    assertEquals("Received invalid JSON.", sim.lastConnection().endedBecause());
  }

  @Test
  @DisplayName("after coalesce_messages, ready messages leave as one JSON array frame")
  void coalescing() {
    HomeAssistantSimulator sim = simulator();
    RawClient c = client(sim);
    c.send(new JsonArray().add(cmd(1, "ping")).add(cmd(2, "ping")));
    c.next(2);
    assertFalse(c.frames.stream().anyMatch(f -> f.startsWith("[")), "no arrays before the feature is on");
    c.send(cmd(3, "supported_features").put("features", new JsonObject().put("coalesce_messages", 1)));
    c.next(3);
    c.send(new JsonArray().add(cmd(4, "ping")).add(cmd(5, "get_config")).add(cmd(6, "ping")));
    c.next(6);
    String last = c.frames.get(c.frames.size() - 1);
    assertTrue(last.startsWith("[{\"id\":4,\"type\":\"pong\"}"), last);
    assertTrue(sim.lastConnection().arrayFramesSent() >= 1);
  }

  @Test
  @DisplayName("subscribe_events: result, then state_changed with HA's shapes: ULID contexts, ISO times, event context = new_state context")
  void stateChangedShape() {
    HomeAssistantSimulator sim = simulator();
    RawClient c = client(sim);
    c.send(cmd(1, "subscribe_events").put("event_type", "state_changed"));
    assertEquals(new JsonObject().put("id", 1).put("type", "result").put("success", true).put("result", null), c.next());
    assertEquals(1L, sim.liveSubscriptions("state_changed").await());
    sim.setState("light.kitchen", "on", null).await();
    JsonObject message = c.next(1);
    assertEquals("event", message.getString("type"));
    JsonObject event = message.getJsonObject("event");
    assertEquals(List.of("event_type", "data", "origin", "time_fired", "context"), List.copyOf(event.fieldNames()));
    assertEquals("state_changed", event.getString("event_type"));
    assertEquals("LOCAL", event.getString("origin"));
    assertTrue(event.getString("time_fired").matches(ISO), event.getString("time_fired"));
    JsonObject data = event.getJsonObject("data");
    assertEquals("light.kitchen", data.getString("entity_id"));
    JsonObject next = data.getJsonObject("new_state");
    assertEquals(List.of("entity_id", "state", "attributes", "last_changed", "last_reported", "last_updated", "context"),
        List.copyOf(next.fieldNames()));
    assertEquals("on", next.getString("state"));
    assertEquals("off", data.getJsonObject("old_state").getString("state"));
    assertTrue(next.getJsonObject("context").getString("id").matches(ULID));
    assertEquals(event.getJsonObject("context"), next.getJsonObject("context"));
    assertEquals(event.getString("time_fired"), next.getString("last_updated"));

    sim.removeEntities("light.kitchen").await();
    JsonObject removed = c.next(1).getJsonObject("event").getJsonObject("data");
    assertNull(removed.getValue("new_state"));
    assertEquals("light.kitchen", removed.getJsonObject("old_state").getString("entity_id"));
  }

  @Test
  @DisplayName("get_states, get_config with state, get_services")
  void queries() {
    HomeAssistantSimulator sim = simulator(HomeAssistantSimulatorOptions.defaults().withEntities(3, 4, 2));
    RawClient c = client(sim);
    c.send(cmd(1, "get_states"));
    JsonArray states = c.next(1).getJsonArray("result");
    assertEquals(9, states.size());
    c.send(cmd(2, "get_config"));
    JsonObject config = c.next(2).getJsonObject("result");
    assertEquals("RUNNING", config.getString("state"));
    assertEquals("2025.1.0", config.getString("version"));
    assertTrue(config.containsKey("unit_system") && config.containsKey("time_zone") && config.containsKey("location_name"));
    c.send(cmd(3, "get_services"));
    JsonObject services = c.next(3).getJsonObject("result");
    assertTrue(services.getJsonObject("light").containsKey("toggle"));
    assertTrue(services.getJsonObject("switch").getJsonObject("turn_on").containsKey("target"));
  }

  @Test
  @DisplayName("call_service changes the entity, fires state_changed with the call's context, and answers with it")
  void callService() {
    HomeAssistantSimulator sim = simulator();
    RawClient c = client(sim);
    c.send(cmd(1, "subscribe_events").put("event_type", "state_changed"));
    c.next(1);
    c.send(cmd(2, "call_service").put("domain", "light").put("service", "turn_on")
        .put("service_data", new JsonObject().put("brightness", 120)).put("target", new JsonObject().put("entity_id", "light.kitchen")));
    JsonObject changed = c.next(1).getJsonObject("event");
    JsonObject result = c.next(2);
    assertTrue(result.getBoolean("success"));
    JsonObject context = result.getJsonObject("result").getJsonObject("context");
    assertEquals(context, changed.getJsonObject("context"));
    assertEquals(SimulatedHome.USER_ID, context.getString("user_id"));
    assertEquals("on", sim.state("light.kitchen").getString("state"));
    assertEquals(120, sim.state("light.kitchen").getJsonObject("attributes").getInteger("brightness"));

    c.send(cmd(3, "call_service").put("domain", "light").put("service", "explode"));
    JsonObject error = c.next(3).getJsonObject("error");
    assertEquals("not_found", error.getString("code"));
    assertEquals("Service light.explode not found.", error.getString("message"));
  }

  @Test
  @DisplayName("async results can be overtaken: a later ping answers before a slow call_service")
  void asyncResultsOutOfOrder() {
    HomeAssistantSimulator sim = simulator(HomeAssistantSimulatorOptions.defaults().withAsyncResultDelay(Duration.ofMillis(50)));
    RawClient c = client(sim);
    c.send(new JsonArray().add(cmd(1, "call_service").put("domain", "switch").put("service", "toggle")
        .put("target", new JsonObject().put("entity_id", "switch.kitchen_plug"))).add(cmd(2, "ping")));
    assertEquals(2, c.next().getInteger("id"));
    assertEquals(1, c.next().getInteger("id"));
  }

  @Test
  @DisplayName("subscribe_entities: result first, then the compressed snapshot, then + / - diffs and removals")
  void subscribeEntities() {
    HomeAssistantSimulator sim = simulator();
    RawClient c = client(sim);
    c.send(cmd(1, "subscribe_entities").put("entity_ids", new JsonArray().add("light.kitchen")));
    assertEquals("result", c.next().getString("type"));
    JsonObject snapshot = c.next(1).getJsonObject("event").getJsonObject("a");
    assertEquals(List.of("light.kitchen"), List.copyOf(snapshot.fieldNames()));
    JsonObject kitchen = snapshot.getJsonObject("light.kitchen");
    assertEquals("off", kitchen.getString("s"));
    assertTrue(kitchen.getString("c").matches(ULID), "a bare context id when parent and user are null");
    assertTrue(kitchen.getValue("lc") instanceof Double);

    sim.setState("light.kitchen", "on", new JsonObject().put("friendly_name", "Kitchen light").put("brightness", 10)).await();
    JsonObject change = c.next(1).getJsonObject("event").getJsonObject("c").getJsonObject("light.kitchen");
    JsonObject plus = change.getJsonObject("+");
    assertEquals("on", plus.getString("s"));
    assertTrue(plus.containsKey("lc") && !plus.containsKey("lu"));
    assertEquals(10, plus.getJsonObject("a").getInteger("brightness"));
    assertTrue(change.getJsonObject("-").getJsonArray("a").contains("supported_color_modes"));

    sim.removeEntities("light.kitchen").await();
    assertEquals(new JsonArray().add("light.kitchen"), c.next(1).getJsonObject("event").getJsonArray("r"));
  }

  @Test
  @DisplayName("a client that stops reading is cancelled once its queue passes the limit, with no message")
  void slowClientCancelled() {
    HomeAssistantSimulator sim = simulator(HomeAssistantSimulatorOptions.defaults().withPendingLimits(200, 100, Duration.ofSeconds(10)));
    RawClient c = client(sim);
    c.send(cmd(1, "subscribe_events"));
    c.next(1);
    c.ws.pause();
    for (int i = 0; i < 20 && sim.lastConnection().isOpen(); i++) {
      sim.burst(2_000).await();
    }
    Await.until(WAIT, "the slow client cancelled", () -> sim.lastConnection().endedBecause() != null);
    assertTrue(sim.lastConnection().endedBecause().startsWith("Client unable to keep up with pending messages. Reached 200"),
        sim.lastConnection().endedBecause());
  }

  @Test
  @DisplayName("protocol ping frames: a client that answers stays; one that stops reading is cut")
  void pingFrames() {
    HomeAssistantSimulator sim = simulator(HomeAssistantSimulatorOptions.defaults().withPing(Duration.ofMillis(30), Duration.ofMillis(100)));
    RawClient healthy = client(sim);
    RawClient frozen = client(sim);
    frozen.ws.pause();
    Await.until(WAIT, "the frozen client cut", () -> sim.connections().get(1).endedBecause() != null);
    assertTrue(sim.connections().get(1).endedBecause().startsWith("no pong"));
    assertTrue(sim.connections().get(0).isOpen(), "the client that answers pings stays connected");
    assertFalse(healthy.closed);
  }

  @Test
  @DisplayName("restart: clients get homeassistant_stop and a close; get_config says STARTING, then RUNNING")
  void restart() {
    HomeAssistantSimulator sim = simulator();
    RawClient c = client(sim);
    c.send(cmd(1, "subscribe_events"));
    c.next(1);
    var restarted = sim.restart(Duration.ofMillis(50), Duration.ofMillis(400));
    assertEquals("homeassistant_stop", c.next(1).getJsonObject("event").getString("event_type"));
    Await.until(WAIT, "closed by the restart", () -> c.closed);
    Await.until(WAIT, "starting", () -> sim.coreState().equals("STARTING"));
    RawClient again = client(sim);
    again.send(cmd(1, "get_config"));
    assertEquals("STARTING", again.next(1).getJsonObject("result").getString("state"));
    restarted.await();
    again.send(cmd(2, "get_config"));
    assertEquals("RUNNING", again.next(2).getJsonObject("result").getString("state"));
  }

  @Test
  @DisplayName("restart with entities loaded late: get_states leaves them out while STARTING; at RUNNING each is added with a state_changed from null")
  void restartWithEntitiesLoadedLate() {
    HomeAssistantSimulator sim = simulator();
    JsonObject kitchen = sim.states().get("light.kitchen");
    io.vertx.core.Promise<Void> loaded = io.vertx.core.Promise.promise();
    var restarted = sim.restart(Duration.ofMillis(50), loaded.future(), "light.kitchen");
    Await.until(WAIT, "starting", () -> sim.coreState().equals("STARTING"));
    RawClient c = client(sim);
    c.send(cmd(1, "subscribe_events").put("event_type", "state_changed"));
    c.next(1);
    c.send(cmd(2, "get_states"));
    assertTrue(c.next(2).getJsonArray("result").stream().noneMatch(st -> "light.kitchen".equals(((JsonObject) st).getString("entity_id"))),
        "not loaded yet");
    loaded.complete();
    restarted.await();
    JsonObject added = c.next(1).getJsonObject("event").getJsonObject("data");
    assertEquals("light.kitchen", added.getString("entity_id"));
    assertNull(added.getValue("old_state"));
    assertEquals(kitchen.getString("state"), added.getJsonObject("new_state").getString("state"));
    assertTrue(sim.states().containsKey("light.kitchen"));
  }

  @Test
  @DisplayName("a non-admin token (refuseSubscriptions): state_changed is allowed, \"*\" and event types outside the allow-list are unauthorized")
  void nonAdminSubscriptions() {
    HomeAssistantSimulator sim = simulator();
    sim.refuseSubscriptions(true).await();
    RawClient c = client(sim);
    c.send(cmd(1, "subscribe_events").put("event_type", "state_changed"));
    assertTrue(c.next(1).getBoolean("success"));
    c.send(cmd(2, "subscribe_events"));
    assertEquals("unauthorized", c.next(2).getJsonObject("error").getString("code"));
    c.send(cmd(3, "subscribe_events").put("event_type", "call_service"));
    assertEquals("unauthorized", c.next(3).getJsonObject("error").getString("code"));
    c.send(cmd(4, "fire_event").put("event_type", "switchboard_test"));
    assertEquals("unauthorized", c.next(4).getJsonObject("error").getString("code"), "fire_event is for admins only");
  }

  @Test
  @DisplayName("every received frame is recorded per connection")
  void frameRecord() {
    HomeAssistantSimulator sim = simulator();
    RawClient c = client(sim);
    c.send(cmd(1, "ping"));
    c.next(1);
    c.send(new JsonArray().add(cmd(2, "ping")).add(cmd(3, "get_config")));
    c.next(3);
    ConnectionRecord record = sim.lastConnection();
    assertEquals(3, record.frames().size());
    assertEquals(List.of(1L, 2L, 3L), record.commandIds());
  }

  @Test
  @DisplayName("the demo kind reads its config strictly; the HTTP admin drops, sets and reports")
  void kindAndAdmin() {
    JsonObject config = new JsonObject().put("port", 0).put("token", "demo").put("ratePerSecond", 0)
        .put("entities", new JsonObject().put("lights", 2).put("sensors", 2).put("switches", 1));
    assertTrue(java.util.ServiceLoader.load(dev.switchboard.core.SimulatorKind.class).stream()
        .anyMatch(k -> k.get().type().equals("homeassistant")), "found by the server through META-INF/services");
    Deployable deployable = new HomeAssistantSimulatorKind().configure(new ConfigSection("simulators.homeassistant", config));
    HomeAssistantSimulator sim = (HomeAssistantSimulator) deployable;
    vertx.deployVerticle(sim).await();
    assertThrows(ConfigException.class, () -> new HomeAssistantSimulatorKind()
        .configure(new ConfigSection("simulators.homeassistant", new JsonObject().put("lights", 2))));

    RawClient c = RawClient.authenticated(vertx, sim.url(), "demo");
    clients.add(c);
    // WebClient buffers the body before its future completes (see FeedSimulatorAdminTest).
    WebClient http = WebClient.create(vertx);
    JsonObject stats = admin(http, sim, HttpMethod.GET, "/admin/stats");
    assertEquals(5, stats.getInteger("entities"));
    assertEquals(1, stats.getInteger("connections"));
    admin(http, sim, HttpMethod.POST, "/admin/set?entity_id=light.kitchen&state=on");
    assertEquals("on", sim.state("light.kitchen").getString("state"));
    assertTrue(admin(http, sim, HttpMethod.POST, "/admin/fail-config").getBoolean("failing_config"));
    c.send(cmd(1, "get_config"));
    assertEquals(error(1, "unknown_error", "Unknown error"), c.next());
    assertFalse(admin(http, sim, HttpMethod.POST, "/admin/fail-config?on=false").getBoolean("failing_config"));
    c.send(cmd(2, "get_config"));
    assertEquals("RUNNING", c.next(2).getJsonObject("result").getString("state"));
    admin(http, sim, HttpMethod.POST, "/admin/drop?clean=true");
    Await.until(WAIT, "dropped", () -> c.closed);
    assertEquals((short) 1000, c.closeCode);
    HttpResponse<Buffer> unknown = http.post(sim.port(), "127.0.0.1", "/admin/nope").send().await();
    assertEquals(404, unknown.statusCode());
    assertTrue(unknown.bodyAsString().contains("/admin/"), "names the commands it knows: " + unknown.bodyAsString());
    // Sizes, counts and durations past what a demo needs (that would stall the shared process) are refused.
    for (String uri : List.of("/admin/down?seconds=1e300", "/admin/restart?down=5000", "/admin/flood?count=1000000000000000000",
        "/admin/rate?per_second=1e9", "/admin/oversized?bytes=2000000000", "/admin/flood?count=lots")) {
      HttpResponse<Buffer> refused = http.post(sim.port(), "127.0.0.1", uri).send().await();
      assertEquals(400, refused.statusCode(), uri + ": " + refused.bodyAsString());
    }
    assertTrue(AdminCall.answers(sim.port()), "still answering");
    http.close();
  }

  @Test
  @DisplayName("stall, down and restart answer at once; the admin API stays reachable while the clients are stalled")
  void adminAnswersAtOnce() {
    HomeAssistantSimulator sim = simulator();
    RawClient stalled = client(sim);
    AdminCall.post(sim.port(), "/admin/stall");
    assertEquals(1, AdminCall.get(sim.port(), "/admin/stats").getInteger("connections"), "reachable while stalled");
    stalled.close();

    RawClient beforeDown = client(sim);
    AdminCall.post(sim.port(), "/admin/down?seconds=0.3");
    Await.until(WAIT, "down cut the client", () -> beforeDown.closed);
    Await.until(WAIT, "up again", () -> AdminCall.answers(sim.port()));

    RawClient beforeRestart = client(sim);
    AdminCall.post(sim.port(), "/admin/restart?down=0.1&starting=0.1");
    Await.until(WAIT, "restart closed the client", () -> beforeRestart.closed);
    Await.until(WAIT, "running again", () -> AdminCall.answers(sim.port())
        && "RUNNING".equals(AdminCall.get(sim.port(), "/admin/stats").getString("state")));
  }

  private static JsonObject admin(WebClient http, HomeAssistantSimulator sim, HttpMethod method, String uri) {
    HttpResponse<Buffer> response = http.request(method, sim.port(), "127.0.0.1", uri).send().await();
    assertEquals(200, response.statusCode(), uri + ": " + response.bodyAsString());
    return response.bodyAsJsonObject();
  }
}
