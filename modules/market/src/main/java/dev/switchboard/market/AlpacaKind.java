package dev.switchboard.market;

import dev.switchboard.core.ConfigField;
import dev.switchboard.core.ConfigField.Type;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.KindAddresses;
import dev.switchboard.core.ListenerFactory;
import dev.switchboard.core.ListenerKind;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.ListenerVerticle;
import dev.switchboard.core.StatusField;
import dev.switchboard.core.UpstreamTls;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** {@code "type": "alpaca"}: the Alpaca market-data stream, shared by every client that watches a symbol. */
public class AlpacaKind implements ListenerKind {
  static final List<ConfigField> FIELDS = List.of(
      ConfigField.of("url", Type.URL, "the stream, e.g. wss://stream.data.alpaca.markets/v2/iex").asRequired(),
      ConfigField.of("key", Type.STRING, "the API key id; put it in the environment: \"${ALPACA_KEY}\"").asRequired().asSecret(),
      ConfigField.of("secret", Type.STRING, "the API secret; put it in the environment: \"${ALPACA_SECRET}\"").asRequired().asSecret(),
      ConfigField.object("staleAfter", "per channel: no data for this long while subscribed means the stream is dead; absent is off",
          java.util.Arrays.stream(Channel.values()).map(c -> ConfigField.of(c.wire(), Type.DURATION, "for " + c.wire())).toList()),
      ConfigField.of("unsubscribeLinger", Type.DURATION, "how long an unwanted symbol stays subscribed upstream, to absorb churn")
          .withDefault("0s"),
      ConfigField.of("maxSymbolsPerClient", Type.INTEGER, "(channel, symbol) pairs one client may watch (1 to 100000)").withDefault(200),
      ConfigField.of("maxFrameSize", Type.INTEGER, "the largest message accepted").withDefault(4 * 1024 * 1024),
      ConfigField.of("connectionLimitBackoff", Type.DURATION,
          "the least wait after a 406 (the upstream keeps a dropped connection for about 90 s)").withDefault("90s"),
      ConfigField.of("subscriptionTimeout", Type.DURATION,
          "no answer to a subscription change within this means the connection is dead").withDefault("5s"),
      ConfigField.of("encoding", Type.STRING,
          "\"msgpack\" (binary frames, as the official SDKs use; less CPU per message) or \"json\" (text frames);"
              + " the published data is the same").withDefault("msgpack").oneOfWords("json", "msgpack"),
      UpstreamTls.FIELD);

  static final List<StatusField> STATUS_FIELDS = List.of(
      StatusField.of(MarketStatus.CONNECTED, "boolean", "a connection is authenticated and subscriptions can change"),
      StatusField.of(MarketStatus.ACTIVE, "object", "what the upstream last said it is subscribed to: {trades, quotes, bars}"),
      StatusField.of(MarketStatus.WANTED, "object", "what the clients want now, same shape"),
      new StatusField(MarketStatus.CLIENTS, "integer", "clients that watch at least one symbol", StatusField.Metric.GAUGE),
      StatusField.of(MarketStatus.DRIFT, "object", "how often the upstream's answer differed from what was expected"),
      StatusField.of("last_gap", "object", "{from, to}: the last outage, published on market.<name>.gap"),
      new StatusField(MarketStatus.REFUSED, "integer", "symbol requests refused", StatusField.Metric.COUNTER),
      new StatusField(MarketStatus.DROPPED, "integer", "data of symbols nobody watched any more", StatusField.Metric.COUNTER),
      new StatusField(MarketStatus.UNKNOWN_TYPES, "integer", "messages of an unknown type, ignored", StatusField.Metric.COUNTER),
      new StatusField(MarketStatus.UNKNOWN_FIELDS, "integer", "data messages with unknown fields", StatusField.Metric.COUNTER));

  @Override
  public String type() {
    return "alpaca";
  }

  @Override
  public String namespace() {
    return "market";
  }

  @Override
  public String description() {
    return "An Alpaca market-data stream whose symbol subscriptions follow the clients that watch them.";
  }

  @Override
  public List<ConfigField> fields() {
    return FIELDS;
  }

  @Override
  public List<StatusField> statusFields() {
    return STATUS_FIELDS;
  }

  @Override
  public KindAddresses addresses() {
    return new KindAddresses(List.of("gap"), List.of("(trades|quotes|bars)\\..+", "gap"), List.of("health"), List.of(),
        List.of("watch", "unwatch", "health", "internal\\.demand"));
  }

  @Override
  public ListenerFactory configure(String name, ConfigSection fields, Path dataDir) {
    AlpacaSettings settings = AlpacaSettings.from(fields);
    // What clients want now: written by the registry, read by each connection to drop unwanted data.
    Set<Watch> wanted = ConcurrentHashMap.newKeySet();
    return new ListenerFactory() {
      @Override
      public String url() {
        return settings.url().toString();
      }

      @Override
      public ListenerVerticle newInstance(ListenerSpec spec, ListenerStats stats) {
        return new AlpacaListener(spec, stats, settings, wanted);
      }

      @Override
      public List<Deployable> companions(ListenerSpec spec, ListenerStats stats) {
        return List.of(new MarketSubscriptions(spec, stats, settings, wanted, NodeReport.Timing.DEFAULT));
      }

      @Override
      public List<Deployable> everyNode(ListenerSpec spec, ListenerStats stats) {
        return List.of(new NodeWatchers(spec, stats, settings, NodeReport.Timing.DEFAULT));
      }

      @Override
      public Future<Void> deleteState(Vertx vertx) {
        // The Java clients' watches outlive every registry (each owner's, each definition's): a listener defined
        // again after its removal starts without them.
        String map = new MarketAddresses(name).javaWatchesMap();
        return (vertx.isClustered() ? vertx.sharedData().<String, JsonObject>getAsyncMap(map)
            : vertx.sharedData().<String, JsonObject>getLocalAsyncMap(map)).compose(AsyncMap::clear);
      }
    };
  }
}
