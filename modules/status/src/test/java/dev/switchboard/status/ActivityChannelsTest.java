package dev.switchboard.status;

import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Census;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.switchboard.status.StatusFixture.refusal;
import static dev.switchboard.status.StatusFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Activity channels over the real event bus: pushes, stale clearing, bounded memory, refusals. */
@ExtendWith(VertxExtension.class)
class ActivityChannelsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** How late a timer may fire on a busy two-core machine and still count as on time. */
  private static final long LATE_MS = 1_500;

  private Vertx vertx;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
  }

  private static ActivityOptions phases(Duration thinking, Duration extraction, Duration forgetAfter, int maxChannels) {
    return new ActivityOptions(List.of(
        new ActivityPhase("thinking", "thinking_start", "thinking_end", thinking),
        new ActivityPhase("extraction", "extraction_start", "extraction_complete", extraction),
        new ActivityPhase("summary", "summary_start", "summary_complete", Duration.ofSeconds(60))),
        forgetAfter, maxChannels);
  }

  private void deploy(ActivityOptions options) {
    vertx.deployVerticle(new ActivityChannels(options)).await();
  }

  private JsonObject report(String channel, String type) {
    return request(vertx, StatusAddresses.ACTIVITY_REPORT, new JsonObject().put("channel", channel).put("type", type));
  }

  private JsonObject snapshot() {
    return request(vertx, StatusAddresses.ACTIVITY_SNAPSHOT, new JsonObject());
  }

  private static JsonObject flags(boolean thinking, boolean extraction, boolean summary) {
    return new JsonObject().put("thinking", thinking).put("extraction", extraction).put("summary", summary);
  }

  @Test
  @DisplayName("set and clear are pushed with the flag, the reason, the whole flag map and a seq that grows by one")
  void setAndClearArePushed() {
    deploy(ActivityOptions.defaults());
    ActivityRecorder recorder = new ActivityRecorder(vertx);

    JsonObject reply = report("job-1", "thinking_start");
    assertEquals(true, reply.getBoolean("ok"));
    assertEquals(flags(true, false, false), reply.getJsonObject("flags"));
    report("job-2", "extraction_start");
    report("job-1", "summary_start");
    report("job-1", "thinking_end");
    Await.until(WAIT, "four pushes", () -> recorder.all().size() == 4);

    List<JsonObject> events = recorder.all().stream().map(ActivityRecorder.Seen::event).toList();
    assertEquals(List.of(1L, 2L, 3L, 4L), events.stream().map(e -> e.getLong("seq")).toList());
    JsonObject first = events.get(0);
    assertEquals("job-1", first.getString("channel"));
    assertEquals("thinking", first.getString("flag"));
    assertEquals(true, first.getBoolean("value"));
    assertEquals("set", first.getString("reason"));
    assertEquals(flags(true, false, false), first.getJsonObject("flags"));
    Instant.parse(first.getString("at"));
    assertEquals(flags(false, true, false), events.get(1).getJsonObject("flags"));
    assertEquals(flags(true, false, true), events.get(2).getJsonObject("flags"));
    JsonObject cleared = events.get(3);
    assertEquals("thinking", cleared.getString("flag"));
    assertEquals(false, cleared.getBoolean("value"));
    assertEquals("cleared", cleared.getString("reason"));
    assertEquals(flags(false, false, true), cleared.getJsonObject("flags"), "the map after the change");

    JsonObject snapshot = snapshot();
    assertEquals(4L, snapshot.getLong("seq"));
    JsonArray channels = snapshot.getJsonArray("channels");
    assertEquals(2, channels.size());
    JsonObject job1 = channels.getJsonObject(0);
    assertEquals("job-1", job1.getString("channel"));
    assertEquals(flags(false, false, true), job1.getJsonObject("flags"));
    assertEquals(cleared.getString("at"), job1.getString("updated_at"));
  }

  @Test
  @DisplayName("reports that change nothing push nothing: a second start, an end of a flag not set, an end for an unknown channel")
  void noChangeNoPush() {
    deploy(ActivityOptions.defaults());
    ActivityRecorder recorder = new ActivityRecorder(vertx);
    report("a", "thinking_start");
    JsonObject again = report("a", "thinking_start");
    assertEquals(false, again.getBoolean("changed"));
    assertEquals(false, report("a", "summary_complete").getBoolean("changed"));
    JsonObject unknown = report("never-seen", "thinking_end");
    assertEquals(false, unknown.getBoolean("changed"));
    assertEquals(flags(false, false, false), unknown.getJsonObject("flags"));
    report("b", "thinking_start"); // a change after them all: once it is in, nothing else can be on its way
    Await.until(WAIT, "b's push", () -> recorder.has("b", "thinking", "set"));
    assertEquals(2, recorder.all().size(), "only the two real changes were pushed: " + recorder.all());
    assertEquals(Set.of("a", "b"), snapshot().getJsonArray("channels").stream()
        .map(o -> ((JsonObject) o).getString("channel")).collect(Collectors.toSet()), "an end for an unknown channel is not remembered");
  }

  @Test
  @DisplayName("a flag left set past its phase's timeout is cleared with reason stale, on time, each phase with its own timeout")
  void staleClearing() {
    deploy(phases(Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofMinutes(10), 100));
    ActivityRecorder recorder = new ActivityRecorder(vertx);
    long sent = System.currentTimeMillis();
    report("job", "thinking_start");
    report("job", "extraction_start");

    Await.until(WAIT, "both flags to go stale", () -> recorder.has("job", "extraction", "stale"));
    ActivityRecorder.Seen thinking = recorder.first("job", "thinking", "stale");
    ActivityRecorder.Seen extraction = recorder.first("job", "extraction", "stale");
    long thinkingAfter = thinking.at() - sent;
    long extractionAfter = extraction.at() - sent;
    assertTrue(thinkingAfter >= 200 && thinkingAfter < 200 + LATE_MS, "thinking stale after " + thinkingAfter + " ms");
    assertTrue(extractionAfter >= 500 && extractionAfter < 500 + LATE_MS, "extraction stale after " + extractionAfter + " ms");
    long setToStale = Duration.between(Instant.parse(recorder.first("job", "thinking", "set").event().getString("at")),
        Instant.parse(thinking.event().getString("at"))).toMillis();
    assertTrue(setToStale >= 200, "server-side, set to stale took " + setToStale + " ms");

    assertEquals(false, thinking.event().getBoolean("value"));
    assertEquals(flags(false, true, false), thinking.event().getJsonObject("flags"), "extraction still set when thinking went stale");
    assertEquals(flags(false, false, false), extraction.event().getJsonObject("flags"));
    assertEquals(flags(false, false, false), snapshot().getJsonArray("channels").getJsonObject(0).getJsonObject("flags"));
  }

  @Test
  @DisplayName("a flag cleared in time never goes stale; a repeated start restarts the timeout")
  void clearingAndRestartingTheTimeout() {
    deploy(phases(Duration.ofMillis(300), Duration.ofMillis(150), Duration.ofMinutes(10), 100));
    ActivityRecorder recorder = new ActivityRecorder(vertx);
    report("done-in-time", "thinking_start");
    report("done-in-time", "thinking_end");
    report("kept-alive", "thinking_start");
    report("clock", "extraction_start"); // goes stale after 150 ms: a clock that needs no sleep

    Await.until(WAIT, "the clock to tick", () -> recorder.has("clock", "extraction", "stale"));
    long renewed = System.currentTimeMillis();
    JsonObject reply = report("kept-alive", "thinking_start");
    assertEquals(false, reply.getBoolean("changed"), "still set: a renewal, not a change");
    report("witness", "thinking_start"); // set after the renewal, with the same timeout: goes stale after kept-alive

    // Both timers run on the module's loop and publish in the order they fire: once the witness's stale
    // event is here, kept-alive's came before it, unless the renewal pushed its timeout further than it should.
    Await.until(WAIT, "the witness to go stale", () -> recorder.has("witness", "thinking", "stale"));
    assertTrue(recorder.has("kept-alive", "thinking", "stale"), "kept-alive, renewed before the witness was set, went stale before it");
    long keptFor = recorder.first("kept-alive", "thinking", "stale").at() - renewed;
    assertTrue(keptFor >= 300, "stale " + keptFor + " ms after the renewal, not after the first start");
    assertFalse(recorder.has("done-in-time", "thinking", "stale"), "a cleared flag has no stale timer left");
    assertEquals(List.of("set", "cleared"), recorder.of("done-in-time").stream().map(ActivityRecorder.Seen::reason).toList());
  }

  @Test
  @DisplayName("100,000 channels reported: never more than maxChannels kept, the oldest idle dropped first, all idle ones forgotten after forgetAfter")
  void boundedMemory() {
    int maxChannels = 1_000;
    Duration forgetAfter = Duration.ofMillis(400);
    deploy(phases(Duration.ofSeconds(30), Duration.ofSeconds(30), forgetAfter, maxChannels));
    int timersBefore = Census.of(vertx).timers();
    report("busy", "thinking_start"); // set the whole time: never dropped, never forgotten

    int total = 100_000;
    int batch = 500;
    long lastEndSent = 0;
    for (int from = 0; from < total; from += batch) {
      List<Future<?>> starts = new ArrayList<>();
      for (int i = from; i < from + batch; i++) {
        starts.add(vertx.eventBus().request(StatusAddresses.ACTIVITY_REPORT, new JsonObject().put("channel", "ch-" + i).put("type", "summary_start")));
      }
      Future.all(starts).await();
      List<Future<?>> ends = new ArrayList<>();
      lastEndSent = System.currentTimeMillis();
      for (int i = from; i < from + batch; i++) {
        ends.add(vertx.eventBus().request(StatusAddresses.ACTIVITY_REPORT, new JsonObject().put("channel", "ch-" + i).put("type", "summary_complete")));
      }
      Future.all(ends).await();
      int size = snapshot().getJsonArray("channels").size();
      assertTrue(size <= maxChannels, size + " channels kept after " + (from + batch) + " reported");
    }

    JsonObject snapshot = snapshot();
    List<String> kept = snapshot.getJsonArray("channels").stream().map(o -> ((JsonObject) o).getString("channel")).toList();
    assertTrue(kept.contains("busy"), "a channel with a flag set is never dropped");
    assertTrue(kept.size() <= maxChannels, kept.size() + " channels kept");
    assertEquals(2L * total + 1, snapshot.getLong("seq"), "every set and clear was a change");
    assertTrue(Census.of(vertx).timers() <= timersBefore + 2, "one stale timer (busy) and the forget timer, no more");

    Await.until(WAIT, "every idle channel to be forgotten",
        () -> snapshot().getJsonArray("channels").size() == 1);
    long forgottenAfter = System.currentTimeMillis() - lastEndSent;
    assertTrue(forgottenAfter >= forgetAfter.toMillis(), "forgotten after " + forgottenAfter + " ms");
    assertEquals("busy", snapshot().getJsonArray("channels").getJsonObject(0).getString("channel"));
  }

  @Test
  @DisplayName("at maxChannels, a new channel drops the one idle the longest; a channel with a flag set is skipped")
  void oldestIdleDroppedFirst() {
    deploy(phases(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofMinutes(10), 5));
    for (int i = 0; i < 5; i++) {
      report("c" + i, "thinking_start");
      report("c" + i, "thinking_end");
    }
    report("c1", "extraction_start"); // busy again: not idle any more
    for (int i = 5; i < 8; i++) {
      report("c" + i, "thinking_start");
      report("c" + i, "thinking_end");
    }
    assertEquals(Set.of("c1", "c4", "c5", "c6", "c7"), channelNames(), "c0, c2, c3 made room, oldest first; c1 is busy");
    report("c1", "extraction_complete"); // now the newest idle one
    report("c8", "summary_start");
    assertEquals(Set.of("c1", "c5", "c6", "c7", "c8"), channelNames(), "c4 was idle the longest");
  }

  private Set<String> channelNames() {
    return snapshot().getJsonArray("channels").stream().map(o -> ((JsonObject) o).getString("channel")).collect(Collectors.toSet());
  }

  @Test
  @DisplayName("when every kept channel has a flag set, a new channel is refused with 503 until one goes stale")
  void fullOfBusyChannels() {
    deploy(phases(Duration.ofMillis(200), Duration.ofSeconds(30), Duration.ofMinutes(10), 3));
    ActivityRecorder recorder = new ActivityRecorder(vertx);
    report("a", "thinking_start");
    report("b", "thinking_start");
    report("c", "thinking_start");
    String refused = refusal(vertx, StatusAddresses.ACTIVITY_REPORT, new JsonObject().put("channel", "d").put("type", "thinking_start"), 503);
    assertTrue(refused.contains("too many activity channels: all 3 have a flag set"), refused);
    assertEquals(true, report("a", "extraction_start").getBoolean("ok"), "known channels still report");
    Await.until(WAIT, "b to go stale", () -> recorder.has("b", "thinking", "stale"));
    assertEquals(true, report("d", "thinking_start").getBoolean("changed"), "room again once a channel is idle");
    List<String> kept = snapshot().getJsonArray("channels").stream().map(o -> ((JsonObject) o).getString("channel")).toList();
    assertEquals(3, kept.size());
    assertTrue(kept.contains("a") && kept.contains("d"), kept.toString());
  }

  @Test
  @DisplayName("bad reports are refused with a 400 that says what is wrong; nothing is pushed for them")
  void badReports() {
    deploy(ActivityOptions.defaults());
    ActivityRecorder recorder = new ActivityRecorder(vertx);
    String a = StatusAddresses.ACTIVITY_REPORT;
    assertTrue(refusal(vertx, a, "thinking_start", 400).contains("JSON object {channel, type}"));
    assertTrue(refusal(vertx, a, new JsonObject().put("type", "thinking_start"), 400).contains("\"channel\" is missing"));
    assertTrue(refusal(vertx, a, new JsonObject().put("channel", "has space").put("type", "thinking_start"), 400)
        .contains("channel \"has space\" is not valid: a channel name is 1-100 letters, digits"));
    assertTrue(refusal(vertx, a, new JsonObject().put("channel", "").put("type", "thinking_start"), 400).contains("not valid"));
    assertTrue(refusal(vertx, a, new JsonObject().put("channel", "x".repeat(101)).put("type", "thinking_start"), 400).contains("not valid"));
    assertTrue(refusal(vertx, a, new JsonObject().put("channel", 42).put("type", "thinking_start"), 400).contains("channel 42 is not valid"));
    assertTrue(refusal(vertx, a, new JsonObject().put("channel", "ok"), 400).contains("\"type\" is missing"));
    String unknown = refusal(vertx, a, new JsonObject().put("channel", "ok").put("type", "dancing_start"), 400);
    assertTrue(unknown.contains("unknown type \"dancing_start\"; known types: extraction_complete, extraction_start, summary_complete, summary_start, thinking_end, thinking_start"), unknown);
    assertEquals(true, report("x".repeat(100), "thinking_start").getBoolean("ok"), "100 characters is fine");
    assertEquals(true, report("A.b_c:d-9", "thinking_start").getBoolean("ok"));
    Await.until(WAIT, "the two good reports pushed", () -> recorder.all().size() == 2);
  }

  @Test
  @DisplayName("the phases come from config: a configured phase works, the default types are then unknown")
  void phasesAreConfig() {
    deploy(new ActivityOptions(List.of(new ActivityPhase("upload", "upload_begin", "upload_done", Duration.ofSeconds(5))),
        Duration.ofMinutes(1), 10));
    assertEquals(new JsonObject().put("upload", true), report("u1", "upload_begin").getJsonObject("flags"));
    assertEquals(new JsonObject().put("upload", false), report("u1", "upload_done").getJsonObject("flags"));
    assertTrue(refusal(vertx, StatusAddresses.ACTIVITY_REPORT, new JsonObject().put("channel", "u1").put("type", "thinking_start"), 400)
        .contains("known types: upload_begin, upload_done"));
  }
}
