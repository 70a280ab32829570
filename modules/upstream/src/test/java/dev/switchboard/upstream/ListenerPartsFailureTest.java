package dev.switchboard.upstream;

import dev.switchboard.core.ConfigField;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.KindAddresses;
import dev.switchboard.core.ListenerFactory;
import dev.switchboard.core.ListenerKind;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerState;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.ListenerVerticle;
import dev.switchboard.core.testing.Await;
import dev.switchboard.core.testing.Control;
import dev.switchboard.core.testing.Definitions;
import dev.switchboard.simulators.feed.FeedSimulator;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A kind whose parts fail in the ways a third-party kind can: the supervisor neither sticks nor leaves parts behind. */
@ExtendWith(VertxExtension.class)
class ListenerPartsFailureTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  /** The feed kind, with what each test breaks: the instance made for the first start, a companion. */
  private static final class BreakableFeed implements ListenerKind {
    private final FeedKind feed = new FeedKind();
    final AtomicInteger instancesToRefuse = new AtomicInteger();
    final AtomicBoolean companionFails = new AtomicBoolean();
    final AtomicInteger companionsStarted = new AtomicInteger();

    @Override
    public String type() {
      return feed.type();
    }

    @Override
    public String description() {
      return feed.description();
    }

    @Override
    public List<ConfigField> fields() {
      return feed.fields();
    }

    @Override
    public KindAddresses addresses() {
      return feed.addresses();
    }

    @Override
    public ListenerFactory configure(String name, ConfigSection fields, Path dataDir) {
      ListenerFactory real = feed.configure(name, fields, dataDir);
      return new ListenerFactory() {
        @Override
        public String url() {
          return real.url();
        }

        @Override
        public ListenerVerticle newInstance(ListenerSpec spec, ListenerStats stats) {
          if (instancesToRefuse.getAndDecrement() > 0) {
            throw new IllegalStateException("no instance this time");
          }
          return real.newInstance(spec, stats);
        }

        @Override
        public List<Deployable> companions(ListenerSpec spec, ListenerStats stats) {
          // One fails at once while asked to; the other starts 200 ms later, after that failure.
          return List.of(companion("parts.quick", Duration.ZERO, companionFails.get()), companion("parts.slow", Duration.ofMillis(200), false));
        }
      };
    }

    private Deployable companion(String address, Duration startsAfter, boolean fails) {
      return new VerticleBase() {
        @Override
        public Future<?> start() {
          if (fails) {
            return Future.failedFuture("this companion cannot start");
          }
          Promise<Void> started = Promise.promise();
          vertx.setTimer(Math.max(1, startsAfter.toMillis()), id -> vertx.eventBus().consumer(address, msg -> msg.reply("here"))
              .completion().onComplete(started));
          return started.future().onSuccess(v -> companionsStarted.incrementAndGet());
        }
      };
    }
  }

  private static String deploy(Vertx vertx, Path dataDir, BreakableFeed kind, FeedSimulator sim, boolean autoStart) {
    return vertx.deployVerticle(Definitions.supervisor(kind, dataDir, Duration.ofMillis(50), List.of(
        Definitions.of(kind, FeedFixture.NAME, autoStart, FeedFixture.fastPolicy(), new JsonObject().put("url", sim.url()), dataDir)))).await();
  }

  @Test
  @DisplayName("an instance that cannot even be made is a failed start: in backoff with the reason, then retried, never STARTING for good")
  void instanceThatCannotBeMade(Vertx vertx) {
    FeedSimulator sim = FeedFixture.simulator(vertx, 0);
    BreakableFeed kind = new BreakableFeed();
    kind.instancesToRefuse.set(1);
    deploy(vertx, dir.resolve("data"), kind, sim, true);
    Control control = new Control(vertx);
    Await.until(WAIT, "the failure reported", () -> control.status(FeedFixture.NAME).getJsonObject("last_error") != null);
    assertTrue(control.status(FeedFixture.NAME).getJsonObject("last_error").getString("message").contains("no instance this time"),
        control.status(FeedFixture.NAME).encode());
    control.awaitState(FeedFixture.NAME, ListenerState.CONNECTED, WAIT);
    assertEquals(1, sim.totalConnections());
  }

  @Test
  @DisplayName("a companion that fails while a slower one still starts: none is left behind, and the next start deploys them all")
  void companionsThatFailPartWay(Vertx vertx) {
    FeedSimulator sim = FeedFixture.simulator(vertx, 0);
    BreakableFeed kind = new BreakableFeed();
    kind.companionFails.set(true);
    deploy(vertx, dir.resolve("data"), kind, sim, false);
    Control control = new Control(vertx);
    assertEquals("FAILED", control.status(FeedFixture.NAME).getString("state"));
    Await.until(WAIT, "the slow companion started, after the failure", () -> kind.companionsStarted.get() == 1);
    Await.until(WAIT, "and undeployed with the rest", () -> vertx.eventBus().request("parts.slow", "?")
        .transform(ar -> Future.succeededFuture(ar.failed())).await());

    kind.companionFails.set(false);
    control.start(FeedFixture.NAME);
    control.awaitState(FeedFixture.NAME, ListenerState.CONNECTED, WAIT);
    assertEquals("here", vertx.eventBus().request("parts.quick", "?").await().body());
    assertEquals("here", vertx.eventBus().request("parts.slow", "?").await().body());
  }
}
