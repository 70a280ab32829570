package dev.switchboard.simulators.alpaca;

import io.vertx.core.json.JsonObject;

/**
 * A subscribe or unsubscribe the simulator received.
 *
 * @param whileUnanswered it arrived while an earlier change of the same session was still unanswered:
 *                        a client that does this cannot tell which answer is whose (the protocol has no ids)
 */
public record SubscriptionChange(int session, String feed, long at, String action, JsonObject request, boolean whileUnanswered) {

  /** The symbols this change lists for a channel (empty if none). */
  public java.util.List<String> symbols(String channel) {
    return request.getValue(channel) instanceof io.vertx.core.json.JsonArray list
        ? list.stream().map(String::valueOf).toList()
        : java.util.List.of();
  }
}
