package dev.switchboard.server.config;

import dev.switchboard.cluster.ClusterSettings;
import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.JsonSyntax;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.core.Placeholders;
import dev.switchboard.core.Secrets;
import dev.switchboard.core.SimulatorKind;
import dev.switchboard.server.http.AllowedHosts;
import dev.switchboard.server.http.AllowedOrigins;
import dev.switchboard.server.http.BridgeOptions;
import dev.switchboard.server.logging.LoggingSetup;
import dev.switchboard.server.http.ControlToken;
import dev.switchboard.server.http.HttpTimeouts;
import dev.switchboard.status.StatusOptions;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads and validates the configuration file. Anything wrong ends in one {@link ConfigException}
 * naming the field, so that the process refuses to start with one clear line.
 */
public final class ConfigLoader {
  private final Map<String, String> env;
  private final ListenerKinds kinds;
  private final Map<String, SimulatorKind> simulatorKinds = new TreeMap<>();

  public ConfigLoader(Map<String, String> env) {
    this(env, ListenerKinds.discover());
  }

  public ConfigLoader(Map<String, String> env, ListenerKinds kinds) {
    this.env = env;
    this.kinds = kinds;
    ServiceLoader.load(SimulatorKind.class).forEach(k -> simulatorKinds.put(k.type(), k));
  }

  public SwitchboardConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file.toString(), "no such file");
    } catch (IOException e) {
      throw new ConfigException(file.toString(), "cannot be read: " + e.getMessage());
    }
    Object parsed;
    try {
      parsed = Json.decodeValue(text);
    } catch (DecodeException e) {
      throw new ConfigException(file.toString(), "is not valid JSON: " + JsonSyntax.describe(e));
    }
    if (!(parsed instanceof JsonObject json)) {
      throw new ConfigException(file.toString(), "must hold one JSON object ({ ... }), not " + (parsed == null ? "null"
          : parsed instanceof JsonArray ? "an array" : "a single value"));
    }
    return parse(json).withFile(file);
  }

  /**
   * One event loop: a message then goes from its upstream's socket to the clients' sockets on one
   * thread, with no hand-over between loops, which on every row of the relay benchmark cost more
   * CPU and latency than a second loop gained (docs/performance.md, "One event loop").
   */
  public static final int DEFAULT_EVENT_LOOPS = 1;
  /**
   * A cluster node keeps Vert.x's own default (twice the cores): its lease renewals, Hazelcast's calls
   * and the clustered event bus share the loops with the data, and its failover timings were measured
   * with several (one loop there is not measured: docs/performance.md, "One event loop").
   */
  public static final int CLUSTER_EVENT_LOOPS = VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE;
  /**
   * 5,000 connections at once: five times the relay benchmark's largest fleet, and about 84 MB of the
   * launcher's 256 MB heap if all are idle bridge WebSockets (17 KB each). 16,000 of those filled that
   * heap, and the process exited (docs/operations.md, "Connection flood").
   */
  public static final int DEFAULT_MAX_CONNECTIONS = 5_000;

  public SwitchboardConfig parse(JsonObject raw) {
    // Listener definitions resolve their own placeholders (only their secret fields are secrets); the
    // rest of the file holds tokens and keys, so every value from the environment there is one.
    JsonObject rest = raw.copy();
    Object listenerSources = rest.remove("listeners");
    Placeholders placeholders = new Placeholders(env);
    JsonObject resolved = placeholders.resolve(rest, "");
    Secrets.global().addAll(placeholders.values());
    try {
      return parse(resolved, listenerSources);
    } catch (ConfigException e) {
      throw e.masking(placeholders.values());
    }
  }

  private SwitchboardConfig parse(JsonObject resolved, Object listenerSources) {
    ConfigSection root = new ConfigSection("", resolved);

    ConfigSection http = root.section("http");
    String host = http.optionalString("host", "127.0.0.1");
    SwitchboardConfig.Http httpConfig = new SwitchboardConfig.Http(
        host,
        http.integer("port", 8080, 0, 65_535),
        http.requiredString("controlToken"),
        BridgeOptions.from(http.section("bridge")),
        HttpTimeouts.from(http),
        AllowedHosts.from(http, host),
        AllowedOrigins.from(http),
        http.integer("maxConnections", DEFAULT_MAX_CONNECTIONS, 10, 10_000_000));
    if (httpConfig.controlToken().length() < 8) {
      throw new ConfigException(http.field("controlToken"), "must be at least 8 characters");
    }
    // HTTP trims a header's spaces and reads it as Latin-1: such a token would be refused on every request.
    if (!httpConfig.controlToken().chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new ConfigException(http.field("controlToken"), "must be visible ASCII characters only (no space, newline or "
          + "accented letter), as an HTTP header carries them: a secret made from a file often ends in a newline");
    }
    // The demo's token is in the README: tolerable on loopback (with a warning at start), an open door elsewhere.
    if (ControlToken.isPublicDemo(httpConfig.controlToken()) && !AllowedHosts.isLoopback(host)) {
      throw new ConfigException(http.field("controlToken"), "is the public demo token, refused when http.host (" + host
          + ") is not a loopback address: set SWITCHBOARD_TOKEN in the environment (the demo config reads it), or put a secret of your own here");
    }
    http.finish();

    Path dataDir = writableDataDir(root.optionalString("dataDir", "./data"));
    Duration statusInterval = root.duration("statusInterval", Duration.ofSeconds(1));
    if (statusInterval.isZero()) {
      throw new ConfigException("statusInterval", "must be longer than zero");
    }
    List<ListenerDefinition> listeners = listeners(listenerSources, dataDir);
    Optional<String> defaultListener = Optional.ofNullable(root.optionalString("defaultListener", null));
    // Only its form: after the first start the data dir's definitions are the truth, not this file's listeners, and
    // the /listener/* routes answer 404 while it names none.
    defaultListener.ifPresent(name -> {
      if (!ListenerKinds.NAME.matcher(name).matches()) {
        throw new ConfigException("defaultListener", "must be a listener name: 1 to 40 letters, digits, '-' or '_'");
      }
    });
    StatusOptions status = StatusOptions.from(root.section("status"));
    List<SwitchboardConfig.Simulator> simulators = simulators(root.section("simulators"));
    List<SwitchboardConfig.UserVerticle> verticles = verticles(root);
    LoggingSetup.Logging logging = logging(root.section("logging"));
    ClusterSettings cluster = ClusterSettings.from(root.section("cluster"));
    int eventLoops = root.integer("eventLoops", cluster.enabled() ? CLUSTER_EVENT_LOOPS : DEFAULT_EVENT_LOOPS, 1, 1_024);
    root.finish();
    return new SwitchboardConfig(httpConfig, dataDir, statusInterval, defaultListener, listeners, status, simulators, verticles,
        logging, kinds, env, Optional.empty(), cluster, eventLoops);
  }

  /**
   * The data dir, made if missing and proven writable now: a listener's desired state that cannot be
   * saved is found at start, not at the first stop.
   */
  private static Path writableDataDir(String configured) {
    Path dir = Path.of(configured);
    try {
      Files.createDirectories(dir);
      Path probe = Files.createTempFile(dir, ".write-check", ".tmp");
      Files.delete(probe);
      return dir;
    } catch (IOException | UnsupportedOperationException e) {
      throw new ConfigException("dataDir", "'" + dir.toAbsolutePath() + "' cannot be written (" + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); point dataDir at a directory this user can write");
    }
  }

  private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  /** {@code logging: {format: text|json, level: {"<logger>"|"root": "INFO", ...}}}. */
  private static LoggingSetup.Logging logging(ConfigSection section) {
    String format = section.optionalString("format", "text");
    if (!format.equals("text") && !format.equals("json")) {
      throw new ConfigException(section.field("format"), "must be \"text\" or \"json\", not \"" + format + "\"");
    }
    Map<String, String> levels = section.stringMap("level");
    levels.forEach((logger, level) -> {
      if (!LEVELS.contains(level.toUpperCase(java.util.Locale.ROOT))) {
        throw new ConfigException(section.field("level") + "." + logger, "must be one of TRACE, DEBUG, INFO, WARN, ERROR, OFF, not \"" + level + "\"");
      }
    });
    section.finish();
    return new LoggingSetup.Logging(format, Map.copyOf(levels));
  }

  private List<ListenerDefinition> listeners(Object sources, Path dataDir) {
    if (sources == null) {
      return List.of();
    }
    if (!(sources instanceof JsonArray items)) {
      throw new ConfigException("listeners", "must be an array of listener definitions");
    }
    List<ListenerDefinition> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      String path = "listeners[" + i + "]";
      if (!(items.getValue(i) instanceof JsonObject source)) {
        throw new ConfigException(path, "must be an object");
      }
      ListenerDefinition d = kinds.read(path, source, env, dataDir, 1);
      if (!names.add(d.name())) {
        throw new ConfigException(path + ".name", "duplicate listener name '" + d.name() + "'");
      }
      out.add(d);
    }
    return out;
  }

  private List<SwitchboardConfig.Simulator> simulators(ConfigSection section) {
    List<SwitchboardConfig.Simulator> out = new ArrayList<>();
    for (String type : new java.util.TreeSet<>(section.fieldNames())) {
      SimulatorKind kind = simulatorKinds.get(type);
      if (kind == null) {
        throw new ConfigException(section.field(type), "unknown simulator; known: " + String.join(", ", simulatorKinds.keySet()));
      }
      out.add(new SwitchboardConfig.Simulator(type, kind.configure(section.section(type))));
    }
    section.finish();
    return out;
  }

  private List<SwitchboardConfig.UserVerticle> verticles(ConfigSection root) {
    List<SwitchboardConfig.UserVerticle> out = new ArrayList<>();
    for (ConfigSection s : root.sections("verticles")) {
      String className = s.requiredString("class");
      try {
        Class.forName(className, false, ConfigLoader.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        throw new ConfigException(s.field("class"), "no class " + className + " on the classpath (add its jar: SWITCHBOARD_CLASSPATH=your.jar bin/switchboard ...)");
      }
      ConfigSection config = s.section("config");
      JsonObject configJson = config.raw();
      int instances = s.integer("instances", 1, 1, 64);
      s.finish();
      out.add(new SwitchboardConfig.UserVerticle(className, configJson, instances));
    }
    return out;
  }
}
