package dev.switchboard.example;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * What your verticle does with a Switchboard feed, exactly as it would in the Switchboard process: it
 * consumes the listener's envelopes ({@code {seq, ts, source, type, data}}, plus the owner's
 * {@code epoch} in a cluster) and sends a message to the upstream every so often. Every send is
 * answered: {@code {"sent": true}}, or a failure with a code (503 while the listener is not connected,
 * for instance between two owners), after which this example simply sends again next time.
 */
public final class FeedConsumer extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(FeedConsumer.class);

  private final String listener;
  private final Duration sendEvery;
  private long received;
  private long lastEpoch;
  private long lastSeq;
  private long sent;

  public FeedConsumer(String listener, Duration sendEvery) {
    this.listener = listener;
    this.sendEvery = sendEvery;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(sendEvery.toMillis(), id -> send());
    return vertx.eventBus().<JsonObject>consumer("upstream." + listener + ".message", msg -> {
      JsonObject envelope = msg.body();
      long seq = envelope.getLong("seq", 0L);
      long epoch = envelope.getLong("epoch", 0L);
      if (epoch < lastEpoch) {
        // A late one from an owner before the current one (a failover): not news, and not a reason to think
        // the current owner's seq jumped.
        LOG.info("ignored a late envelope of an earlier owner: seq {} epoch {} (now {})", seq, epoch, lastEpoch);
        return;
      }
      if ("gap".equals(envelope.getString("type"))) {
        // The listener's own word after a reconnect (or a new owner): what the upstream sent between the two
        // connections never arrived. seq does not show it: it counts what the listener published.
        JsonObject window = envelope.getJsonObject("data", new JsonObject());
        LOG.info("the upstream's messages from {} to {} were not received: {}", window.getString("from"), window.getString("to"),
            window.getString("reason"));
      } else if (epoch == lastEpoch && lastSeq != 0 && seq != lastSeq + 1) {
        // seq grows by one per envelope published under one owner: a jump means this consumer missed some.
        LOG.info("missed envelopes: seq {} after {}", seq, lastSeq);
      }
      lastEpoch = Math.max(lastEpoch, epoch);
      lastSeq = seq;
      received++;
      LOG.info("received upstream.{}.message seq={} epoch={} ({} so far)", listener, seq, epoch, received);
    }).completion();
  }

  private void send() {
    JsonObject message = new JsonObject().put("from", "example-consumer").put("n", ++sent);
    vertx.eventBus().<JsonObject>request("upstream." + listener + ".send", message, new DeliveryOptions().setSendTimeout(5_000))
        .onSuccess(reply -> LOG.info("sent {}: {}", message.encode(), reply.body().encode()))
        .onFailure(err -> LOG.info("send {} failed: {}", message.encode(),
            err instanceof ReplyException r ? r.failureCode() + " " + r.getMessage() : err.toString()));
  }
}
