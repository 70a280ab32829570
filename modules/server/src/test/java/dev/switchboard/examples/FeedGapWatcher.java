package dev.switchboard.examples;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/**
 * An example of your own verticle, deployed by Switchboard through the {@code verticles} config: it
 * consumes a feed's envelopes, counts them, and notices gaps in {@code seq} (messages it missed).
 * Every {@code reportEvery} messages it publishes its counts on {@code examples.<listener>.stats}.
 */
public class FeedGapWatcher extends VerticleBase {
  private long received;
  private long gaps;
  private long lastSeq;

  @Override
  public Future<?> start() {
    String listener = config().getString("listener", "feed");
    int reportEvery = config().getInteger("reportEvery", 10);
    return vertx.eventBus().<JsonObject>consumer("upstream." + listener + ".message", msg -> {
      long seq = msg.body().getLong("seq");
      if (lastSeq != 0 && seq != lastSeq + 1) {
        gaps++;
      }
      lastSeq = seq;
      if (++received % reportEvery == 0) {
        vertx.eventBus().publish("examples." + listener + ".stats",
            new JsonObject().put("received", received).put("gaps", gaps).put("last_seq", lastSeq));
      }
    }).completion();
  }
}
