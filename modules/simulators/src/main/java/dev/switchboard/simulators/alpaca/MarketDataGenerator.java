package dev.switchboard.simulators.alpaca;

import dev.switchboard.core.Rfc3339;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Plausible market data with the real field names: a random walk per symbol, trade ids that grow,
 * nanosecond timestamps for trades and quotes, minute-aligned bar starts. Times are written as the
 * stream writes them in JSON (RFC3339Nano); a msgpack session sends them as Timestamp extensions.
 */
final class MarketDataGenerator {
  private static final String[] EXCHANGES = {"V", "Q", "N", "P", "K", "Z"};
  private final Random random = new Random();
  private final Map<String, Double> prices = new HashMap<>();
  private long tradeId = 1_000;

  private double step(String symbol) {
    double last = prices.computeIfAbsent(symbol, s -> 20 + random.nextInt(400) + random.nextInt(100) / 100.0);
    double next = Math.max(1, last * (1 + (random.nextDouble() - 0.5) / 500));
    next = Math.round(next * 100) / 100.0;
    prices.put(symbol, next);
    return next;
  }

  private String exchange() {
    return EXCHANGES[random.nextInt(EXCHANGES.length)];
  }

  JsonObject trade(String symbol, boolean crypto) {
    double price = step(symbol);
    JsonObject trade = new JsonObject().put("T", "t").put("S", symbol).put("i", ++tradeId);
    if (crypto) {
      return trade.put("p", price).put("s", Math.round(random.nextDouble() * 10_000) / 10_000.0)
          .put("t", nanos()).put("tks", random.nextBoolean() ? "B" : "S");
    }
    return trade.put("x", exchange()).put("p", price).put("s", 1 + random.nextInt(500)).put("t", nanos())
        .put("c", new JsonArray().add("@")).put("z", "C");
  }

  /** A correction of a stock trade sent earlier: its price and size amended, under a new trade id. */
  JsonObject correction(JsonObject trade) {
    double price = trade.getDouble("p");
    double corrected = Math.max(0.01, Math.round((price + (random.nextBoolean() ? 0.01 : -0.01)) * 100) / 100.0);
    return new JsonObject().put("T", "c").put("S", trade.getString("S")).put("x", trade.getString("x"))
        .put("oi", trade.getLong("i")).put("op", price).put("os", trade.getInteger("s")).put("oc", trade.getJsonArray("c").copy())
        .put("ci", ++tradeId).put("cp", corrected).put("cs", trade.getInteger("s")).put("cc", trade.getJsonArray("c").copy())
        .put("z", trade.getString("z")).put("t", nanos());
  }

  /** A cancel ({@code "a":"C"}) or, one time in four, an error ({@code "E"}) of a stock trade sent earlier. */
  JsonObject cancelError(JsonObject trade) {
    return new JsonObject().put("T", "x").put("S", trade.getString("S")).put("i", trade.getLong("i"))
        .put("x", trade.getString("x")).put("p", trade.getDouble("p")).put("s", trade.getInteger("s"))
        .put("a", random.nextInt(4) == 0 ? "E" : "C").put("z", trade.getString("z")).put("t", nanos());
  }

  JsonObject quote(String symbol, boolean crypto) {
    double mid = step(symbol);
    double bid = Math.round((mid - 0.01) * 100) / 100.0;
    double ask = Math.round((mid + 0.01) * 100) / 100.0;
    JsonObject quote = new JsonObject().put("T", "q").put("S", symbol);
    if (crypto) {
      return quote.put("bp", bid).put("bs", random.nextInt(5) + 0.5).put("ap", ask).put("as", random.nextInt(5) + 0.5).put("t", nanos());
    }
    return quote.put("bx", exchange()).put("bp", bid).put("bs", 1 + random.nextInt(10))
        .put("ax", exchange()).put("ap", ask).put("as", 1 + random.nextInt(10))
        .put("t", nanos()).put("c", new JsonArray().add("R")).put("z", "C");
  }

  JsonObject bar(String symbol) {
    double open = prices.getOrDefault(symbol, step(symbol));
    double close = step(symbol);
    double high = Math.max(open, close) + random.nextInt(10) / 100.0;
    double low = Math.min(open, close) - random.nextInt(10) / 100.0;
    int trades = 1 + random.nextInt(50);
    return new JsonObject().put("T", "b").put("S", symbol)
        .put("o", open).put("h", round(high)).put("l", round(low)).put("c", close)
        .put("v", trades * (1 + random.nextInt(100))).put("t", Rfc3339.format(lastWholeMinute()))
        .put("n", trades).put("vw", round((open + close) / 2));
  }

  /** A minute bar comes after its minute: it covers the last whole minute, and {@code t} is when that began. */
  private static Instant lastWholeMinute() {
    return Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(1, ChronoUnit.MINUTES);
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private String nanos() {
    // Up to nine fraction digits, trailing zeros dropped, as the stock stream sends for trades and quotes.
    return Rfc3339.format(Instant.now());
  }
}
