package dev.switchboard.status;

import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Census;
import dev.switchboard.simulators.feed.FeedSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static dev.switchboard.status.StatusFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The module as the server deploys it: from its config section, after the supervisor; undeployed without a trace. */
@ExtendWith(VertxExtension.class)
class StatusModuleTest {
  @TempDir
  Path dataDir;

  @Test
  @DisplayName("deployed from the config section, every address answers; undeployed, it leaves no deployment, consumer or timer")
  void deployAndUndeploy(Vertx vertx) {
    FeedSimulator sim = StatusFixture.quietSimulator(vertx);
    StatusFixture.deploySupervisor(vertx, dataDir, StatusFixture.feed("feed", sim.url()));
    Census before = Census.of(vertx);
    JsonObject root = new JsonObject("""
        {"status": {"statusHistory": 10,
                    "activity": {"phases": {"thinking": {"start": "thinking_start", "end": "thinking_end", "staleAfter": "30s"}}},
                    "history": [{"address": "upstream.*.message", "maxMessages": 100, "maxAge": "1m"}]}}
        """);
    ConfigSection section = new ConfigSection("", root).section("status");
    String id = StatusFixture.deployModule(vertx, StatusOptions.from(section));

    assertEquals("snapshot", request(vertx, StatusAddresses.STATUS_SINCE, new JsonObject().put("seq", 0)).getString("mode"));
    assertEquals(true, request(vertx, StatusAddresses.ACTIVITY_REPORT,
        new JsonObject().put("channel", "job").put("type", "thinking_start")).getBoolean("ok"));
    assertEquals(1, request(vertx, StatusAddresses.ACTIVITY_SNAPSHOT, new JsonObject()).getJsonArray("channels").size());
    assertEquals("messages", request(vertx, StatusAddresses.HISTORY,
        new JsonObject().put("address", "upstream.feed.message").put("after", 0)).getString("mode"));

    vertx.undeploy(id).await();
    Census after = Await.until(Duration.ofSeconds(10), "the census to be back", () -> Census.of(vertx),
        c -> c.deployments() == before.deployments() && c.consumers() == before.consumers() && c.timers() == before.timers());
    assertEquals(before.deployments(), after.deployments());
    Throwable gone = assertThrows(Throwable.class, () -> request(vertx, StatusAddresses.STATUS_SINCE, new JsonObject().put("seq", 0)));
    Throwable cause = gone.getCause() instanceof ReplyException ? gone.getCause() : gone;
    assertEquals(ReplyFailure.NO_HANDLERS, ((ReplyException) cause).failureType());
  }
}
