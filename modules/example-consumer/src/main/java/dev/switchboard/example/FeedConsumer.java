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
 * {@code epoch} in a cluster) and sends a message to the upstream every so often. A send is answered
 * {@code {"sent": true}}, or fails (a {@link ReplyException}): {@code RECIPIENT_FAILURE} 503 while the
 * listener is not connected, {@code NO_HANDLERS} while no node owns it (between two owners), or
 * {@code TIMEOUT}, after which the message may or may not have gone out (the last two both have code -1).
 * This example simply sends its next message next time; retry only what may go out twice.
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
    return vertx.eventBus().<JsonObject>consumer("upstream." + listener + ".message", msg -> onEnvelope(msg.body())).completion();
  }

  private void onEnvelope(JsonObject envelope) {
    long seq = envelope.getLong("seq", 0L);
    long epoch = envelope.getLong("epoch", 0L);
    if (epoch < lastEpoch) {
      // A late one from an owner before the current one (a failover): not news, and not a reason to think
      // the current owner's seq jumped. (A cluster started again from empty data directories counts epochs
      // from 1 again: restart this consumer with it.)
      LOG.info("ignored a late envelope of an earlier owner: seq {} epoch {} (now {})", seq, epoch, lastEpoch);
      return;
    }
    // seq grows by one per envelope published under one owner, gap envelopes included: a jump means this
    // consumer missed some. A new owner (a higher epoch) counts its own seq. One owner's events arrive in
    // order, so a seq not above the last means the sequence began again (the listener was defined again, or
    // its type changed, or, without a cluster, the process restarted).
    if (epoch == lastEpoch && lastSeq != 0 && seq <= lastSeq) {
      LOG.info("the listener's seq began again: {} after {}", seq, lastSeq);
    } else if (epoch == lastEpoch && lastSeq != 0 && seq != lastSeq + 1) {
      LOG.info("missed envelopes: seq {} after {}", seq, lastSeq);
    }
    if ("gap".equals(envelope.getString("type"))) {
      // The listener's own word after a reconnect (or a new owner): what the upstream sent between the two
      // connections never arrived. seq does not show it: it counts what the listener published.
      JsonObject window = envelope.getJsonObject("data", new JsonObject());
      LOG.info("the upstream's messages from {} to {} were not received: {}", window.getString("from"), window.getString("to"),
          window.getString("reason"));
    }
    lastEpoch = epoch;
    lastSeq = seq;
    received++;
    // A line per message shows the example working; at a high rate, count instead (a log line costs more than the message).
    LOG.info("received upstream.{}.message seq={} epoch={} ({} so far)", listener, seq, epoch, received);
  }

  private void send() {
    JsonObject message = new JsonObject().put("from", "example-consumer").put("n", ++sent);
    vertx.eventBus().<JsonObject>request("upstream." + listener + ".send", message, new DeliveryOptions().setSendTimeout(5_000))
        .onSuccess(reply -> LOG.info("sent {}: {}", message.encode(), reply.body().encode()))
        .onFailure(err -> LOG.info("send {} failed: {}", message.encode(),
            err instanceof ReplyException r ? r.failureType() + " " + r.failureCode() + " " + r.getMessage() : err.toString()));
  }
}
