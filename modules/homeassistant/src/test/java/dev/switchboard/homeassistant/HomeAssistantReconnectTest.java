package dev.switchboard.homeassistant;

import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.ListenerStatus;
import dev.switchboard.core.RestartPolicy;
import dev.switchboard.core.Supervisor;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Census;
import dev.switchboard.core.testing.Control;
import dev.switchboard.core.testing.StatusRecorder;
import dev.switchboard.simulators.homeassistant.ConnectionRecord;
import dev.switchboard.simulators.homeassistant.HomeAssistantSimulator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.switchboard.homeassistant.HomeAssistantFixture.NAME;
import static dev.switchboard.homeassistant.HomeAssistantFixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reconnects against the simulator: forced drops, a stalled server, a refused subscription, bad frames. */
@ExtendWith(VertxExtension.class)
class HomeAssistantReconnectTest {
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

  @Test
  @DisplayName("100 forced reconnects: one live subscription per event type afterwards, never two connections, no event counted twice, nothing left behind")
  void hundredForcedReconnects() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx, HomeAssistantFixture.options().withRate(200));
    RestartPolicy quick = new RestartPolicy(Duration.ofMillis(10), Duration.ofMillis(30), 2.0, 0.2, 0,
        Duration.ofSeconds(30), Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(2));
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim.url(), quick, dataDir, false, new JsonObject()));
    Envelopes events = Envelopes.on(vertx, EVENTS);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);

    Census baseline = null;
    for (int i = 0; i < 100; i++) {
      if (i == 10) {
        baseline = Census.restingAfter(vertx, "one connection left", () -> sim.settledAt(1)); // after a warm-up: pools grow lazily
      }
      long before = sim.totalConnections();
      int seen = events.size();
      Await.until(WAIT, "events flowing on connection " + before, () -> events.size() > seen);
      sim.dropAll(i % 2 == 0).await(); // clean close frames and TCP cuts, in turn
      Await.until(WAIT, "reconnect " + (i + 1), () -> sim.totalConnections() == before + 1);
      control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    }
    int seen = events.size();
    Await.until(WAIT, "events flowing after the last reconnect", () -> events.size() > seen);
    Census.awaitBackTo(baseline, vertx, "one connection left", () -> sim.settledAt(1));

    assertEquals(1L, sim.liveSubscriptions("state_changed").await(), "exactly one live subscription");
    assertEquals(1, sim.maxConcurrentConnections(), "never two connections at once");
    assertEquals(101, sim.totalConnections());
    for (ConnectionRecord record : sim.connections()) {
      assertEquals(1, record.commands("subscribe_events").size(), record + " subscribed once");
    }

    sim.setRate(0).await();
    sim.dropAll(true).await(); // everything in flight is delivered or lost, and then nothing moves
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    Await.until(WAIT, "counters settled", () -> status().getLong("events_session") == events.size());
    Set<String> contexts = new HashSet<>();
    for (JsonObject e : events.at(EVENTS)) {
      assertTrue(contexts.add(e.getJsonObject("data").getJsonObject("context").getString("id")), "event published twice: " + e);
    }
    long sent = sim.connections().stream().mapToLong(ConnectionRecord::eventsSent).sum();
    assertTrue(events.size() <= sent, events.size() + " events counted but only " + sent + " sent");
    List<Long> seqs = events.at(EVENTS).stream().map(e -> e.getLong("seq")).toList();
    for (int i = 1; i < seqs.size(); i++) {
      assertTrue(seqs.get(i) > seqs.get(i - 1), "seq grows across reconnects");
    }
  }

  @Test
  @DisplayName("a server frozen behind a live proxy (WebSocket pongs keep coming, no answer to the ping command): noticed as a stalled one is")
  void frozenBehindALiveProxy() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx, HomeAssistantFixture.options().withRate(20));
    awaitHeartbeatFailure(sim, sim::stallBehindAProxy);
  }

  @Test
  @DisplayName("a stalled server (no pong): reconnect within heartbeatInterval + heartbeatTimeout")
  void stalledServer() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx, HomeAssistantFixture.options().withRate(20));
    StatusRecorder.Seen backoff = awaitHeartbeatFailure(sim, sim::stall);
    assertEquals(false, backoff.status().getBoolean("subscribed"), "not subscribed from the moment the connection is known dead");

    Await.until(WAIT, "a fresh connection", () -> sim.totalConnections() == 2);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    long before = status().getLong("events_session");
    Await.until(WAIT, "events on the fresh connection", () -> status().getLong("events_session") > before);
    Await.until(WAIT, "the stalled connection closed by the client", () -> sim.concurrentConnections() == 1);
    // The client closed the frozen socket before reconnecting; the relay may pass that on a moment late.
    assertTrue(sim.maxConcurrentConnections() <= 2, "the frozen connection and its replacement, never more");
  }

  @Test
  @DisplayName("a subscribe refused by the server: reconnect with growing backoff, never CONNECTED; subscribed once it is allowed")
  void refusedSubscribe() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    RestartPolicy policy = new RestartPolicy(Duration.ofMillis(50), Duration.ofMillis(400), 2.0, 0.2, 0,
        Duration.ofSeconds(30), Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(2));
    // A non-admin user's token: state_changed is allowed, call_service is not.
    ListenerDefinition definition = HomeAssistantFixture.listener(sim.url(), policy, dataDir, false,
        new JsonObject().put("eventTypes", new io.vertx.core.json.JsonArray().add("state_changed").add("call_service")));
    Supervisor supervisor = HomeAssistantFixture.deploySupervisor(vertx, dataDir, definition);
    StatusRecorder recorder = new StatusRecorder(vertx);
    sim.refuseSubscriptions(true).await();

    control.start(NAME);
    Await.until(WAIT, "four refused attempts", () -> status().getInteger("attempt") >= 4);
    JsonObject status = status();
    assertEquals("unauthorized", status.getJsonObject("last_error").getString("code"));
    assertTrue(status.getJsonObject("last_error").getString("message").contains("refused subscribe_events for 'call_service'"),
        status.getJsonObject("last_error").getString("message"));
    assertEquals(false, status.getBoolean("subscribed"));
    assertFalse(recorder.states(NAME).contains("CONNECTED"), "never looked connected: " + recorder.states(NAME));
    assertTrue(HomeAssistantFixture.healthProblem(supervisor).isPresent(), "unhealthy while not subscribed");

    List<StatusRecorder.Seen> backoffs = recorder.of(NAME).stream().filter(s -> s.state().equals("BACKOFF")).toList();
    for (int i = 0; i < 3; i++) {
      long delay = Instant.parse(backoffs.get(i).status().getString("next_retry_at")).toEpochMilli() - backoffs.get(i).at();
      long nominal = 50L << i;
      assertTrue(delay >= nominal * 0.8 - 15 && delay <= nominal * 1.2 + 5, "attempt " + (i + 1) + ": " + delay + " ms, not about " + nominal);
    }

    sim.refuseSubscriptions(false).await();
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    assertEquals(true, status().getBoolean("subscribed"));
    assertEquals(1L, sim.liveSubscriptions("state_changed").await());
    assertEquals(1L, sim.liveSubscriptions("call_service").await());
    assertTrue(HomeAssistantFixture.healthProblem(supervisor).isEmpty());
  }

  @Test
  @DisplayName("malformed and oversized frames: counted; a malformed one leaves the connection up, an oversized one reconnects")
  void malformedAndOversized() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim.url(), HomeAssistantFixture.fastPolicy(),
        dataDir, false, new JsonObject().put("maxFrameSize", 64 * 1024)));
    Envelopes events = Envelopes.on(vertx, EVENTS);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);

    sim.sendMalformed().await();
    sim.sendMalformed().await();
    Await.until(WAIT, "two malformed frames counted", () -> status().getLong("malformed") == 2);
    assertEquals(ListenerState.CONNECTED, control.state(NAME));
    assertEquals(1, sim.totalConnections(), "a malformed frame does not end the connection");

    sim.sendOversized(256 * 1024).await();
    Await.until(WAIT, "the oversized frame counted", () -> status().getLong("malformed") == 3);
    Await.until(WAIT, "reconnected after the oversized frame", () -> sim.totalConnections() == 2);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    sim.setState("light.kitchen", "on", null).await();
    Await.until(WAIT, "events still ingested", () -> events.size() == 1);
  }

  @Test
  @DisplayName("a state_changed whose data has no new_state is malformed: counted, and the entity is kept (only a new_state of null removes one)")
  void stateChangedWithoutNewStateKeepsTheEntity() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim.url(), HomeAssistantFixture.fastPolicy(),
        dataDir, false, new JsonObject()));
    Envelopes changes = Envelopes.on(vertx, HomeAssistantAddresses.state(NAME, "light.kitchen"));
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);

    sim.sendStateChangedWithoutNewState("light.kitchen").await();
    Await.until(WAIT, "counted as malformed", () -> status().getLong("malformed") == 1);
    JsonObject states = vertx.eventBus().<JsonObject>request(HomeAssistantAddresses.states(NAME), new JsonObject()).await().body();
    assertTrue(states.getJsonArray("states").stream().anyMatch(st -> "light.kitchen".equals(((JsonObject) st).getString("entity_id"))),
        "still among the states");
    // A real change after it, to a state nothing else sets: once it has come, a removal would have come before it.
    sim.setState("light.kitchen", "unavailable", null).await();
    Await.until(WAIT, "the real change", () -> changes.bySeq().stream()
        .anyMatch(e -> "unavailable".equals(e.getJsonObject("data").getString("state"))));
    assertTrue(changes.bySeq().stream().noneMatch(e -> "removed".equals(e.getString("type"))), "never a removal: " + changes.bySeq());
  }

  @Test
  @DisplayName("a 20 MB message, over the default 16 MiB maxFrameSize in 4 MiB frames: malformed, closed by Switchboard with 1009, renewed")
  void messageOverMaxFrameSizeRenewsTheConnection() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx);
    // Heartbeats far apart: the pong waits behind 20 MB, and this test is about the message, not the heartbeat.
    RestartPolicy policy = new RestartPolicy(Duration.ofMillis(20), Duration.ofMillis(200), 2.0, 0.2, 0,
        Duration.ofSeconds(30), Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(10));
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim.url(), policy, dataDir, false, new JsonObject()));
    Envelopes events = Envelopes.on(vertx, EVENTS);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);

    sim.sendOversized(20 * 1024 * 1024).await();
    Await.until(WAIT, "reconnected after the oversized message",
        () -> sim.totalConnections() == 2 && control.state(NAME) == ListenerState.CONNECTED);
    JsonObject status = status();
    assertEquals(1, status.getLong("malformed"));
    JsonObject error = status.getJsonObject("last_error");
    assertEquals("1009", error.getString("code"), error.encode());
    assertTrue(error.getString("message").contains(" closed the connection (code 1009, "), error.encode());
    assertFalse(error.getString("message").contains("upstream"), error.encode());
    ConnectionRecord first = Await.until(WAIT, "the first connection closed at the simulator", () -> sim.connections().get(0),
        record -> !record.isOpen());
    assertEquals(1009, first.closeCode());
    assertEquals(1, sim.maxConcurrentConnections());

    sim.setState("light.kitchen", "on", null).await();
    Await.until(WAIT, "events still ingested", () -> events.size() == 1);
  }

  @Test
  @DisplayName("30 start/stop cycles (with a service call each) leave nothing behind: deployments, consumers, timers, sockets, threads as before")
  void startStopCyclesLeaveNothingBehind() {
    HomeAssistantSimulator sim = HomeAssistantFixture.simulator(vertx, HomeAssistantFixture.options().withRate(50));
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));
    JsonObject call = new JsonObject().put("domain", "switch").put("service", "toggle")
        .put("target", new JsonObject().put("entity_id", "switch.kitchen_plug"));
    Runnable cycle = () -> {
      control.start(NAME);
      control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
      vertx.eventBus().request(HomeAssistantAddresses.call(NAME), call).await();
      control.stop(NAME);
    };
    // The first cycles create what lives as long as the process: event-loop threads with their DNS
    // resolver sockets, and the threads of the pools that write the state files (one per task up to 20).
    for (int i = 0; i < 15; i++) {
      cycle.run();
    }
    Await.until(WAIT, "the first connection closed", () -> sim.concurrentConnections() == 0);
    Census before = Census.of(vertx);
    for (int i = 0; i < 30; i++) {
      cycle.run();
    }
    Await.until(WAIT, "every connection closed", () -> sim.concurrentConnections() == 0);
    Census after = Await.until(WAIT, "everything released as before: " + before, () -> Census.of(vertx), c -> c.nothingMoreThan(before));
    assertEquals(before.timers(), after.timers());
    assertEquals(1, sim.maxConcurrentConnections());
    assertEquals(false, status().getBoolean("subscribed"));
  }

  /**
   * Connects, lets pings be answered, then {@code freeze}s the server: the first status carrying an error (the
   * supervisor acting on the dead connection; it then waits up to the closing timeout for a close handshake the
   * frozen server never answers) must say {@code heartbeat}, within heartbeatInterval 200 ms + heartbeatTimeout
   * 200 ms, plus scheduling slack on a shared machine.
   */
  private StatusRecorder.Seen awaitHeartbeatFailure(HomeAssistantSimulator sim, java.util.function.Supplier<Future<Void>> freeze) {
    HomeAssistantFixture.deploySupervisor(vertx, dataDir, HomeAssistantFixture.listener(sim, dataDir));
    StatusRecorder recorder = new StatusRecorder(vertx);
    control.start(NAME);
    control.awaitState(NAME, ListenerState.CONNECTED, WAIT);
    Await.until(WAIT, "pings answered", () -> sim.lastConnection().commands("ping").size() >= 2);

    long frozenAt = System.currentTimeMillis();
    freeze.get().await();
    StatusRecorder.Seen backoff = Await.until(WAIT, "the dead connection noticed",
        () -> recorder.of(NAME).stream().filter(s -> s.status().getJsonObject("last_error") != null).findFirst().orElse(null),
        s -> s != null);
    long detectedAfter = backoff.at() - frozenAt;
    assertTrue(detectedAfter <= 200 + 200 + 250, "detected after " + detectedAfter + " ms");
    assertEquals("heartbeat", backoff.status().getJsonObject("last_error").getString("code"));
    return backoff;
  }
}
