package dev.switchboard.homeassistant;

import dev.switchboard.core.ListenerState;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Control;
import dev.switchboard.simulators.homeassistant.ConnectionRecord;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static dev.switchboard.homeassistant.HomeAssistantFixture.NAME;
import static dev.switchboard.homeassistant.HomeAssistantFixture.TOKEN;
import static dev.switchboard.homeassistant.HomeAssistantFixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ingestion from the Home Assistant simulator over loopback, through a real supervisor. */
@ExtendWith(VertxExtension.class)
class HomeAssistantIngestionTest {
  private static final String EVENTS = HomeAssistantAddresses.event(NAME, "state_changed");

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private Control control;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.control = new Control(vertx);
  }

  private JsonObject status() {
    return control.status(NAME);
  }

  private JsonObject states() {
    return vertx.eventBus().<JsonObject>request(HomeAssistantAddresses.states(NAME), new JsonObject()).await().body();
  }

  private JsonObject call(JsonObject request) {
    return vertx.eventBus().<JsonObject>request(HomeAssistantAddresses.call(NAME), request).await().body();
  }

  private void startAndAwaitSubscribed() {
    assertEquals("started", control.start(NAME));
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    assertEquals(true, status().getBoolean("subscribed"), "CONNECTED means subscribed");
  }

  @Test
  @DisplayName("auth ok: subscribed, ha_version and entities in the status; events and states published as envelopes")
  void authOkAndEnvelopes() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx, HomeAssistantFixture.options().withEntities(3, 3, 2));
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));
    Envelopes seen = Envelopes.on(vertx, EVENTS, HomeAssistantAddresses.state(NAME, "light.kitchen"));
    startAndAwaitSubscribed();

    Await.until(WAIT, "status fields", () -> status().getInteger("entities", 0) == 8);
    JsonObject status = status();
    assertEquals("2025.1.0", status.getString("ha_version"));
    assertEquals(new JsonArray().add("state_changed"), status.getJsonArray("event_types"));
    assertEquals(0L, status.getLong("events_session"));
    assertFalse(status.encode().contains(TOKEN), "the token never shows in the status");

    String kitchen = HomeAssistantAddresses.state(NAME, "light.kitchen");
    Await.until(WAIT, "the state from the snapshot", () -> seen.at(kitchen).size() == 1);
    assertEquals("off", seen.at(kitchen).get(0).getJsonObject("data").getString("state"));
    sim.setState("light.kitchen", "on", null).await();
    Await.until(WAIT, "the event and the new state", () -> seen.at(EVENTS).size() == 1 && seen.at(kitchen).size() == 2);
    JsonObject event = seen.at(EVENTS).get(0);
    assertEquals(List.of("seq", "ts", "source", "type", "data", "address"), List.copyOf(event.fieldNames()));
    assertEquals(NAME, event.getString("source"));
    assertEquals("event", event.getString("type"));
    assertEquals("state_changed", event.getJsonObject("data").getString("event_type"));
    assertEquals("light.kitchen", event.getJsonObject("data").getJsonObject("data").getString("entity_id"));
    JsonObject state = seen.at(kitchen).get(1);
    assertEquals("state", state.getString("type"));
    assertEquals("on", state.getJsonObject("data").getString("state"));
    assertEquals(event.getLong("seq") + 1, state.getLong("seq"), "one seq per published message");

    Await.until(WAIT, "events counted", () -> status().getLong("events_session") == 1);
    assertEquals("on", states().getJsonArray("states").stream().map(JsonObject.class::cast)
        .filter(s -> s.getString("entity_id").equals("light.kitchen")).findFirst().orElseThrow().getString("state"));
    JsonObject one = vertx.eventBus().<JsonObject>request(HomeAssistantAddresses.states(NAME),
        new JsonObject().put("entity_id", "light.kitchen")).await().body();
    assertEquals("on", one.getJsonObject("state").getString("state"));
  }

  @Test
  @DisplayName("on the wire: auth first (no id), then supported_features with id 1, subscribe, get_config, get_states; ids strictly increasing on every connection")
  void idsStrictlyIncreasing() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim.url(), HomeAssistantFixture.fastPolicy(),
        dataDir, false, new JsonObject().put("eventTypes", new JsonArray().add("state_changed").add("call_service"))));
    startAndAwaitSubscribed();
    for (int connection = 1; connection <= 3; connection++) {
      int number = connection;
      control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
      call(new JsonObject().put("domain", "switch").put("service", "toggle").put("target", new JsonObject().put("entity_id", "switch.kitchen_plug")));
      Await.until(WAIT, "a few heartbeat pings", () -> sim.connections().get(number - 1).commands("ping").size() >= 3);
      sim.dropAll(connection % 2 == 0).await();
      Await.until(WAIT, "the next connection", () -> sim.totalConnections() == number + 1);
    }
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);

    for (ConnectionRecord record : sim.connections()) {
      assertEquals(new JsonObject().put("type", "auth").put("access_token", TOKEN).encode(), record.frames().get(0),
          record + ": auth is sent first, exactly as HA expects it");
      List<JsonObject> commands = record.commands();
      assertEquals(List.of("supported_features", "subscribe_events", "subscribe_events", "get_config", "get_states"),
          commands.subList(0, 5).stream().map(c -> c.getString("type")).toList(), record.toString());
      List<Long> ids = record.commandIds();
      assertEquals(1L, ids.get(0), "supported_features has id 1");
      for (int i = 1; i < ids.size(); i++) {
        assertTrue(ids.get(i) > ids.get(i - 1), record + ": ids " + ids);
      }
    }
  }

  @Test
  @DisplayName("coalesced arrays are parsed in order: 500 events fired at once arrive in the order fired")
  void coalescedArraysInOrder() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim.url(), HomeAssistantFixture.fastPolicy(),
        dataDir, false, new JsonObject().put("eventTypes", new JsonArray().add("state_changed").add("switchboard_test"))));
    String address = HomeAssistantAddresses.event(NAME, "switchboard_test");
    Envelopes seen = Envelopes.on(vertx, address);
    startAndAwaitSubscribed();

    sim.fireEvents("switchboard_test", 500).await();
    Await.until(WAIT, "500 events", () -> seen.size() == 500);
    assertTrue(sim.lastConnection().arrayFramesSent() > 0, "the simulator coalesced them into arrays");
    List<Integer> order = seen.at(address).stream().map(e -> e.getJsonObject("data").getJsonObject("data").getInteger("n")).toList();
    assertEquals(IntStream.rangeClosed(1, 500).boxed().toList(), order);
    Await.until(WAIT, "all counted once", () -> status().getLong("events_session") == 500);
  }

  @Test
  @DisplayName("entities changed and removed while away: after reconnect the states equal the simulator's, removed ones are gone, a gap came first")
  void changesWhileAway() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));
    String gap = HomeAssistantAddresses.gap(NAME);
    String snapshot = HomeAssistantAddresses.snapshot(NAME);
    String kitchen = HomeAssistantAddresses.state(NAME, "light.kitchen");
    String plug = HomeAssistantAddresses.state(NAME, "switch.kitchen_plug");
    Envelopes seen = Envelopes.on(vertx, gap, snapshot, kitchen, plug);
    startAndAwaitSubscribed();
    assertEquals(sim.states(), toMap(states().getJsonArray("states")));
    JsonObject firstGap = seen.at(gap).get(0);
    assertNull(firstGap.getJsonObject("data").getValue("from"), "nothing was known before the first connection");
    assertNull(status().getValue("last_gap"), "the first connection of all is no outage");

    long wentDown = System.currentTimeMillis();
    sim.down().await();
    Await.until(WAIT, "the listener noticed", () -> !status().getString("state").equals("CONNECTED"));
    assertEquals(false, status().getBoolean("subscribed"));
    sim.setState("light.kitchen", "on", null).await();
    sim.removeEntities("switch.kitchen_plug").await();
    sim.setState("sensor.cellar_temperature", "12.5", new JsonObject().put("unit_of_measurement", "°C")).await();
    sim.up().await();
    Await.until(WAIT, "a second connection", () -> sim.totalConnections() == 2);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);

    Map<String, JsonObject> known = toMap(states().getJsonArray("states"));
    assertEquals(sim.states(), known, "last-known states equal the simulator's");
    assertFalse(known.containsKey("switch.kitchen_plug"), "the removed entity is gone");
    assertEquals("12.5", known.get("sensor.cellar_temperature").getString("state"));

    Await.until(WAIT, "second gap, snapshot and the missed changes", () -> seen.at(gap).size() == 2
        && seen.at(snapshot).size() == 2 && seen.at(kitchen).size() == 2 && seen.at(plug).size() == 2);
    JsonObject secondGap = seen.at(gap).get(1);
    Instant from = Instant.parse(secondGap.getJsonObject("data").getString("from"));
    Instant to = Instant.parse(secondGap.getJsonObject("data").getString("to"));
    assertTrue(!from.isAfter(Instant.ofEpochMilli(wentDown)) && to.isAfter(from), "the outage window: " + secondGap);
    JsonObject secondSnapshot = seen.at(snapshot).get(1);
    JsonObject kitchenOn = seen.at(kitchen).get(1);
    JsonObject plugRemoved = seen.at(plug).get(1);
    assertEquals("on", kitchenOn.getJsonObject("data").getString("state"));
    assertEquals("removed", plugRemoved.getString("type"));
    assertEquals(new JsonArray().add("switch.kitchen_plug"), secondSnapshot.getJsonObject("data").getJsonArray("removed"));
    assertEquals(secondGap.getJsonObject("data"), status().getJsonObject("last_gap"), "the status keeps the last outage");
    long gapSeq = secondGap.getLong("seq");
    assertTrue(gapSeq < secondSnapshot.getLong("seq") && gapSeq < kitchenOn.getLong("seq") && gapSeq < plugRemoved.getLong("seq"),
        "the gap comes before the fresh snapshot");
  }

  @Test
  @DisplayName("an entity written again with the same state while away (last_reported moves, no state_changed) is no "
      + "change after the reconnect: not published, though the kept state is the fresher one")
  void unchangedReWriteIsNoChange() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));
    String gap = HomeAssistantAddresses.gap(NAME);
    String kitchen = HomeAssistantAddresses.state(NAME, "light.kitchen");
    String sensor = HomeAssistantAddresses.state(NAME, "sensor.kitchen_temperature");
    Envelopes seen = Envelopes.on(vertx, gap, kitchen, sensor);
    startAndAwaitSubscribed();
    JsonObject before = sim.state("sensor.kitchen_temperature");
    Await.until(WAIT, "the first snapshot's state of the sensor", () -> seen.at(sensor).size() == 1);

    sim.down().await();
    Await.until(WAIT, "the listener noticed", () -> !status().getString("state").equals("CONNECTED"));
    sim.setState("sensor.kitchen_temperature", before.getString("state"), null).await(); // a re-write
    sim.setState("light.kitchen", "on", null).await(); // a change, to know when the reconnect's changes are out
    JsonObject rewritten = sim.state("sensor.kitchen_temperature");
    assertNotEquals(before.getString("last_reported"), rewritten.getString("last_reported"), "the simulator moved last_reported");
    assertEquals(before.getString("last_updated"), rewritten.getString("last_updated"));
    assertEquals(before.getJsonObject("context"), rewritten.getJsonObject("context"));
    sim.up().await();
    Await.until(WAIT, "the reconnect's gap and the kitchen's change", () -> seen.at(gap).size() == 2
        && seen.at(kitchen).stream().anyMatch(e -> "on".equals(e.getJsonObject("data").getString("state"))));

    assertEquals(1, seen.at(sensor).size(), "the re-written entity was not published as changed: " + seen.at(sensor));
    assertEquals(rewritten, toMap(states().getJsonArray("states")).get("sensor.kitchen_temperature"), "the kept state is the fresher one");
  }

  @Test
  @DisplayName("a change that follows the get_states result in the same coalesced frame is kept: the older snapshot does not overwrite it")
  void aChangeRightAfterTheSnapshotIsKept() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));
    assertEquals("off", sim.states().get("light.kitchen").getString("state"));
    sim.changeRightAfterNextStates("light.kitchen", "on").await();
    startAndAwaitSubscribed();

    Await.until(WAIT, "the change after the snapshot kept", () -> toMap(states().getJsonArray("states")).get("light.kitchen")
        .getString("state"), "on"::equals);
    assertTrue(sim.lastConnection().arrayFramesSent() >= 1, "the result and the event left together");
    assertEquals(sim.states(), toMap(states().getJsonArray("states")));
  }

  @Test
  @DisplayName("a changed definition keeps the last-known states: answered while stopped, and its first snapshot says what was removed meanwhile")
  void aDefinitionChangeKeepsTheLastKnownStates() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    dev.switchboard.core.Supervisor supervisor = HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));
    String snapshot = HomeAssistantAddresses.snapshot(NAME);
    String plug = HomeAssistantAddresses.state(NAME, "switch.kitchen_plug");
    Envelopes seen = Envelopes.on(vertx, snapshot, plug);
    startAndAwaitSubscribed();
    Map<String, JsonObject> before = toMap(states().getJsonArray("states"));
    assertEquals(sim.states(), before);
    assertEquals("stopped", control.stop(NAME));

    assertEquals("updated", supervisor.define(NAME, new JsonObject().put("type", "homeassistant").put("url", sim.url())
        .put("token", HomeAssistantFixture.TOKEN).put("staleAfter", "1h")).await().outcome());
    assertEquals(before, toMap(states().getJsonArray("states")), "still the last-known states, stopped and defined anew");
    sim.removeEntities("switch.kitchen_plug").await();
    startAndAwaitSubscribed();

    Await.until(WAIT, "the new connection's snapshot", () -> seen.at(snapshot).size() == 2);
    assertEquals(new JsonArray().add("switch.kitchen_plug"), seen.at(snapshot).get(1).getJsonObject("data").getJsonArray("removed"));
    Await.until(WAIT, "the removal published", () -> seen.at(plug).stream().anyMatch(e -> "removed".equals(e.getString("type"))));
    assertEquals(sim.states(), toMap(states().getJsonArray("states")));
  }

  @Test
  @DisplayName("Home Assistant still starting: an entity missing from its snapshot is not removed; once it runs, "
      + "the snapshot is read again and what is gone is removed")
  void homeAssistantStillStarting() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));
    String snapshot = HomeAssistantAddresses.snapshot(NAME);
    String kitchen = HomeAssistantAddresses.state(NAME, "light.kitchen");
    String plug = HomeAssistantAddresses.state(NAME, "switch.kitchen_plug");
    startAndAwaitSubscribed();
    assertEquals("RUNNING", status().getString("ha_state"));
    assertEquals("stopped", control.stop(NAME));
    assertFalse(status().containsKey("ha_state"), "unknown while not connected: " + status().encode());
    sim.removeEntities("switch.kitchen_plug").await(); // gone for good, with no one connected to hear it

    // Restarted, the kitchen light's integration loads only as Home Assistant reaches RUNNING.
    io.vertx.core.Promise<Void> integrationsLoaded = io.vertx.core.Promise.promise();
    Future<Void> restarted = sim.restart(Duration.ofMillis(50), integrationsLoaded.future(), "light.kitchen");
    Await.until(WAIT, "Home Assistant starting", () -> sim.coreState().equals("STARTING"));
    Envelopes seen = Envelopes.on(vertx, snapshot, kitchen, plug);
    startAndAwaitSubscribed();
    assertEquals("STARTING", status().getString("ha_state"));
    Map<String, JsonObject> known = toMap(states().getJsonArray("states"));
    assertTrue(known.containsKey("light.kitchen") && known.containsKey("switch.kitchen_plug"), "nothing removed while starting");
    assertTrue(seen.at(kitchen).isEmpty() && seen.at(plug).isEmpty(), "nothing published as removed: " + seen.at(plug));

    integrationsLoaded.complete();
    restarted.await();
    Await.until(WAIT, "running, snapshot read again", () -> "RUNNING".equals(status().getString("ha_state")));
    Await.until(WAIT, "the states equal the simulator's", () -> toMap(states().getJsonArray("states")), sim.states()::equals);
    // The table answers before the publishes reach this test's consumer: they are waited for, then checked whole.
    Await.until(WAIT, "the plug's and the light's envelopes", () -> !seen.at(plug).isEmpty() && !seen.at(kitchen).isEmpty());
    assertEquals(List.of("removed"), seen.at(plug).stream().map(e -> e.getString("type")).toList());
    assertEquals(List.of("state"), seen.at(kitchen).stream().map(e -> e.getString("type")).toList(), "the light came back, never left");
    Await.until(WAIT, "two snapshots on this connection", () -> seen.at(snapshot).size() == 2);
    assertEquals(new JsonArray(), seen.at(snapshot).get(0).getJsonObject("data").getJsonArray("removed"));
    assertEquals(new JsonArray().add("switch.kitchen_plug"), seen.at(snapshot).get(1).getJsonObject("data").getJsonArray("removed"));
  }

  @Test
  @DisplayName("get_config failing: whether Home Assistant runs is unknown, so an entity missing from its snapshot is "
      + "not removed; once get_config says RUNNING, the snapshot is read again and what is gone is removed")
  void getConfigFailing() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));
    String snapshot = HomeAssistantAddresses.snapshot(NAME);
    String plug = HomeAssistantAddresses.state(NAME, "switch.kitchen_plug");
    startAndAwaitSubscribed();
    assertEquals("stopped", control.stop(NAME));
    sim.removeEntities("switch.kitchen_plug").await(); // gone for good, with no one connected to hear it
    sim.failConfig(true).await();

    Envelopes seen = Envelopes.on(vertx, snapshot, plug);
    startAndAwaitSubscribed();
    assertEquals("UNKNOWN", status().getString("ha_state"));
    assertTrue(toMap(states().getJsonArray("states")).containsKey("switch.kitchen_plug"), "nothing removed on a guess");
    Await.until(WAIT, "the first snapshot", () -> seen.at(snapshot).size() == 1);
    assertEquals(new JsonArray(), seen.at(snapshot).get(0).getJsonObject("data").getJsonArray("removed"));
    assertTrue(seen.at(plug).isEmpty(), "nothing published as removed: " + seen.at(plug));

    sim.failConfig(false).await();
    Await.until(WAIT, "running, snapshot read again", () -> "RUNNING".equals(status().getString("ha_state")));
    Await.until(WAIT, "the states equal the simulator's", () -> toMap(states().getJsonArray("states")), sim.states()::equals);
    // The table answers before the publish reaches this test's consumer: it is waited for, then checked whole.
    Await.until(WAIT, "the plug's envelope", () -> !seen.at(plug).isEmpty());
    assertEquals(List.of("removed"), seen.at(plug).stream().map(e -> e.getString("type")).toList());
    Await.until(WAIT, "two snapshots on this connection", () -> seen.at(snapshot).size() == 2);
    assertEquals(new JsonArray().add("switch.kitchen_plug"), seen.at(snapshot).get(1).getJsonObject("data").getJsonArray("removed"));
  }

  @Test
  @DisplayName("get_config failing while Home Assistant starts: its state is UNKNOWN then, not the STARTING it said before")
  void getConfigFailingWhileStarting() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));
    startAndAwaitSubscribed();
    assertEquals("stopped", control.stop(NAME));
    io.vertx.core.Promise<Void> integrationsLoaded = io.vertx.core.Promise.promise();
    Future<Void> restarted = sim.restart(Duration.ofMillis(50), integrationsLoaded.future(), "light.kitchen");
    Await.until(WAIT, "Home Assistant starting", () -> sim.coreState().equals("STARTING"));
    startAndAwaitSubscribed();
    assertEquals("STARTING", status().getString("ha_state"));
    sim.failConfig(true).await();
    Await.until(WAIT, "asked again, and failed", () -> "UNKNOWN".equals(status().getString("ha_state")));
    sim.failConfig(false).await();
    integrationsLoaded.complete();
    restarted.await();
    Await.until(WAIT, "running", () -> "RUNNING".equals(status().getString("ha_state")));
  }

  private static Map<String, JsonObject> toMap(JsonArray states) {
    Map<String, JsonObject> out = new HashMap<>();
    states.forEach(s -> out.put(((JsonObject) s).getString("entity_id"), (JsonObject) s));
    return out;
  }

  @Test
  @DisplayName("call_service toggles an entity in the simulator and the new state arrives")
  void callServiceToggles() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));
    String kitchen = HomeAssistantAddresses.state(NAME, "light.kitchen");
    Envelopes seen = Envelopes.on(vertx, kitchen);
    startAndAwaitSubscribed();
    assertEquals("off", sim.state("light.kitchen").getString("state"));

    JsonObject result = call(new JsonObject().put("domain", "light").put("service", "toggle")
        .put("target", new JsonObject().put("entity_id", "light.kitchen")));
    String contextId = result.getJsonObject("context").getString("id");
    assertNotNull(contextId);
    assertEquals("on", sim.state("light.kitchen").getString("state"));
    JsonObject arrived = Await.until(WAIT, "the new state", () -> seen.at(kitchen).stream()
        .filter(e -> e.getJsonObject("data").getString("state").equals("on")).findFirst().orElse(null), e -> e != null);
    assertEquals(contextId, arrived.getJsonObject("data").getJsonObject("context").getString("id"), "the state carries the call's context");
    assertEquals("on", vertx.eventBus().<JsonObject>request(HomeAssistantAddresses.states(NAME), new JsonObject().put("entity_id", "light.kitchen"))
        .await().body().getJsonObject("state").getString("state"));

    ReplyException refused = assertThrows(ReplyException.class,
        () -> call(new JsonObject().put("domain", "light").put("service", "explode")));
    assertEquals(502, refused.failureCode());
    assertTrue(refused.getMessage().contains("not_found: Service light.explode not found."), refused.getMessage());

    ReplyException invalid = assertThrows(ReplyException.class, () -> call(new JsonObject().put("service", "toggle")));
    assertEquals(400, invalid.failureCode());
    assertTrue(invalid.getMessage().contains("'domain' is required"), invalid.getMessage());
  }

  @Test
  @DisplayName("while disconnected: a call fails at once with a clear error; the last-known states still answer")
  void whileDisconnected() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));
    JsonObject toggle = new JsonObject().put("domain", "light").put("service", "toggle").put("target", new JsonObject().put("entity_id", "light.kitchen"));

    ReplyException before = assertThrows(ReplyException.class, () -> call(toggle));
    assertEquals(503, before.failureCode());
    assertTrue(before.getMessage().contains("not connected to Home Assistant"), before.getMessage());

    startAndAwaitSubscribed();
    assertEquals("stopped", control.stop(NAME));
    ReplyException after = assertThrows(ReplyException.class, () -> call(toggle));
    assertEquals(503, after.failureCode());
    assertEquals("off", sim.state("light.kitchen").getString("state"), "nothing was called");
    JsonObject known = states();
    assertEquals(false, known.getBoolean("subscribed"));
    assertEquals(sim.states().size(), known.getInteger("entities"));
  }
}
