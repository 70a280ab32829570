package dev.switchboard.status;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The {@code status} config section: defaults, every field, and refusals that name the field. */
class StatusOptionsTest {

  private static StatusOptions read(String json) {
    return StatusOptions.from(new ConfigSection("status", json == null ? null : new JsonObject(json)));
  }

  private static String refused(String json) {
    return assertThrows(ConfigException.class, () -> read(json)).getMessage();
  }

  @Test
  @DisplayName("an absent section takes the defaults of the issue")
  void defaults() {
    StatusOptions options = read(null);
    assertEquals(StatusOptions.defaults(), options);
    assertEquals(1000, options.statusHistory());
    assertEquals(List.of(
        new ActivityPhase("thinking", "thinking_start", "thinking_end", Duration.ofSeconds(30)),
        new ActivityPhase("extraction", "extraction_start", "extraction_complete", Duration.ofSeconds(60)),
        new ActivityPhase("summary", "summary_start", "summary_complete", Duration.ofSeconds(60))), options.activity().phases());
    assertEquals(Duration.ofMinutes(10), options.activity().forgetAfter());
    assertEquals(10_000, options.activity().maxChannels());
    assertEquals(List.of(new HistoryRule("upstream.*.message", 1000, Duration.ofMinutes(5))), options.history());
  }

  @Test
  @DisplayName("every field is read, phases keep the file's order, history replaces the default list")
  void everyField() {
    StatusOptions options = read("""
        {"statusHistory": 50,
         "activity": {"phases": {"upload": {"start": "upload_begin", "end": "upload_done", "staleAfter": "2m"},
                                 "analysis": {"start": "analysis_start", "end": "analysis_end"}},
                      "forgetAfter": "30s", "maxChannels": 200},
         "history": [{"address": "homeassistant.*.event.state_changed", "maxMessages": 200, "maxAge": "1m"},
                     {"address": "market.market.trades.AAPL"}]}
        """);
    assertEquals(50, options.statusHistory());
    assertEquals(List.of(
        new ActivityPhase("upload", "upload_begin", "upload_done", Duration.ofMinutes(2)),
        new ActivityPhase("analysis", "analysis_start", "analysis_end", Duration.ofSeconds(60))), options.activity().phases());
    assertEquals(Duration.ofSeconds(30), options.activity().forgetAfter());
    assertEquals(200, options.activity().maxChannels());
    assertEquals(List.of(
        new HistoryRule("homeassistant.*.event.state_changed", 200, Duration.ofMinutes(1)),
        new HistoryRule("market.market.trades.AAPL", 1000, Duration.ofMinutes(5))), options.history());
    assertEquals(List.of(), read("{\"history\": []}").history(), "an empty list keeps no history");
  }

  @Test
  @DisplayName("a pattern's * stands for a listener name")
  void patterns() {
    HistoryRule rule = new HistoryRule("upstream.*.message", 10, Duration.ofMinutes(1));
    assertEquals("upstream.feed.message", rule.forListener("feed"));
    assertEquals(java.util.Optional.of("feed"), rule.listenerOf("upstream.feed.message"));
    assertEquals(java.util.Optional.empty(), rule.listenerOf("upstream.feed.send"));
    assertEquals(java.util.Optional.empty(), rule.listenerOf("upstream.a.b.message"));
    HistoryRule exact = new HistoryRule("custom.data", 10, Duration.ofMinutes(1));
    assertEquals("custom.data", exact.forListener("feed"));
  }

  @Test
  @DisplayName("bad values are refused with the field's path and what is wrong")
  void refusals() {
    assertEquals("status.colour: unknown field", refused("{\"colour\": 1}"));
    assertEquals("status.statusHistory: must be between 0 and 100000, not -1", refused("{\"statusHistory\": -1}"));
    assertEquals("status.statusHistory: must be between 0 and 100000, not 1000000", refused("{\"statusHistory\": 1000000}"));
    assertEquals("status.activity.maxChannels: must be between 1 and 10000000, not 0", refused("{\"activity\": {\"maxChannels\": 0}}"));
    assertEquals("status.activity.forgetAfter: must be longer than zero", refused("{\"activity\": {\"forgetAfter\": \"0s\"}}"));
    assertEquals("status.activity.phases: must name at least one phase", refused("{\"activity\": {\"phases\": {}}}"));
    assertEquals("status.activity.phases.thinking.end: is required",
        refused("{\"activity\": {\"phases\": {\"thinking\": {\"start\": \"a\"}}}}"));
    assertEquals("status.activity.phases.b.start: \"x\" is already used by status.activity.phases.a.end",
        refused("{\"activity\": {\"phases\": {\"a\": {\"start\": \"w\", \"end\": \"x\"}, \"b\": {\"start\": \"x\", \"end\": \"y\"}}}}"));
    assertEquals("status.activity.phases.a.start: is not a valid report type: use 1-100 letters, digits, '.', '_', ':' or '-'",
        refused("{\"activity\": {\"phases\": {\"a\": {\"start\": \"has space\", \"end\": \"y\"}}}}"));
    assertEquals("status.activity.phases.a.staleAfter: must be a duration such as 500ms, 30s or 5m (or a number of milliseconds), not soon",
        refused("{\"activity\": {\"phases\": {\"a\": {\"start\": \"s\", \"end\": \"e\", \"staleAfter\": \"soon\"}}}}"));
    assertEquals("status.activity.phases.a.stale: unknown field",
        refused("{\"activity\": {\"phases\": {\"a\": {\"start\": \"s\", \"end\": \"e\", \"stale\": \"5s\"}}}}"));
    assertEquals("status.history[0].address: is required", refused("{\"history\": [{}]}"));
    assertEquals("status.history[0].address: may have one '*' (it stands for a listener name), not 2",
        refused("{\"history\": [{\"address\": \"market.*.trades.*\"}]}"));
    assertEquals("status.history[0].address: '*' must be a whole segment (upstream.*.message), not part of one: \"upstream.a*.message\"",
        refused("{\"history\": [{\"address\": \"upstream.a*.message\"}]}"));
    assertEquals("status.history[0].address: has an empty segment: \"upstream..message\"",
        refused("{\"history\": [{\"address\": \"upstream..message\"}]}"));
    assertEquals("status.history[1].address: \"a.b\" is listed twice",
        refused("{\"history\": [{\"address\": \"a.b\"}, {\"address\": \"a.b\"}]}"));
    assertEquals("status.history[0].maxMessages: must be between 1 and 1000000, not 0",
        refused("{\"history\": [{\"address\": \"a.b\", \"maxMessages\": 0}]}"));
    assertEquals("status.history[0].maxAge: must be longer than zero",
        refused("{\"history\": [{\"address\": \"a.b\", \"maxAge\": 0}]}"));
    assertEquals("status.history[0].max: unknown field", refused("{\"history\": [{\"address\": \"a.b\", \"max\": 3}]}"));
    assertEquals("status.history: must be an array, not an object", refused("{\"history\": {}}"));
    assertEquals("status.activity: must be an object, not a number", refused("{\"activity\": 3}"));
  }
}
