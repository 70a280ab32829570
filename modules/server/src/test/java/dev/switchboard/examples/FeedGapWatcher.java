package dev.switchboard.examples;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/**
 * An example of your own verticle, deployed by Switchboard through the {@code verticles} config: it
 * consumes a feed's envelopes and counts them, the envelopes it missed ({@code seq} jumped within one
 * {@code epoch}), and the listener's gap envelopes (what the upstream sent while it reconnected, which
 * never arrived). Every {@code reportEvery} messages it publishes its counts on {@code examples.<listener>.stats}.
 */
public class FeedGapWatcher extends VerticleBase {
  private long received;
  private long missed;
  private long gaps;
  private long lastEpoch;
  private long lastSeq;

  @Override
  public Future<?> start() {
    String listener = config().getString("listener", "feed");
    int reportEvery = config().getInteger("reportEvery", 10);
    return vertx.eventBus().<JsonObject>consumer("upstream." + listener + ".message", msg -> {
      long seq = msg.body().getLong("seq");
      long epoch = msg.body().getLong("epoch", 0L); // a cluster's owner; 0 in one process
      if (epoch < lastEpoch) {
        return; // a late envelope of an earlier owner
      }
      if (epoch == lastEpoch && lastSeq != 0 && seq > lastSeq + 1) {
        missed += seq - lastSeq - 1; // seq counts every envelope of one owner, gap envelopes too
      }
      if ("gap".equals(msg.body().getString("type"))) {
        gaps++;
      }
      lastEpoch = epoch;
      lastSeq = seq;
      if (++received % reportEvery == 0) {
        vertx.eventBus().publish("examples." + listener + ".stats",
            new JsonObject().put("received", received).put("missed", missed).put("gaps", gaps).put("last_seq", lastSeq));
      }
    }).completion();
  }
}
