package dev.switchboard.market;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.UpstreamTls;

import java.net.URI;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * An Alpaca listener's own config.
 *
 * @param url                    the stream, e.g. {@code wss://stream.data.alpaca.markets/v2/iex}
 * @param staleAfter             per channel: no data for this long while subscribed means the stream is dead
 * @param unsubscribeLinger      how long an unwanted symbol stays subscribed upstream, to absorb churn
 * @param maxSymbolsPerClient    (channel, symbol) pairs one client may watch
 * @param connectionLimitBackoff the least wait after a 406 (the upstream keeps a dropped connection for ~90 s)
 * @param subscriptionTimeout    no answer to a subscription change within this means the connection is dead
 * @param encoding               what the frames are: JSON text, or msgpack binary (asked for at the upgrade)
 * @param tls                    which certificates the stream may present (a proxy's, say)
 */
public record AlpacaSettings(
    URI url,
    String key,
    String secret,
    Map<Channel, Duration> staleAfter,
    Duration unsubscribeLinger,
    int maxSymbolsPerClient,
    int maxFrameSize,
    Duration connectionLimitBackoff,
    Duration subscriptionTimeout,
    Encoding encoding,
    UpstreamTls tls) {

  /** The stream's two encodings; the upgrade's {@code Content-Type} chooses. */
  public enum Encoding {
    JSON("json"), MSGPACK("msgpack");

    public final String wire;

    Encoding(String wire) {
      this.wire = wire;
    }
  }

  public AlpacaSettings {
    staleAfter = Map.copyOf(staleAfter);
  }

  public static AlpacaSettings from(ConfigSection s) {
    URI url = s.webSocketUrl("url");
    String key = s.requiredString("key");
    String secret = s.requiredString("secret"); // a secret field: masked wherever it could show
    ConfigSection stale = s.section("staleAfter");
    Map<Channel, Duration> staleAfter = new EnumMap<>(Channel.class);
    for (Channel channel : Channel.values()) {
      if (stale.has(channel.wire())) {
        Duration d = stale.duration(channel.wire());
        if (d.isZero()) {
          throw new ConfigException(stale.field(channel.wire()), "must be longer than zero (leave it out to turn the check off)");
        }
        staleAfter.put(channel, d);
      }
    }
    stale.finish();
    AlpacaSettings settings = new AlpacaSettings(url, key, secret, staleAfter,
        s.duration("unsubscribeLinger"),
        s.integer("maxSymbolsPerClient", 1, 100_000),
        s.integer("maxFrameSize", 1024, 64 * 1024 * 1024),
        s.duration("connectionLimitBackoff"),
        positive(s, "subscriptionTimeout"),
        encoding(s),
        UpstreamTls.from(s, url));
    s.finish();
    return settings;
  }

  /** The key and the secret never show: a record's own text would print both. */
  @Override
  public String toString() {
    return "AlpacaSettings[url=" + url + ", key=***, secret=***, staleAfter=" + staleAfter + ", unsubscribeLinger="
        + unsubscribeLinger + ", maxSymbolsPerClient=" + maxSymbolsPerClient + ", maxFrameSize=" + maxFrameSize
        + ", connectionLimitBackoff=" + connectionLimitBackoff + ", subscriptionTimeout=" + subscriptionTimeout
        + ", encoding=" + encoding + ", tls=" + tls + "]";
  }

  private static Encoding encoding(ConfigSection s) {
    String wire = s.string("encoding");
    for (Encoding e : Encoding.values()) {
      if (e.wire.equals(wire)) {
        return e;
      }
    }
    throw new ConfigException(s.field("encoding"), "must be \"json\" or \"msgpack\", not \"" + wire + "\"");
  }

  private static Duration positive(ConfigSection s, String key) {
    Duration d = s.duration(key);
    if (d.isZero()) {
      throw new ConfigException(s.field(key), "must be longer than zero");
    }
    return d;
  }
}
