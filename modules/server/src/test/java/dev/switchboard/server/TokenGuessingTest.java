package dev.switchboard.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.switchboard.core.Addresses;
import dev.switchboard.core.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.switchboard.server.BridgeClient.sendFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guessing the control token, over HTTP and over the bridge: the wrong answers come slower and
 * slower from the guessing address, the audit log gets a few lines rather than one per guess, and the
 * right token still works at once.
 */
@ExtendWith(VertxExtension.class)
class TokenGuessingTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int GUESSES = 200;

  @TempDir
  Path dataDir;
  private Vertx vertx;
  private Switchboard app;
  private LogCapture audit;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    audit = LogCapture.of("switchboard.audit");
    app = ServerFixture.start(ServerFixture.config(dataDir));
  }

  @AfterEach
  void tearDown() {
    audit.close();
    app.stop().await();
  }

  private List<String> auditWarnings() {
    return audit.list().stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
  }

  private static long msSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  /** A request's status and how long its answer took. */
  private record Timed(int status, long ms) {
  }

  private Future<Timed> post(WebClient http, String token) {
    long sent = System.nanoTime();
    return http.post("/api/listeners/nope/start").bearerTokenAuthentication(token).send()
        .map(r -> new Timed(r.statusCode(), msSince(sent)));
  }

  @Test
  @DisplayName("HTTP: 200 wrong tokens are answered 401 ever later, in a few audit lines; the right token answers at once")
  void overHttp() throws Exception {
    // One connection per guess, all at once: what a guesser would do to get round a delay per connection.
    WebClient http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(app.httpPort()),
        new PoolOptions().setHttp1MaxSize(GUESSES));
    Timed first = post(http, "wrong-guess-0").await(10, TimeUnit.SECONDS);
    assertEquals(401, first.status());
    assertTrue(first.ms() < 1_000, "a first wrong token (a typo) is answered at once: " + first.ms() + " ms");

    List<Future<Timed>> guesses = new ArrayList<>();
    for (int i = 1; i <= GUESSES; i++) {
      guesses.add(post(http, "wrong-guess-" + i));
    }
    Future.all(guesses).await(30, TimeUnit.SECONDS);
    List<Timed> answers = guesses.stream().map(Future::result).toList();
    assertTrue(answers.stream().allMatch(t -> t.status() == 401), answers.toString());
    long slowest = answers.stream().mapToLong(Timed::ms).max().orElseThrow();
    assertTrue(slowest >= 1_500, "later wrong tokens are held back up to the cap (2 s): the slowest took " + slowest + " ms");

    Timed next = post(http, "wrong-guess-again").await(10, TimeUnit.SECONDS);
    assertTrue(next.ms() >= 1_500, "the next wrong token is held back too: " + next.ms() + " ms");
    Timed right = post(http, ServerFixture.TOKEN).await(10, TimeUnit.SECONDS);
    assertEquals(404, right.status(), "the right token passes the check (and the listener does not exist)");
    assertTrue(right.ms() < 1_000, "the right token is never held back: " + right.ms() + " ms");

    List<String> lines = auditWarnings();
    assertTrue(lines.size() <= 3, GUESSES + 2 + " wrong tokens, " + lines.size() + " audit lines: " + lines);
    assertTrue(lines.get(0).contains("wrong token") && lines.get(0).contains("/api/listeners/nope/start"), lines.get(0));
  }

  @Test
  @DisplayName("bridge: 200 wrong tokens on one socket get 403 ever later, in a few audit lines; the right token answers at once")
  void overTheBridge() {
    BridgeClient browser = BridgeClient.connect(vertx, app.httpPort(), "/eventbus/websocket");
    JsonObject status = new JsonObject().put("action", "status").put("name", "nope");
    long sent = System.nanoTime();
    browser.send(sendFrame(Addresses.CONTROL, status, "r-0", "wrong-guess-0"));
    assertEquals(403, browser.reply("r-0").getInteger("failureCode"));
    long firstMs = msSince(sent);
    assertTrue(firstMs < 1_000, "a first wrong token is answered at once: " + firstMs + " ms");

    for (int i = 1; i <= GUESSES; i++) {
      browser.send(sendFrame(Addresses.CONTROL, status, "r-" + i, "wrong-guess-" + i));
    }
    long lastSent = System.nanoTime();
    long right = System.nanoTime();
    browser.send(sendFrame(Addresses.CONTROL, status, "r-right", ServerFixture.TOKEN));
    JsonObject answer = browser.reply("r-right");
    long rightMs = msSince(right);
    assertEquals("err", answer.getString("type"), "the right token passes the check: the control plane answers");
    assertEquals(404, answer.getInteger("failureCode"), answer.encode());
    assertTrue(rightMs < 1_000, "the right token is never held back, not even behind the held-back refusals: " + rightMs + " ms");

    assertEquals(403, browser.reply("r-" + GUESSES).getInteger("failureCode"));
    long lastMs = msSince(lastSent);
    assertTrue(lastMs >= 1_500, "later wrong tokens are held back up to the cap (2 s): the last took " + lastMs + " ms");
    Await.until(WAIT, "every guess answered", () -> browser.messages().stream()
        .filter(m -> m.getString("address", "").startsWith("r-") && m.getInteger("failureCode", 0) == 403).count() == GUESSES + 1);

    List<String> lines = auditWarnings();
    assertTrue(lines.size() <= 3, GUESSES + 1 + " wrong tokens, " + lines.size() + " audit lines: " + lines);
    assertTrue(lines.get(0).contains("wrong token") && lines.get(0).contains("bridge socket"), lines.get(0));
  }
}
