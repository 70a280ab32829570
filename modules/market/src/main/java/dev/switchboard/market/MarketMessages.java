package dev.switchboard.market;

import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Set;

/**
 * The Alpaca data messages: which channel's address each goes to, its envelope type, and the fields
 * it is known to have. Unknown fields are tolerated (and counted): the stream adds fields over time.
 * Corrections and cancel/errors follow trades on their own, so they go where the trades go; so do
 * trading statuses and LULD bands, which only matter to someone following the trades.
 */
final class MarketMessages {
  record Kind(Channel channel, String envelopeType, Set<String> fields) {
  }

  private static final Map<String, Kind> KINDS = Map.of(
      "t", new Kind(Channel.TRADES, "trade", Set.of("T", "S", "i", "x", "p", "s", "c", "t", "z", "r", "tks")),
      "q", new Kind(Channel.QUOTES, "quote", Set.of("T", "S", "bx", "bp", "bs", "ax", "ap", "as", "c", "t", "z", "r")),
      "b", new Kind(Channel.BARS, "bar", barFields()),
      "u", new Kind(Channel.BARS, "updatedBar", barFields()),
      "d", new Kind(Channel.BARS, "dailyBar", barFields()),
      "c", new Kind(Channel.TRADES, "correction", Set.of("T", "S", "x", "oi", "op", "os", "oc", "ci", "cp", "cs", "cc", "t", "z")),
      "x", new Kind(Channel.TRADES, "cancelError", Set.of("T", "S", "i", "x", "p", "s", "a", "t", "z")),
      "s", new Kind(Channel.TRADES, "status", Set.of("T", "S", "sc", "sm", "rc", "rm", "t", "z")),
      "l", new Kind(Channel.TRADES, "luld", Set.of("T", "S", "u", "d", "i", "t", "z")));

  private MarketMessages() {
  }

  private static Set<String> barFields() {
    return Set.of("T", "S", "o", "h", "l", "c", "v", "t", "n", "vw");
  }

  /** The kind of a data message type ("t", "q", "b"...), or null for a type this listener does not know. */
  static Kind kind(String type) {
    return KINDS.get(type);
  }

  /**
   * The envelope a refusal is told in, on the symbol's address: {@code {seq, ts, source, type: "error",
   * data: {code, message, channel?, symbol?}}} ({@code watch} null when the symbol itself was not valid).
   */
  static JsonObject errorEnvelope(long seq, String source, String code, String message, Watch watch) {
    JsonObject data = new JsonObject().put("code", code).put("message", message);
    if (watch != null) {
      data.put("channel", watch.channel().wire()).put("symbol", watch.symbol());
    }
    return new JsonObject().put("seq", seq).put("ts", System.currentTimeMillis()).put("source", source)
        .put("type", "error").put("data", data);
  }

  static boolean hasUnknownFields(String type, JsonObject message) {
    Set<String> known = KINDS.get(type).fields();
    for (String field : message.fieldNames()) {
      if (!known.contains(field)) {
        return true;
      }
    }
    return false;
  }
}
