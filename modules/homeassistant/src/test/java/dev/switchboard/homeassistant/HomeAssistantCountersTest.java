package dev.switchboard.homeassistant;

import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.ListenerStatus;
import dev.switchboard.core.Supervisor;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Control;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

import static dev.switchboard.homeassistant.HomeAssistantFixture.NAME;
import static dev.switchboard.homeassistant.HomeAssistantFixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The counters and the health facts: events_total across restarts of the process, the rate, stale streams. */
@ExtendWith(VertxExtension.class)
class HomeAssistantCountersTest {
  @TempDir
  Path dataDir;
  private Vertx vertx;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
  }

  @Test
  @DisplayName("events_total survives a restart of the process; events_session starts again from zero")
  void eventsTotalSurvivesRestart() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    String gap = HomeAssistantAddresses.gap(NAME);

    Vertx first = Vertx.vertx();
    try {
      HomeAssistantFixture.deploySupervisor(first, dataDir,
          HomeAssistantFixture.listener(sim.url(), HomeAssistantFixture.fastPolicy(), dataDir, true, new JsonObject()));
      Control c1 = new Control(first);
      c1.awaitState(NAME, ListenerState.CONNECTED, WAIT);
      sim.burst(30).await();
      Await.until(WAIT, "30 events counted", () -> c1.status(NAME).getLong("events_total") == 30);
    } finally {
      first.close().await(); // the companion writes the counter as it stops
    }
    assertTrue(Files.exists(dataDir.resolve("homeassistant-home.json")));

    Vertx second = Vertx.vertx();
    try {
      Envelopes gaps = Envelopes.on(second, gap);
      HomeAssistantFixture.deploySupervisor(second, dataDir,
          HomeAssistantFixture.listener(sim.url(), HomeAssistantFixture.fastPolicy(), dataDir, true, new JsonObject()));
      Control c2 = new Control(second);
      JsonObject status = c2.awaitState(NAME, ListenerState.CONNECTED, WAIT);
      assertEquals(30L, status.getLong("events_total"));
      assertEquals(0L, status.getLong("events_session"));
      assertNotNull(status.getString("last_event_at"), "the last event of the previous run is remembered");
      sim.burst(5).await();
      Await.until(WAIT, "5 more", () -> c2.status(NAME).getLong("events_total") == 35);
      assertEquals(5L, c2.status(NAME).getLong("events_session"));
      Await.until(WAIT, "the gap of the new run", () -> gaps.size() == 1);
      assertNotNull(gaps.at(gap).get(0).getJsonObject("data").getString("from"),
          "after a restart of the process the gap starts at the last event of the previous run");
    } finally {
      second.close().await();
    }
  }

  @Test
  @DisplayName("removing the listener closes its connection and deletes its counters: a new one of the same name starts from zero")
  void removeDeletesCounters() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    Supervisor supervisor = HomeAssistantFixture.deploySupervisor(vertx, dataDir,
        HomeAssistantFixture.listener(sim.url(), HomeAssistantFixture.fastPolicy(), dataDir, true, new JsonObject()));
    Control control = new Control(vertx);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    sim.burst(10).await();
    Await.until(WAIT, "10 events counted", () -> control.status(NAME).getLong("events_total") == 10);
    Path counters = dataDir.resolve("homeassistant-home.json");

    assertEquals("removed", supervisor.remove(NAME).await().outcome());
    assertFalse(Files.exists(counters), "the kind's state went with the listener");
    Await.until(WAIT, "the connection closed", () -> sim.concurrentConnections() == 0);

    JsonObject again = HomeAssistantFixture.listener(sim.url(), HomeAssistantFixture.fastPolicy(), dataDir, true, new JsonObject())
        .source().copy();
    assertEquals("created", supervisor.define(NAME, again).await().outcome());
    assertEquals(0L, control.awaitState(NAME, ListenerState.CONNECTED, WAIT).getLong("events_total"));
  }

  @Test
  @DisplayName("reconnectWhenStale: a subscription that stays silent past staleAfter is renewed, with last_error code 'stale'")
  void reconnectWhenStale() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx); // quiet unless told to fire
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim.url(), HomeAssistantFixture.fastPolicy(),
        dataDir, true, new JsonObject().put("staleAfter", "300ms").put("reconnectWhenStale", true)));
    Control control = new Control(vertx);
    Await.until(WAIT, "renewed for silence", () -> control.status(NAME).getLong("deployments") >= 2
        && control.status(NAME).getJsonObject("last_error") != null);
    assertEquals("stale", control.status(NAME).getJsonObject("last_error").getString("code"));
    assertTrue(sim.concurrentConnections() <= 1);
  }

  @Test
  @DisplayName("reconnectWhenStale: pings were answered while no event came, so the gap starts at the last event")
  void staleGapFromTheLastEvent() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx); // quiet unless told to fire
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim.url(), HomeAssistantFixture.fastPolicy(),
        dataDir, false, new JsonObject().put("staleAfter", "800ms").put("reconnectWhenStale", true)));
    String kitchen = HomeAssistantAddresses.state(NAME, "light.kitchen");
    String gap = HomeAssistantAddresses.gap(NAME);
    Envelopes seen = Envelopes.on(vertx, kitchen, gap);
    Control control = new Control(vertx);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    sim.setState("light.kitchen", "on", null).await();
    JsonObject last = Await.until(WAIT, "the last event", () -> seen.at(kitchen).stream()
        .filter(e -> "on".equals(e.getJsonObject("data").getString("state"))).findFirst().orElse(null), e -> e != null);
    Await.until(WAIT, "the renewed connection's gap", () -> seen.at(gap).size() == 2);
    assertEquals("stale", control.status(NAME).getJsonObject("last_error").getString("code"));
    Instant from = Instant.parse(seen.at(gap).get(1).getJsonObject("data").getString("from"));
    Instant lastAt = Instant.ofEpochMilli(last.getLong("ts"));
    // The pings every 200 ms were answered through the 800 ms of silence: without this, from is the last pong.
    assertTrue(!from.isBefore(lastAt.minusMillis(50)) && !from.isAfter(lastAt.plusMillis(50)),
        "from the last event, at " + lastAt + ": " + seen.at(gap).get(1).encode());
  }

  @Test
  @DisplayName("event_rate_per_min tracks a known simulator rate within 10%")
  void eventRateTracksSimulator() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx, HomeAssistantFixture.options().withRate(40));
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));
    Control control = new Control(vertx);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);

    assertRateAfterSixSeconds(control, "after the start");

    // Down for three seconds, then the same: the seconds without a connection do not read as a quiet home.
    control.stop(NAME);
    Instant down = Instant.now().plusMillis(3_000);
    Await.until(WAIT, "three seconds stopped", () -> Instant.now().isAfter(down));
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    assertRateAfterSixSeconds(control, "after a restart");
  }

  /** Five complete seconds of events at 40/s, plus the partial first one and the status refresh: 2400 a minute. */
  private static void assertRateAfterSixSeconds(Control control, String when) {
    Instant enough = Instant.now().plusMillis(6_500);
    Await.until(WAIT, "six seconds of events " + when, () -> Instant.now().isAfter(enough));
    long rate = control.status(NAME).getLong("event_rate_per_min");
    assertTrue(Math.abs(rate - 2_400) <= 240, "event_rate_per_min " + when + ": " + rate + ", expected 2400 ± 10%");
  }

  @Test
  @DisplayName("health: a problem while not subscribed, and when no event came for longer than staleAfter")
  void healthProblems() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    ListenerDefinition definition = HomeAssistantFixture.listener(sim.url(), HomeAssistantFixture.fastPolicy(), dataDir, false,
        new JsonObject().put("staleAfter", "300ms"));
    Supervisor supervisor = HomeAssistantFixture.deploySupervisor(vertx, dataDir, definition);
    Control control = new Control(vertx);

    ListenerStatus stopped = ListenerStatus.fromJson(control.status(NAME));
    assertTrue(definition.factory().healthProblem(stopped).orElse("").contains("not subscribed"),
        "the kind itself says unhealthy while not subscribed");

    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    String stale = Await.until(WAIT, "silent for longer than staleAfter", () -> health(supervisor).orElse(null), p -> p != null);
    assertTrue(stale.startsWith("no Home Assistant event for"), stale);
    Await.until(WAIT, "stale in the status too", () -> Boolean.TRUE.equals(control.status(NAME).getBoolean("stale")));

    sim.setState("light.kitchen", "on", null).await();
    Await.until(WAIT, "healthy again after an event", () -> health(supervisor).isEmpty());
    Await.until(WAIT, "not stale in the status", () -> Boolean.FALSE.equals(control.status(NAME).getBoolean("stale")));

    assertEquals("stopped", control.stop(NAME));
    assertFalse(health(supervisor).isPresent(), "a stopped listener is not a health problem");
  }

  @Test
  @DisplayName("health: a fresh subscription gets the whole staleAfter before an event is due, however old the last event")
  void aFreshSubscriptionIsHealthy() {
    HomeAssistantSettings settings = HomeAssistantSettings.from(new dev.switchboard.core.ConfigSection("listeners[0]",
        new JsonObject().put("url", "ws://127.0.0.1:8123/api/websocket").put("token", "t0ken").put("staleAfter", "300ms"),
        HomeAssistantKind.FIELDS, java.util.Map.of()));
    HomeState home = new HomeState();
    home.restore(0, 1_000); // the last event, long before
    home.subscribed(true, 100_000);
    assertEquals(Optional.empty(), HomeAssistantKind.healthProblem(settings, home, 100_300));
    assertTrue(HomeAssistantKind.healthProblem(settings, home, 100_301).orElse("").startsWith("no Home Assistant event for"));
  }

  private static Optional<String> health(Supervisor supervisor) {
    return HomeAssistantFixture.healthProblem(supervisor);
  }
}
