package dev.switchboard.upstream;

import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.ListenerFactory;
import dev.switchboard.core.ListenerKind;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.ListenerVerticle;

/** {@code "type": "upstream"}: any JSON (or text, or binary) over WebSocket. */
public class FeedKind implements ListenerKind {
  @Override
  public String type() {
    return "upstream";
  }

  @Override
  public ListenerFactory configure(String name, ConfigSection fields, java.nio.file.Path dataDir) {
    FeedSettings settings = FeedSettings.from(fields);
    return new ListenerFactory() {
      @Override
      public String url() {
        return settings.url().toString();
      }

      @Override
      public ListenerVerticle newInstance(ListenerSpec spec, ListenerStats stats) {
        return new FeedListener(spec, stats, settings);
      }
    };
  }
}
