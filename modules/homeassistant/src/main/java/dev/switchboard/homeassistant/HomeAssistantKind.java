package dev.switchboard.homeassistant;

import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.ListenerFactory;
import dev.switchboard.core.ListenerKind;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.ListenerStatus;
import dev.switchboard.core.ListenerVerticle;
import io.vertx.core.Deployable;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code "type": "homeassistant"}: Home Assistant events and states over its WebSocket API. */
public class HomeAssistantKind implements ListenerKind {
  @Override
  public String type() {
    return "homeassistant";
  }

  @Override
  public ListenerFactory configure(String name, ConfigSection fields, Path dataDir) {
    HomeAssistantSettings settings = HomeAssistantSettings.from(fields);
    HomeState home = new HomeState();
    return new ListenerFactory() {
      @Override
      public String url() {
        return settings.url().toString();
      }

      @Override
      public ListenerVerticle newInstance(ListenerSpec spec, ListenerStats stats) {
        return new HomeAssistantListener(spec, stats, settings, home);
      }

      @Override
      public List<Deployable> companions(ListenerSpec spec, ListenerStats stats) {
        return List.of(new HomeAssistantCompanion(spec, stats, settings, home, dataDir));
      }

      @Override
      public Optional<String> healthProblem(ListenerStatus status) {
        return HomeAssistantKind.healthProblem(settings, home, System.currentTimeMillis());
      }
    };
  }

  /** Connected is not enough: the stream must be subscribed, and not silent for longer than staleAfter. */
  static Optional<String> healthProblem(HomeAssistantSettings settings, HomeState home, long now) {
    if (!home.subscribed()) {
      return Optional.of("connected but not subscribed to Home Assistant events " + settings.eventTypes());
    }
    if (settings.staleCheck()) {
      // A fresh subscription gets the full staleAfter before an event is due.
      long since = Math.max(home.lastEventAt(), home.subscribedAt());
      long silent = now - since;
      if (silent > settings.staleAfter().toMillis()) {
        return Optional.of("no Home Assistant event for " + Duration.ofMillis(silent).toSeconds() + " s (staleAfter "
            + settings.staleAfter().toMillis() + " ms)");
      }
    }
    return Optional.empty();
  }
}
