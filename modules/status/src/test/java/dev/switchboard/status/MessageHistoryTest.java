package dev.switchboard.status;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Control;
import dev.switchboard.simulators.feed.FeedSimulator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.switchboard.status.StatusFixture.refusal;
import static dev.switchboard.status.StatusFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** History of data addresses: real feed listeners under the real supervisor, plus an exact address fed by the test. */
@ExtendWith(VertxExtension.class)
class MessageHistoryTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String CUSTOM = "custom.data";
  private static final Duration CUSTOM_AGE = Duration.ofMillis(300);

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private FeedSimulator sim;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.sim = StatusFixture.quietSimulator(vertx);
    StatusFixture.deploySupervisor(vertx, dataDir, StatusFixture.feed("alpha", sim.url()), StatusFixture.feed("beta", sim.url()));
    StatusFixture.deployModule(vertx, StatusFixture.options(1000, ActivityOptions.defaults(), List.of(
        new HistoryRule("upstream.*.message", 5, Duration.ofMinutes(10)),
        new HistoryRule(CUSTOM, 100, CUSTOM_AGE))));
  }

  private JsonObject history(String address, long after) {
    return request(vertx, StatusAddresses.HISTORY, new JsonObject().put("address", address).put("after", after));
  }

  private static List<Long> seqs(JsonObject answer) {
    return answer.getJsonArray("messages").stream().map(o -> ((JsonObject) o).getLong("seq")).toList();
  }

  /** Publishes envelopes on the exact address, and waits until the history holds the last one. */
  private void publish(long... seqs) {
    for (long seq : seqs) {
      vertx.eventBus().publish(CUSTOM, new JsonObject().put("seq", seq).put("ts", System.currentTimeMillis()).put("data", "m" + seq));
    }
    long last = seqs[seqs.length - 1];
    Await.until(WAIT, "the history to hold seq " + last, () -> history(CUSTOM, 0).getJsonArray("messages").stream()
        .anyMatch(o -> ((JsonObject) o).getLong("seq") == last));
  }

  @Test
  @DisplayName("a pattern keeps each listener's feed: messages after a seq, in order, as published; a gap answer once older than the last maxMessages")
  void byCount() {
    Control control = new Control(vertx);
    List<JsonObject> published = new CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> tap = vertx.eventBus().consumer("upstream.alpha.message", msg -> published.add(msg.body()));
    tap.completion().await();
    control.start("alpha");
    control.awaitState("alpha", ListenerState.CONNECTED, WAIT);
    List<Future<Void>> emitted = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      emitted.add(sim.emit(new JsonObject().put("n", i)));
    }
    Future.all(emitted).await();
    Await.until(WAIT, "ten messages published", () -> published.size() == 10);
    Await.until(WAIT, "the history to hold seq 10", () -> seqs(history("upstream.alpha.message", 9)).equals(List.of(10L)));

    JsonObject recent = history("upstream.alpha.message", 7);
    assertEquals("messages", recent.getString("mode"));
    assertEquals("upstream.alpha.message", recent.getString("address"));
    assertEquals(new JsonArray(published.subList(7, 10)), recent.getJsonArray("messages"), "the envelopes as the listener published them");
    assertEquals(List.of(6L, 7L, 8L, 9L, 10L), seqs(history("upstream.alpha.message", 5)), "the oldest kept is 6: after 5 lost nothing");

    JsonObject gap = history("upstream.alpha.message", 4);
    assertEquals("gap", gap.getString("mode"), "seq 5 is no longer kept");
    assertEquals(6L, gap.getLong("oldest"));
    assertEquals(List.of(6L, 7L, 8L, 9L, 10L), seqs(gap), "a gap answer carries all that is kept");
    assertEquals("gap", history("upstream.alpha.message", 0).getString("mode"));

    assertEquals(List.of(), seqs(history("upstream.alpha.message", 10)), "up to date: nothing");
    assertEquals("messages", history("upstream.alpha.message", 10).getString("mode"));
    JsonObject future = history("upstream.alpha.message", 500);
    assertEquals("gap", future.getString("mode"), "a seq from before a restart");
    assertEquals(List.of(6L, 7L, 8L, 9L, 10L), seqs(future));

    JsonObject beta = history("upstream.beta.message", 0);
    assertEquals("messages", beta.getString("mode"), "the pattern covers every listener, even one that sent nothing yet");
    assertEquals(List.of(), seqs(beta));
    tap.unregister().await();
  }

  @Test
  @DisplayName("a removed listener takes its history along (404); defined again, its history starts empty")
  void removedListenerTakesItsHistory() {
    Control control = new Control(vertx);
    control.start("alpha");
    control.awaitState("alpha", ListenerState.CONNECTED, WAIT);
    sim.emit(new JsonObject().put("n", 1)).await();
    Await.until(WAIT, "alpha's history holds a message", () -> !seqs(history("upstream.alpha.message", 0)).isEmpty());
    JsonObject definition = new JsonObject().put("type", "upstream").put("url", sim.url()).put("autoStart", false);

    assertEquals("removed", control.send("remove", "alpha").getString("status"));
    Await.until(WAIT, "the history gone with it", () -> {
      try {
        history("upstream.alpha.message", 0);
        return false;
      } catch (RuntimeException gone) {
        return true;
      }
    });
    assertTrue(refusal(vertx, StatusAddresses.HISTORY, new JsonObject().put("address", "upstream.alpha.message").put("after", 0), 404)
        .contains("no listener named \"alpha\""));
    assertEquals("created", vertx.eventBus().<JsonObject>request(Addresses.CONTROL, new JsonObject().put("action", "define")
        .put("name", "alpha").put("definition", definition)).await().body().getString("status"));
    Await.until(WAIT, "a history again, empty", () -> {
      try {
        return seqs(history("upstream.alpha.message", 0)).isEmpty();
      } catch (RuntimeException stillGone) {
        return false;
      }
    });
  }

  @Test
  @DisplayName("messages older than maxAge are dropped: a gap answer for a seq before them")
  void byAge() {
    long sent = System.currentTimeMillis();
    publish(1, 2, 3);
    assertEquals(List.of(2L, 3L), seqs(history(CUSTOM, 1)));
    assertEquals("messages", history(CUSTOM, 0).getString("mode"));

    // The three were published a few ms apart, so they age out a few ms apart: wait for the last.
    JsonObject aged = Await.until(WAIT, "the messages to age out", () -> history(CUSTOM, 0),
        a -> a.getString("mode").equals("gap") && seqs(a).isEmpty());
    long agedAfter = System.currentTimeMillis() - sent;
    assertTrue(agedAfter >= CUSTOM_AGE.toMillis(), "aged out after " + agedAfter + " ms");
    assertEquals(List.of(), seqs(aged));
    assertNull(aged.getLong("oldest"), "nothing kept: no oldest");
    assertEquals("messages", history(CUSTOM, 3).getString("mode"), "a client that saw 3 lost nothing");

    publish(4);
    assertEquals(List.of(4L), seqs(history(CUSTOM, 3)));
    JsonObject gap = history(CUSTOM, 2);
    assertEquals("gap", gap.getString("mode"));
    assertEquals(4L, gap.getLong("oldest"));
    assertEquals(List.of(4L), seqs(gap));
  }

  @Test
  @DisplayName("what came before the first message seen is unknown (gap); seqs that go back start the history over")
  void startsAndRestarts() {
    publish(50, 51);
    assertEquals("gap", history(CUSTOM, 10).getString("mode"), "1-49 were never seen here");
    assertEquals(List.of(50L, 51L), seqs(history(CUSTOM, 49)));
    assertEquals("messages", history(CUSTOM, 49).getString("mode"));

    publish(1, 2); // the source started over
    assertEquals(List.of(1L, 2L), seqs(history(CUSTOM, 0)));
    assertEquals("messages", history(CUSTOM, 0).getString("mode"));
    assertEquals("gap", history(CUSTOM, 51).getString("mode"), "51 is from the source's previous life");
  }

  @Test
  @DisplayName("a message that is not an envelope {seq, ...} is not kept")
  void notEnvelopes() {
    vertx.eventBus().publish(CUSTOM, "text");
    vertx.eventBus().publish(CUSTOM, new JsonObject().put("data", 1));
    vertx.eventBus().publish(CUSTOM, new JsonObject().put("seq", "7"));
    publish(1);
    assertEquals(List.of(1L), seqs(history(CUSTOM, 0)));
  }

  @Test
  @DisplayName("an address with no history is a 404 that lists what is configured; a bad request is a 400 that says what is wrong")
  void badRequests() {
    String h = StatusAddresses.HISTORY;
    String unknown = refusal(vertx, h, new JsonObject().put("address", "upstream.gamma.message").put("after", 0), 404);
    assertEquals("no history is kept for \"upstream.gamma.message\": there is no listener named \"gamma\" (upstream.*.message keeps one per listener)", unknown);
    assertEquals("no history is kept for \"nope.data\"; configured: upstream.*.message, custom.data",
        refusal(vertx, h, new JsonObject().put("address", "nope.data").put("after", 0), 404));
    assertTrue(refusal(vertx, h, "upstream.alpha.message", 400).contains("JSON object {address, after"));
    assertTrue(refusal(vertx, h, new JsonObject().put("after", 0), 400).contains("\"address\" is missing"));
    assertTrue(refusal(vertx, h, new JsonObject().put("address", CUSTOM), 400).contains("\"after\" is missing"));
    assertTrue(refusal(vertx, h, new JsonObject().put("address", CUSTOM).put("after", -3), 400).contains("\"after\" must be a whole number >= 0, not -3"));
    assertTrue(refusal(vertx, h, new JsonObject().put("address", CUSTOM).put("after", new java.math.BigInteger("9223372036854775808")), 400)
        .contains("\"after\" must be a whole number >= 0"));
    assertTrue(refusal(vertx, h, new JsonObject().put("address", CUSTOM).put("after", 0).put("last", "50"), 400)
        .contains("\"last\" must be a whole number >= 0, not \"50\""));
    assertEquals("messages", history(CUSTOM, 0).getString("mode"), "and good ones are still answered");
  }
}
