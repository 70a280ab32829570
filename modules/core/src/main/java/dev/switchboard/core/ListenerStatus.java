package dev.switchboard.core;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * A listener's status: the one model used on REST, the event bus and the dashboard. The JSON field
 * names are those of the single-listener services this replaces, so that their runbooks still apply.
 *
 * @param active     the desired state ({@code is_active})
 * @param desiredPersisted false while the desired state could not be saved ({@code desired_persisted})
 * @param taskStatus none|running|completed|failed|cancelled: what became of the current deployment
 * @param kindFields the fields of the listener's kind, flattened into the JSON next to the common ones
 * @param owner      in a cluster, the node that runs the listener (null when none, and in a single process)
 * @param epoch      in a cluster, the owner's lease epoch: it only grows; 0 in a single process
 */
public record ListenerStatus(
    String name,
    String type,
    ListenerState state,
    boolean active,
    boolean desiredPersisted,
    String taskStatus,
    String websocketUrl,
    boolean autoStart,
    int attempt,
    Instant nextRetryAt,
    LastError lastError,
    Instant connectedSince,
    long deployments,
    long messagesIn,
    long messagesOut,
    long bytesIn,
    long malformed,
    Instant lastMessageAt,
    long rate1m,
    int connectedClients,
    JsonObject kindFields,
    String owner,
    long epoch) {

  public boolean running() {
    return state == ListenerState.CONNECTED;
  }

  public JsonObject toJson() {
    JsonObject json = kindFields == null ? new JsonObject() : kindFields.copy();
    return json
        .put("name", name)
        .put("type", type)
        .put("state", state.name())
        .put("is_active", active)
        .put("is_running", running())
        .put("desired_persisted", desiredPersisted)
        .put("task_status", taskStatus)
        .put("connection_status", state.connectionStatus())
        .put("websocket_url", websocketUrl)
        .put("auto_start", autoStart)
        .put("attempt", attempt)
        .put("next_retry_at", text(nextRetryAt))
        .put("last_error", lastError == null ? null : lastError.toJson())
        .put("connected_since", text(connectedSince))
        .put("deployments", deployments)
        .put("messages_in", messagesIn)
        .put("messages_out", messagesOut)
        .put("bytes_in", bytesIn)
        .put("malformed", malformed)
        .put("last_message_at", text(lastMessageAt))
        .put("rate_1m", rate1m)
        .put("connected_clients", connectedClients)
        .put("owner", owner)
        .put("epoch", epoch);
  }

  /** The same status, saying whether the desired state is saved: a command's answer, once its save is done. */
  public ListenerStatus withDesiredPersisted(boolean saved) {
    return new ListenerStatus(name, type, state, active, saved, taskStatus, websocketUrl, autoStart, attempt, nextRetryAt,
        lastError, connectedSince, deployments, messagesIn, messagesOut, bytesIn, malformed, lastMessageAt, rate1m,
        connectedClients, kindFields, owner, epoch);
  }

  /** The same status, with another state and owner: what a cluster node shows of a listener between owners. */
  public ListenerStatus unassigned(String why) {
    JsonObject fields = kindFields == null ? new JsonObject() : kindFields.copy();
    return new ListenerStatus(name, type, ListenerState.UNASSIGNED, active, desiredPersisted, taskStatus, websocketUrl, autoStart,
        0, null, lastError, null, deployments, messagesIn, messagesOut, bytesIn, malformed, lastMessageAt, 0, connectedClients,
        fields.put("unassigned_reason", why), null, epoch);
  }

  private static final java.util.Set<String> COMMON = java.util.Set.of(
      "name", "type", "state", "is_active", "is_running", "desired_persisted", "task_status", "connection_status", "websocket_url",
      "auto_start", "attempt", "next_retry_at", "last_error", "connected_since", "deployments", "messages_in",
      "messages_out", "bytes_in", "malformed", "last_message_at", "rate_1m", "connected_clients", "owner", "epoch");

  /** Whether every listener's status has a field of this name (a kind's own field may not take it). */
  public static boolean isCommonField(String name) {
    return COMMON.contains(name);
  }

  public static ListenerStatus fromJson(JsonObject json) {
    JsonObject kind = new JsonObject();
    json.forEach(e -> {
      if (!COMMON.contains(e.getKey())) {
        kind.put(e.getKey(), e.getValue());
      }
    });
    return new ListenerStatus(
        json.getString("name"),
        json.getString("type"),
        ListenerState.valueOf(json.getString("state")),
        json.getBoolean("is_active", false),
        json.getBoolean("desired_persisted", true),
        json.getString("task_status"),
        json.getString("websocket_url"),
        json.getBoolean("auto_start", false),
        json.getInteger("attempt", 0),
        instant(json.getString("next_retry_at")),
        LastError.fromJson(json.getJsonObject("last_error")),
        instant(json.getString("connected_since")),
        json.getLong("deployments", 0L),
        json.getLong("messages_in", 0L),
        json.getLong("messages_out", 0L),
        json.getLong("bytes_in", 0L),
        json.getLong("malformed", 0L),
        instant(json.getString("last_message_at")),
        json.getLong("rate_1m", 0L),
        json.getInteger("connected_clients", 0),
        kind,
        json.getString("owner"),
        json.getLong("epoch", 0L));
  }

  private static String text(Instant instant) {
    return instant == null ? null : instant.toString();
  }

  private static Instant instant(String text) {
    return text == null ? null : Instant.parse(text);
  }
}
