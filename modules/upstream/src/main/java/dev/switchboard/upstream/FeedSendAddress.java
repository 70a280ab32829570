package dev.switchboard.upstream;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * {@code upstream.<name>.send} for as long as the listener exists, whatever its state: a send is
 * handed to the live connection, and answered 503 "not connected" when there is none (stopped, in
 * backoff, reconnecting), never with the event bus's bare NO_HANDLERS.
 */
final class FeedSendAddress extends VerticleBase {
  private final String listener;

  FeedSendAddress(String listener) {
    this.listener = listener;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<Object>consumer(FeedAddresses.send(listener), this::forward).completion();
  }

  private void forward(Message<Object> msg) {
    vertx.eventBus().request(FeedAddresses.connectionSend(listener), msg.body())
        .onSuccess(reply -> msg.reply(reply.body()))
        .onFailure(err -> {
          if (err instanceof ReplyException r && r.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
            msg.fail(r.failureCode(), r.getMessage());
          } else if (err instanceof ReplyException r && (r.failureType() == ReplyFailure.NO_HANDLERS || discarded(r))) {
            msg.fail(503, "listener '" + listener + "' is not connected; nothing was sent");
          } else {
            msg.fail(504, "no answer from the connection of '" + listener + "': " + err.getMessage());
          }
        });
  }

  /**
   * Queued for a connection that stopped before taking it: the event bus fails it at once with this
   * text (and the TIMEOUT type). It was never written, as with no connection at all.
   */
  private static boolean discarded(ReplyException e) {
    return e.failureType() == ReplyFailure.TIMEOUT && e.getMessage() != null && e.getMessage().startsWith("Discarded the request");
  }
}
