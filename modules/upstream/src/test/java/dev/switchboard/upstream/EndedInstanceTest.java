package dev.switchboard.upstream;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.ListenerFailure;
import dev.switchboard.core.ListenerReport;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.ListenerVerticle;
import dev.switchboard.core.LocalCodec;
import dev.switchboard.core.WebSocketListener;
import dev.switchboard.core.testing.Await;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.switchboard.upstream.FeedFixture.NAME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Once an instance has reported its end, nothing it still receives is read: its status already says it is not connected. */
@ExtendWith(VertxExtension.class)
class EndedInstanceTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** A kind's listener that ends its connection on the first text it reads, as a protocol error of its own would. */
  private static final class EndsOnFirstText extends WebSocketListener {
    final List<String> read = new CopyOnWriteArrayList<>();
    private final String url;

    EndsOnFirstText(ListenerSpec spec, String url) {
      super(spec, new ListenerStats());
      this.url = url;
    }

    @Override
    protected WebSocketConnectOptions connectOptions() {
      return new WebSocketConnectOptions().setAbsoluteURI(url);
    }

    @Override
    protected void onText(String text) {
      read.add(text);
      exit(ListenerFailure.retry("test", "ended on its first message"));
    }
  }

  @Test
  @DisplayName("a frame that arrives after the instance reported its end, before its close frame went out, is not read")
  void framesAfterTheEndAreNotRead(Vertx vertx) throws Exception {
    LocalCodec.register(vertx, ListenerReport.class);
    List<ListenerReport> reports = new CopyOnWriteArrayList<>();
    vertx.eventBus().<ListenerReport>localConsumer(Addresses.LISTENER_REPORTS, m -> reports.add(m.body())).completion().await();
    try (SilentUpstream upstream = new SilentUpstream(SilentUpstream.texts("{\"n\":1}", "{\"n\":2}"))) {
      String url = "ws://127.0.0.1:" + upstream.port() + "/x";
      EndsOnFirstText listener = new EndsOnFirstText(FeedFixture.feed(url, FeedFixture.fastPolicy()).spec(), url);
      String id = vertx.deployVerticle(listener, new DeploymentOptions().setConfig(new JsonObject()
          .put(ListenerVerticle.GENERATION, 1L).put(ListenerVerticle.LISTENER, NAME))).await();
      Await.until(WAIT, "the end reported", () -> reports.stream().anyMatch(r -> r.event() == ListenerReport.Event.EXIT));

      vertx.undeploy(id).await(); // as the supervisor does on the exit: the close frame goes out
      assertTrue(upstream.closeFrameSeen.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "the close frame");
      assertEquals(List.of("{\"n\":1}"), listener.read, "the second frame came in the same read, after the end");
    }
  }
}
