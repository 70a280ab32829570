package dev.switchboard.status;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How activity channels behave.
 *
 * @param phases      the flags a channel has, in display order
 * @param forgetAfter a channel with no flag set for this long is forgotten
 * @param maxChannels the most channels kept at once; the one idle the longest makes room for a new one
 */
public record ActivityOptions(List<ActivityPhase> phases, Duration forgetAfter, int maxChannels) {
  /** Phase names and report types: what a JavaScript client can use as a key without quoting surprises. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,100}");

  public ActivityOptions {
    phases = List.copyOf(phases);
  }

  public static ActivityOptions defaults() {
    return new ActivityOptions(List.of(
        new ActivityPhase("thinking", "thinking_start", "thinking_end", Duration.ofSeconds(30)),
        new ActivityPhase("extraction", "extraction_start", "extraction_complete", Duration.ofSeconds(60)),
        new ActivityPhase("summary", "summary_start", "summary_complete", Duration.ofSeconds(60))),
        Duration.ofMinutes(10), 10_000);
  }

  /**
   * Reads an {@code activity} section. {@code phases}, when present, replaces the default phases as a
   * whole: {@code {"thinking": {"start": "thinking_start", "end": "thinking_end", "staleAfter": "30s"}}}.
   */
  public static ActivityOptions from(ConfigSection s) {
    ActivityOptions d = defaults();
    List<ActivityPhase> phases = s.has("phases") ? phases(s.section("phases")) : d.phases;
    s.accept("phases");
    Duration forgetAfter = positive(s, "forgetAfter", d.forgetAfter);
    int maxChannels = s.integer("maxChannels", d.maxChannels, 1, 10_000_000);
    s.finish();
    return new ActivityOptions(phases, forgetAfter, maxChannels);
  }

  private static List<ActivityPhase> phases(ConfigSection s) {
    // raw() keeps the order of the file, which is the order the flags are shown in
    JsonObject json = s.raw();
    if (json.isEmpty()) {
      throw new ConfigException(s.path(), "must name at least one phase");
    }
    Map<String, String> typeOwners = new HashMap<>();
    return json.fieldNames().stream().map(name -> {
      if (!NAME.matcher(name).matches()) {
        throw new ConfigException(s.field(name), "is not a valid phase name: use 1-100 letters, digits, '.', '_', ':' or '-'");
      }
      ConfigSection phase = s.section(name);
      String start = type(phase, "start", typeOwners);
      String end = type(phase, "end", typeOwners);
      Duration staleAfter = positive(phase, "staleAfter", Duration.ofSeconds(60));
      phase.finish();
      return new ActivityPhase(name, start, end, staleAfter);
    }).toList();
  }

  private static String type(ConfigSection phase, String key, Map<String, String> typeOwners) {
    String type = phase.requiredString(key);
    if (!NAME.matcher(type).matches()) {
      throw new ConfigException(phase.field(key), "is not a valid report type: use 1-100 letters, digits, '.', '_', ':' or '-'");
    }
    String owner = typeOwners.putIfAbsent(type, phase.field(key));
    if (owner != null) {
      throw new ConfigException(phase.field(key), "\"" + type + "\" is already used by " + owner);
    }
    return type;
  }

  static Duration positive(ConfigSection s, String key, Duration fallback) {
    Duration value = s.duration(key, fallback);
    if (value.isZero() || value.isNegative()) {
      throw new ConfigException(s.field(key), "must be longer than zero");
    }
    return value;
  }
}
