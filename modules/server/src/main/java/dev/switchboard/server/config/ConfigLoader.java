package dev.switchboard.server.config;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.ListenerFactory;
import dev.switchboard.core.ListenerKind;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.RestartPolicy;
import dev.switchboard.core.Secrets;
import dev.switchboard.server.http.BridgeOptions;
import dev.switchboard.simulators.SimulatorKind;
import dev.switchboard.status.StatusOptions;
import io.vertx.core.json.DecodeException;
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
import java.util.regex.Pattern;

/**
 * Reads and validates the configuration file. Anything wrong ends in one {@link ConfigException}
 * naming the field, so that the process refuses to start with one clear line.
 */
public final class ConfigLoader {
  /** Listener names appear inside event-bus addresses, so they must not contain dots. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,40}");

  private final Map<String, String> env;
  private final Map<String, ListenerKind> kinds = new TreeMap<>();
  private final Map<String, SimulatorKind> simulatorKinds = new TreeMap<>();

  public ConfigLoader(Map<String, String> env) {
    this.env = env;
    ServiceLoader.load(ListenerKind.class).forEach(k -> kinds.put(k.type(), k));
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
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (DecodeException e) {
      throw new ConfigException(file.toString(), "is not valid JSON: " + e.getMessage());
    }
    return parse(json);
  }

  public SwitchboardConfig parse(JsonObject raw) {
    Placeholders placeholders = new Placeholders(env);
    ConfigSection root = new ConfigSection("", placeholders.resolve(raw, ""));
    Secrets.global().addAll(placeholders.secrets());

    ConfigSection http = root.section("http");
    SwitchboardConfig.Http httpConfig = new SwitchboardConfig.Http(
        http.optionalString("host", "127.0.0.1"),
        http.integer("port", 8080, 0, 65_535),
        http.requiredString("controlToken"),
        BridgeOptions.from(http.section("bridge")));
    if (httpConfig.controlToken().length() < 8) {
      throw new ConfigException(http.field("controlToken"), "must be at least 8 characters");
    }
    http.finish();

    Path dataDir = Path.of(root.optionalString("dataDir", "./data"));
    Duration statusInterval = root.duration("statusInterval", Duration.ofSeconds(1));
    if (statusInterval.isZero()) {
      throw new ConfigException("statusInterval", "must be longer than zero");
    }
    List<ListenerDefinition> listeners = listeners(root, dataDir);
    Optional<String> defaultListener = Optional.ofNullable(root.optionalString("defaultListener", null));
    defaultListener.ifPresent(name -> {
      if (listeners.stream().noneMatch(l -> l.name().equals(name))) {
        throw new ConfigException("defaultListener", "names no configured listener: '" + name + "'");
      }
    });
    StatusOptions status = StatusOptions.from(root.section("status"));
    List<SwitchboardConfig.Simulator> simulators = simulators(root.section("simulators"));
    List<SwitchboardConfig.UserVerticle> verticles = verticles(root);
    root.finish();
    return new SwitchboardConfig(httpConfig, dataDir, statusInterval, defaultListener, listeners, status, simulators, verticles);
  }

  private List<ListenerDefinition> listeners(ConfigSection root, Path dataDir) {
    List<ListenerDefinition> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (ConfigSection s : root.sections("listeners")) {
      String name = s.requiredString("name");
      if (!NAME.matcher(name).matches()) {
        throw new ConfigException(s.field("name"), "must be 1 to 40 letters, digits, '-' or '_' (it is part of event-bus addresses), not '" + name + "'");
      }
      if (!names.add(name)) {
        throw new ConfigException(s.field("name"), "duplicate listener name '" + name + "'");
      }
      String type = s.requiredString("type");
      ListenerKind kind = kinds.get(type);
      if (kind == null) {
        throw new ConfigException(s.field("type"), "unknown listener type '" + type + "'; known: " + String.join(", ", kinds.keySet()));
      }
      boolean autoStart = s.bool("autoStart", false);
      RestartPolicy policy = RestartPolicy.from(s.section("restart"));
      ListenerFactory factory = kind.configure(name, s, dataDir);
      out.add(new ListenerDefinition(new ListenerSpec(name, type, autoStart, policy, factory.url()), factory));
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
        throw new ConfigException(s.field("class"), "no class " + className + " on the classpath (add its jar with java -cp switchboard.jar:your.jar ...)");
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
