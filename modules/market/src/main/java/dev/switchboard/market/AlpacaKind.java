package dev.switchboard.market;

import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.ListenerFactory;
import dev.switchboard.core.ListenerKind;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.ListenerVerticle;
import io.vertx.core.Deployable;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** {@code "type": "alpaca"}: the Alpaca market-data stream, shared by every client that watches a symbol. */
public class AlpacaKind implements ListenerKind {
  @Override
  public String type() {
    return "alpaca";
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
        return List.of(new MarketSubscriptions(spec, stats, settings, wanted));
      }
    };
  }
}
