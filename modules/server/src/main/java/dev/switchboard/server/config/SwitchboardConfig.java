package dev.switchboard.server.config;

import dev.switchboard.cluster.ClusterSettings;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.server.http.AllowedHosts;
import dev.switchboard.server.http.AllowedOrigins;
import dev.switchboard.server.http.BridgeOptions;
import dev.switchboard.server.logging.LoggingSetup;
import dev.switchboard.server.http.HttpTimeouts;
import dev.switchboard.status.StatusOptions;
import io.vertx.core.Deployable;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole configuration, validated. Built only by {@link ConfigLoader}.
 *
 * @param status     the status fan-out: delta history, activity channels, message history
 * @param simulators in-process upstream simulators to start first (the demo)
 * @param verticles  the user's own verticles, deployed beside the listeners
 * @param logging    the log format and levels, applied by {@code Main} (logback is process-wide)
 * @param kinds      the listener kinds found on the classpath
 * @param env        where {@code ${VAR}} placeholders resolve, also in definitions sent at run time
 * @param file       the file this was read from, if any: what a reload reads again
 * @param cluster    the cluster this node joins; {@link ClusterSettings#OFF} for a single process
 * @param eventLoops how many event-loop threads Vert.x runs (1 by default: see docs/performance.md)
 */
public record SwitchboardConfig(
    Http http,
    Path dataDir,
    Duration statusInterval,
    Optional<String> defaultListener,
    List<ListenerDefinition> listeners,
    StatusOptions status,
    List<Simulator> simulators,
    List<UserVerticle> verticles,
    LoggingSetup.Logging logging,
    ListenerKinds kinds,
    Map<String, String> env,
    Optional<Path> file,
    ClusterSettings cluster,
    int eventLoops) {

  /**
   * @param controlToken the bearer token every control action must carry
   * @param bridge       the SockJS bridge's bounds
   * @param timeouts     how long the server waits on a client: idle, and for a whole request
   * @param allowedHosts   the names the server answers to in the Host header
   * @param allowedOrigins the origins whose pages may use the bridge, besides the server's own
   * @param maxConnections the most connections open at once, the bridge's WebSockets among them
   */
  public record Http(String host, int port, String controlToken, BridgeOptions bridge, HttpTimeouts timeouts,
                     AllowedHosts allowedHosts, AllowedOrigins allowedOrigins, int maxConnections) {
  }

  public record Simulator(String type, Deployable verticle) {
  }

  public record UserVerticle(String className, JsonObject config, int instances) {
  }

  public SwitchboardConfig withFile(Path path) {
    return new SwitchboardConfig(http, dataDir, statusInterval, defaultListener, listeners, status, simulators, verticles,
        logging, kinds, env, Optional.of(path), cluster, eventLoops);
  }
}
