package dev.switchboard.simulators.homeassistant;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Objects;

/**
 * The compressed state format of {@code subscribe_entities}: {@code s, a, c, lc, lu} for a whole
 * state, and {@code +}/{@code -} diffs for a change (core.py {@code as_compressed_state},
 * messages.py {@code _state_diff}).
 */
final class CompressedStates {
  private CompressedStates() {
  }

  static JsonObject of(EntityState state) {
    JsonObject out = new JsonObject()
        .put("s", state.state)
        .put("a", state.attributes);
    JsonObject ctx = state.context;
    boolean bareId = ctx.getValue("parent_id") == null && ctx.getValue("user_id") == null;
    out.put("c", bareId ? ctx.getString("id") : ctx);
    out.put("lc", HaTime.epochSeconds(state.lastChanged));
    if (!state.lastUpdated.equals(state.lastChanged)) {
      out.put("lu", HaTime.epochSeconds(state.lastUpdated));
    }
    return out;
  }

  /** {@code {"+": {...}, "-": {"a": [...]}}} for one entity; {@code "-"} only when attributes went away. */
  static JsonObject diff(EntityState old, EntityState now) {
    JsonObject additions = new JsonObject();
    JsonObject diff = new JsonObject().put("+", additions);
    if (!old.state.equals(now.state)) {
      additions.put("s", now.state);
    }
    if (!old.lastChanged.equals(now.lastChanged)) {
      additions.put("lc", HaTime.epochSeconds(now.lastChanged));
    } else if (!old.lastUpdated.equals(now.lastUpdated)) {
      additions.put("lu", HaTime.epochSeconds(now.lastUpdated));
    }
    JsonObject oldCtx = old.context;
    JsonObject newCtx = now.context;
    JsonObject ctxChange = null;
    if (!Objects.equals(oldCtx.getValue("parent_id"), newCtx.getValue("parent_id"))) {
      ctxChange = new JsonObject().put("parent_id", newCtx.getValue("parent_id"));
    }
    if (!Objects.equals(oldCtx.getValue("user_id"), newCtx.getValue("user_id"))) {
      ctxChange = (ctxChange == null ? new JsonObject() : ctxChange).put("user_id", newCtx.getValue("user_id"));
    }
    if (!Objects.equals(oldCtx.getValue("id"), newCtx.getValue("id"))) {
      if (ctxChange == null) {
        additions.put("c", newCtx.getString("id"));
      } else {
        ctxChange.put("id", newCtx.getString("id"));
      }
    }
    if (ctxChange != null) {
      additions.put("c", ctxChange);
    }
    if (!old.attributes.equals(now.attributes)) {
      JsonObject changed = new JsonObject();
      now.attributes.forEach(e -> {
        if (!Objects.equals(old.attributes.getValue(e.getKey()), e.getValue())) {
          changed.put(e.getKey(), e.getValue());
        }
      });
      if (!changed.isEmpty()) {
        additions.put("a", changed);
      }
      JsonArray removed = new JsonArray();
      old.attributes.fieldNames().stream().filter(k -> !now.attributes.containsKey(k)).forEach(removed::add);
      if (!removed.isEmpty()) {
        diff.put("-", new JsonObject().put("a", removed));
      }
    }
    return diff;
  }
}
