package dev.switchboard.server;

import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Nothing a listener publishes may come before what consumes it is ready: the history holds seq 1 on every start. */
@ExtendWith(VertxExtension.class)
class StartOrderTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("five starts of the process: every time, the message history begins at seq 1")
  void historyFromTheFirstMessage(Vertx vertx) {
    FeedSimulator sim = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(500));
    vertx.deployVerticle(sim).await();
    for (int round = 0; round < 5; round++) {
      Switchboard app = ServerFixture.start(ServerFixture.config(dir.resolve("data-" + round),
          ServerFixture.feedListener("feed", sim.url(), true)));
      try {
        JsonObject history = Await.until(Duration.ofSeconds(15), "messages kept", () -> app.vertx().eventBus()
                .<JsonObject>request("switchboard.history", new JsonObject().put("address", "upstream.feed.message").put("after", 0))
                .await().body(),
            h -> "messages".equals(h.getString("mode")) && !h.getJsonArray("messages").isEmpty());
        assertEquals(1L, history.getJsonArray("messages").getJsonObject(0).getLong("seq"), "round " + round + ": " + history.encode());
      } finally {
        app.stop().await();
      }
    }
  }
}
