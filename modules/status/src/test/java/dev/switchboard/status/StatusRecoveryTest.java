package dev.switchboard.status;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Control;
import dev.switchboard.core.testing.StatusRecorder;
import dev.switchboard.simulators.feed.FeedSimulator;
import io.vertx.core.Vertx;
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
import java.util.List;

import static dev.switchboard.status.StatusFixture.refusal;
import static dev.switchboard.status.StatusFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Status recovery against the real supervisor, driving real feed listeners against the feed simulator. */
@ExtendWith(VertxExtension.class)
class StatusRecoveryTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private Control control;
  private FeedSimulator sim;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.control = new Control(vertx);
    this.sim = StatusFixture.quietSimulator(vertx);
  }

  private void deploy(int statusHistory) {
    StatusFixture.deploySupervisor(vertx, dataDir, StatusFixture.feed("alpha", sim.url()), StatusFixture.feed("beta", sim.url()));
    StatusFixture.deployModule(vertx, StatusFixture.options(statusHistory, ActivityOptions.defaults(), List.of()));
  }

  private JsonObject since(long seq) {
    return request(vertx, StatusAddresses.STATUS_SINCE, new JsonObject().put("seq", seq));
  }

  private JsonObject supervisorSnapshot() {
    return request(vertx, Addresses.STATUS_SNAPSHOT, new JsonObject());
  }

  /** A start and a stop of a listener: four deltas (STARTING, CONNECTED, STOPPING, STOPPED). */
  private void cycle(String name) {
    control.start(name);
    control.awaitState(name, ListenerState.CONNECTED, WAIT);
    control.stop(name);
  }

  /** Waits until the recorder and the fan-out have seen the supervisor's current seq, and returns it. */
  private long settled(StatusRecorder recorder) {
    // Quiet first: counters that changed just before a stop are pushed on the next status tick (50 ms).
    Await.until(WAIT, "no status pushed for 300 ms", () -> {
      List<StatusRecorder.Seen> all = recorder.all();
      return !all.isEmpty() && System.currentTimeMillis() - all.get(all.size() - 1).at() > 300;
    });
    long current = supervisorSnapshot().getLong("seq");
    Await.until(WAIT, "the recorder to see seq " + current,
        () -> recorder.all().stream().anyMatch(s -> s.seq() == current));
    Await.until(WAIT, "the fan-out to reach seq " + current, () -> since(current).getLong("seq") == current);
    return current;
  }

  @Test
  @DisplayName("a client that reconnects with its last seq gets exactly the deltas it missed, in order, as the supervisor pushed them")
  void deltasAfterASeq() {
    deploy(1000);
    StatusRecorder recorder = new StatusRecorder(vertx);
    cycle("alpha");
    long missedFrom = settled(recorder);
    cycle("beta");
    control.start("alpha");
    control.awaitState("alpha", ListenerState.CONNECTED, WAIT);
    long current = settled(recorder);
    assertTrue(current - missedFrom >= 6, "at least six status changes happened while 'away'");

    JsonObject answer = since(missedFrom);
    assertEquals("deltas", answer.getString("mode"));
    assertEquals(current, answer.getLong("seq"));
    JsonArray expected = new JsonArray();
    recorder.all().stream().filter(s -> s.seq() > missedFrom && s.seq() <= current)
        .forEach(s -> expected.add(new JsonObject().put("seq", s.seq()).put("status", s.status())));
    assertEquals(expected, answer.getJsonArray("deltas"), "the same deltas, the same order, the same content");
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(missedFrom + 1 + i, answer.getJsonArray("deltas").getJsonObject(i).getLong("seq"), "consecutive seqs");
    }
    List<String> states = answer.getJsonArray("deltas").stream()
        .map(d -> ((JsonObject) d).getJsonObject("status"))
        .filter(s -> s.getString("name").equals("beta")).map(s -> s.getString("state")).toList();
    assertEquals(List.of("STARTING", "CONNECTED", "STOPPING", "STOPPED"), states.stream().distinct().toList(),
        "beta's missed life, start to stop");

    JsonObject upToDate = since(current);
    assertEquals("deltas", upToDate.getString("mode"));
    assertEquals(0, upToDate.getJsonArray("deltas").size(), "nothing missed: no deltas");

    JsonObject first = since(0);
    assertEquals("snapshot", first.getString("mode"), "seq 0, nothing applied yet: every listener, changed or not");
    assertEquals(supervisorSnapshot().getJsonArray("listeners"), first.getJsonArray("listeners"));
    recorder.close();
  }

  @Test
  @DisplayName("a seq older than the kept deltas gets a snapshot equal to the supervisor's; the oldest seq still kept gets deltas")
  void snapshotWhenTooOld() {
    deploy(4);
    StatusRecorder recorder = new StatusRecorder(vertx);
    cycle("alpha");
    cycle("beta");
    long current = settled(recorder);
    assertTrue(current >= 8);

    JsonObject edge = since(current - 4);
    assertEquals("deltas", edge.getString("mode"), "the four newest deltas are kept");
    assertEquals(4, edge.getJsonArray("deltas").size());
    assertEquals(current - 3, edge.getJsonArray("deltas").getJsonObject(0).getLong("seq"));

    JsonObject old = since(current - 5);
    assertEquals("snapshot", old.getString("mode"), "one delta too many is missing");
    assertEquals(current, old.getLong("seq"));
    JsonObject truth = supervisorSnapshot();
    assertEquals(truth.getLong("seq"), old.getLong("seq"));
    assertEquals(truth.getJsonArray("listeners"), old.getJsonArray("listeners"), "the snapshot is the supervisor's state");
    assertEquals("snapshot", since(0).getString("mode"));
    recorder.close();
  }

  @Test
  @DisplayName("a seq from the future (the client saw a server before a restart) gets the supervisor's current snapshot")
  void snapshotForAFutureSeq() {
    deploy(1000);
    StatusRecorder recorder = new StatusRecorder(vertx);
    cycle("alpha");
    control.start("beta");
    control.awaitState("beta", ListenerState.CONNECTED, WAIT);
    long current = settled(recorder);

    JsonObject answer = since(current + 5_000);
    assertEquals("snapshot", answer.getString("mode"));
    assertEquals(current, answer.getLong("seq"));
    JsonObject truth = supervisorSnapshot();
    assertEquals(truth.getJsonArray("listeners"), answer.getJsonArray("listeners"));
    List<String> states = answer.getJsonArray("listeners").stream().map(o -> ((JsonObject) o).getString("state")).toList();
    assertEquals(List.of("STOPPED", "CONNECTED"), states);
    recorder.close();
  }

  @Test
  @DisplayName("the snapshot and every since answer name the process's view; a seq of another view (before a restart) gets a snapshot, never deltas")
  void anotherViewGetsASnapshot() {
    deploy(1000);
    StatusRecorder recorder = new StatusRecorder(vertx);
    cycle("alpha");
    long current = settled(recorder);
    String view = supervisorSnapshot().getString("view");
    assertNotNull(view, "the supervisor's snapshot names its view");

    JsonObject same = request(vertx, StatusAddresses.STATUS_SINCE, new JsonObject().put("seq", current - 2).put("view", view));
    assertEquals("deltas", same.getString("mode"));
    assertEquals(view, same.getString("view"));
    assertEquals(2, same.getJsonArray("deltas").size());

    // The same seq, counted in another stream: the deltas after it here would be the wrong ones.
    JsonObject other = request(vertx, StatusAddresses.STATUS_SINCE, new JsonObject().put("seq", current - 2).put("view", "a-process-before-a-restart"));
    assertEquals("snapshot", other.getString("mode"));
    assertEquals(view, other.getString("view"));
    assertEquals(current, other.getLong("seq"));
    assertEquals(supervisorSnapshot().getJsonArray("listeners"), other.getJsonArray("listeners"));
    recorder.close();
  }

  @Test
  @DisplayName("deployed while listeners already run: follows from the supervisor's snapshot, older seqs get a snapshot")
  void startsFromTheSupervisorsSnapshot() {
    StatusFixture.deploySupervisor(vertx, dataDir, StatusFixture.feed("alpha", sim.url()));
    StatusRecorder recorder = new StatusRecorder(vertx);
    control.start("alpha");
    control.awaitState("alpha", ListenerState.CONNECTED, WAIT);
    long before = supervisorSnapshot().getLong("seq");
    StatusFixture.deployModule(vertx, StatusFixture.options(1000, ActivityOptions.defaults(), List.of()));

    JsonObject fresh = since(before);
    assertEquals("deltas", fresh.getString("mode"));
    assertEquals(before, fresh.getLong("seq"));
    assertEquals("snapshot", since(before - 1).getString("mode"), "what happened before the module started is not kept");
    assertEquals("CONNECTED", since(before - 1).getJsonArray("listeners").getJsonObject(0).getString("state"));

    control.stop("alpha");
    long current = settled(recorder);
    JsonObject after = since(before);
    assertEquals("deltas", after.getString("mode"));
    assertEquals(current - before, after.getJsonArray("deltas").size());
    assertEquals("STOPPED", after.getJsonArray("deltas").getJsonObject((int) (current - before - 1)).getJsonObject("status").getString("state"));
    recorder.close();
  }

  @Test
  @DisplayName("statusHistory 0 keeps no delta: any older seq gets a snapshot")
  void noHistory() {
    deploy(0);
    StatusRecorder recorder = new StatusRecorder(vertx);
    cycle("alpha");
    long current = settled(recorder);
    assertEquals("snapshot", since(current - 1).getString("mode"));
    assertEquals("deltas", since(current).getString("mode"));
    recorder.close();
  }

  @Test
  @DisplayName("a bad recovery request is refused with a 400 that says what is wrong")
  void badRequests() {
    deploy(1000);
    assertTrue(refusal(vertx, StatusAddresses.STATUS_SINCE, "seq=3", 400).contains("JSON object"));
    assertTrue(refusal(vertx, StatusAddresses.STATUS_SINCE, new JsonObject(), 400).contains("\"seq\" is missing"));
    assertTrue(refusal(vertx, StatusAddresses.STATUS_SINCE, new JsonObject().put("seq", -1), 400).contains("whole number >= 0"));
    assertTrue(refusal(vertx, StatusAddresses.STATUS_SINCE, new JsonObject().put("seq", "12"), 400).contains("not \"12\""));
    assertTrue(refusal(vertx, StatusAddresses.STATUS_SINCE, new JsonObject().put("seq", 1.5), 400).contains("whole number"));
    // Past 2^63 - 1, as a bridge client's JSON arrives: refused, not wrapped to a negative and left unanswered.
    assertTrue(refusal(vertx, StatusAddresses.STATUS_SINCE, new JsonObject().put("seq", new java.math.BigInteger("9223372036854775808")), 400)
        .contains("whole number >= 0"));
    assertEquals("snapshot", since(0).getString("mode"), "and it still answers good ones");
  }

  @Test
  @DisplayName("junk published on switchboard.status is ignored: the fan-out keeps following the supervisor")
  void junkOnTheStatusAddress() {
    deploy(1000);
    StatusRecorder recorder = new StatusRecorder(vertx);
    vertx.eventBus().publish(Addresses.STATUS, "junk");
    vertx.eventBus().publish(Addresses.STATUS, new JsonObject().put("seq", "x"));
    vertx.eventBus().publish(Addresses.STATUS, new JsonObject().put("seq", 999).put("status", "x"));
    cycle("alpha");
    long current = settled(recorder);
    JsonObject answer = since(1); // 0 would answer a snapshot
    assertEquals("deltas", answer.getString("mode"));
    assertEquals(current - 1, answer.getJsonArray("deltas").size(), "every real delta after the first, nothing else");
    recorder.close();
  }

  @Test
  @DisplayName("without a supervisor the module refuses to start, says why, and leaves nothing deployed")
  void needsTheSupervisor() {
    int before = vertx.deploymentIDs().size();
    Throwable thrown = assertThrows(Throwable.class,
        () -> StatusFixture.deployModule(vertx, StatusOptions.defaults()));
    assertTrue(String.valueOf(thrown.getMessage()).contains("deploy the Supervisor before the status module"), thrown.toString());
    Await.until(WAIT, "no deployment left", () -> vertx.deploymentIDs().size() == before);
  }
}
