package dev.switchboard.simulators.alpaca;

import java.util.List;
import java.util.Optional;

/**
 * One stream endpoint: its path, the channels a client may subscribe to there, and the keys of its
 * {@code subscription} answer (always all of them, empty arrays included: SDKs crash on a missing key).
 *
 * @param feed the feed name as the entitlement list spells it ("iex", "crypto/us")
 */
record AlpacaEndpoint(String path, String feed, boolean crypto, List<String> channels, List<String> answerKeys) {

  private static final List<String> STOCK_CHANNELS =
      List.of("trades", "quotes", "bars", "updatedBars", "dailyBars", "statuses", "lulds", "imbalances");
  private static final List<String> STOCK_ANSWER =
      List.of("trades", "quotes", "bars", "updatedBars", "dailyBars", "statuses", "lulds", "corrections", "cancelErrors");
  private static final List<String> CRYPTO_CHANNELS =
      List.of("trades", "quotes", "bars", "updatedBars", "dailyBars", "orderbooks");
  private static final List<String> CRYPTO_ANSWER =
      List.of("trades", "quotes", "orderbooks", "bars", "updatedBars", "dailyBars");
  /** Channels that follow {@code trades} on their own and cannot be asked for. */
  static final List<String> AUTOMATIC = List.of("corrections", "cancelErrors");
  /** What {@code "*"} stands for on the crypto endpoints: pairs, never the stock symbols. */
  static final List<String> CRYPTO_UNIVERSE = List.of("BTC/USD", "ETH/USD", "LTC/USD", "SOL/USD", "DOGE/USD");

  static Optional<AlpacaEndpoint> of(String path) {
    if (path.startsWith("/v2/")) {
      String feed = path.substring(4);
      if (List.of("iex", "sip", "delayed_sip", "test").contains(feed)) {
        return Optional.of(new AlpacaEndpoint(path, feed, false, STOCK_CHANNELS, STOCK_ANSWER));
      }
    } else if (path.startsWith("/v1beta3/crypto/")) {
      String loc = path.substring("/v1beta3/crypto/".length());
      if (List.of("us", "us-1", "eu-1").contains(loc)) {
        return Optional.of(new AlpacaEndpoint(path, "crypto/" + loc, true, CRYPTO_CHANNELS, CRYPTO_ANSWER));
      }
    }
    return Optional.empty();
  }

  /** The symbols {@code "*"} stands for here: the configured stock universe, or the crypto pairs. */
  List<String> universe(List<String> stocks) {
    return crypto ? CRYPTO_UNIVERSE : stocks;
  }

  /** A channel some endpoint has, but not this one: 410 rather than 400. */
  boolean belongsElsewhere(String channel) {
    return !channels.contains(channel) && (STOCK_CHANNELS.contains(channel) || CRYPTO_CHANNELS.contains(channel));
  }
}
