package dev.switchboard.server;

import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Many HTTP clients hammering start/stop/restart at once cannot make two connections or a wrong final state. */
@ExtendWith(VertxExtension.class)
class ControlBurstTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final String[] ACTIONS = {"start", "stop", "restart"};

  @TempDir
  Path dataDir;

  @Test
  @DisplayName("concurrent bursts from several HTTP clients: the final state follows the last command, never two connections")
  void concurrentBursts(Vertx vertx) throws Exception {
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(50));
    vertx.deployVerticle(sim).await();
    Switchboard app = ServerFixture.start(ServerFixture.config(dataDir, ServerFixture.feedListener("feed", sim.url(), false)));
    try {
      List<WebClient> clients = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        clients.add(WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(app.httpPort())));
      }
      Random random = new Random(42);
      for (int round = 0; round < 10; round++) {
        List<Future<JsonObject>> replies = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          String action = ACTIONS[random.nextInt(ACTIONS.length)];
          replies.add(clients.get(i % clients.size()).post("/api/listeners/feed/" + action)
              .bearerTokenAuthentication(ServerFixture.TOKEN).send()
              .map(r -> {
                assertEquals(200, r.statusCode(), r.bodyAsString());
                return r.bodyAsJsonObject();
              }));
        }
        Future.all(replies).await();
        // The supervisor answers in the order it ran the commands: the highest seq is the last one run.
        JsonObject last = replies.stream().map(Future::result).max(Comparator.comparingLong(r -> r.getLong("seq"))).orElseThrow();
        boolean shouldRun = last.getJsonObject("listener").getBoolean("is_active");
        Await.until(WAIT, "round " + round + ": settled " + (shouldRun ? "running" : "stopped"), () -> {
          JsonObject status = clients.get(0).get("/api/listeners/feed").send().await().bodyAsJsonObject();
          return status.getBoolean("is_active") == shouldRun
              && status.getString("state").equals(shouldRun ? "CONNECTED" : "STOPPED")
              && sim.concurrentConnections() == (shouldRun ? 1 : 0);
        });
      }
      assertEquals(1, sim.maxConcurrentConnections(), "never two connections at once");
      assertTrue(sim.totalConnections() > 10);
    } finally {
      app.stop().await(30, java.util.concurrent.TimeUnit.SECONDS);
    }
  }
}
