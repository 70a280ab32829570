package dev.switchboard.status;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code status} section of the configuration.
 *
 * @param statusHistory how many status deltas are kept for clients that reconnect (0: always a snapshot)
 * @param history       the data addresses whose envelopes are kept for recovery
 */
public record StatusOptions(int statusHistory, ActivityOptions activity, List<HistoryRule> history) {
  public static final int DEFAULT_STATUS_HISTORY = 1_000;

  public StatusOptions {
    history = List.copyOf(history);
  }

  /** What an absent section means: 1,000 deltas, the default phases, the feed messages of every listener. */
  public static StatusOptions defaults() {
    return new StatusOptions(DEFAULT_STATUS_HISTORY, ActivityOptions.defaults(), List.of(
        new HistoryRule("upstream.*.message", HistoryRule.DEFAULT_MAX_MESSAGES, HistoryRule.DEFAULT_MAX_AGE)));
  }

  /** Reads the section strictly; an absent section (or field) takes the defaults. {@code history}, when present, replaces the default list. */
  public static StatusOptions from(ConfigSection s) {
    StatusOptions d = defaults();
    // Each kept delta is a whole status (about 2 KB on the heap): 100,000 of them are some 200 MB.
    int statusHistory = s.integer("statusHistory", d.statusHistory, 0, 100_000);
    ActivityOptions activity = ActivityOptions.from(s.section("activity"));
    List<HistoryRule> history = d.history;
    if (s.has("history")) {
      history = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (ConfigSection rule : s.sections("history")) {
        HistoryRule r = HistoryRule.from(rule);
        if (!seen.add(r.address())) {
          throw new ConfigException(rule.field("address"), "\"" + r.address() + "\" is listed twice");
        }
        history.add(r);
      }
    }
    s.accept("history");
    s.finish();
    return new StatusOptions(statusHistory, activity, history);
  }
}
