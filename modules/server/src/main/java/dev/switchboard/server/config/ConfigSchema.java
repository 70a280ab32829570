package dev.switchboard.server.config;

import dev.switchboard.core.ConfigField;
import dev.switchboard.core.ListenerKinds;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A JSON Schema of the config file, for editors and CI. Its {@code listeners} part is made from the
 * kinds' own field declarations (the source of their validation); the sections of the process itself
 * are described here, their full rules being in docs/configuration.md.
 * {@code java -jar switchboard.jar --schema} prints it; docs/switchboard.schema.json is its output.
 */
public final class ConfigSchema {
  private ConfigSchema() {
  }

  public static JsonObject of(ListenerKinds kinds) {
    JsonObject properties = new JsonObject()
        .put("http", object("the HTTP server, the control token and the bridge", new JsonObject()
            .put("host", typed("string", "the address the HTTP server binds (default 127.0.0.1)"))
            .put("port", typed("integer", "its port (default 8080; 0: any free port)"))
            .put("controlToken", typed("string", "the token every control action needs (8+ characters); put it in the environment"))
            .put("idleTimeout", duration("a connection with no traffic for this long is closed (default 60s, at least 1s)"))
            .put("requestTimeout", duration("a request's headers must arrive within this, and its body within this again (default 30s, at least 1s)"))
            .put("maxConnections", typed("integer", "the most connections open at once (10 or more; default 5000); past it a new one is closed at once. The bridge's clients (WebSockets, /subscribe, SockJS sessions) may take all but a tenth of them"))
            .put("allowedHosts", new JsonObject().put("type", "array").put("items", new JsonObject().put("type", "string"))
                .put("description", "the names accepted in the Host header, any port (default: localhost, 127.0.0.1, [::1] and host; \"*\": any)"))
            .put("allowedOrigins", new JsonObject().put("type", "array").put("items", new JsonObject().put("type", "string"))
                .put("description", "origins (scheme://host[:port]) whose pages may use the bridge besides the server's own (default: none; \"*\": any)"))
            .put("bridge", bridge()))
            .put("required", new JsonArray().add("controlToken")))
        .put("dataDir", typed("string", "where definitions, desired state and kind counters are kept (default ./data)"))
        .put("statusInterval", duration("how often changed counters are pushed (default 1s)"))
        .put("eventLoops", typed("integer", "how many event-loop threads run the listeners, the HTTP server and the bridge (1 to 1024; default 1, in a cluster twice the cores): see docs/performance.md"))
        .put("defaultListener", typed("string", "the listener /listener/start, /listener/stop and /listener/status act on; any listener name, defined in this file or at run time (404 while none has it)"))
        .put("listeners", new JsonObject().put("type", "array")
            .put("description", "the listeners defined on the first start; afterwards the data dir is the truth (see docs/configuration.md)")
            .put("items", kinds.listenerSchema()))
        .put("status", status())
        .put("logging", object("the log: one line an event", new JsonObject()
            .put("format", new JsonObject().put("enum", new JsonArray().add("text").add("json"))
                .put("description", "text (default): ISO 8601 time, level, source, message; json: one JSON object a line"))
            .put("level", new JsonObject().put("type", "object").put("additionalProperties", new JsonObject().put("type", "string"))
                .put("description", "a level per logger name (\"root\" for every logger): TRACE, DEBUG, INFO, WARN, ERROR, OFF"))))
        .put("cluster", object("the cluster this node joins (off by default): see docs/cluster.md", new JsonObject()
            .put("enabled", typed("boolean", "true to join a cluster (default false)"))
            .put("node", typed("string", "this node's name, unique in the cluster (1 to 40 letters, digits, '-' or '_')"))
            .put("name", typed("string", "the cluster's name: nodes with another name never join it (default switchboard)"))
            .put("host", typed("string", "the interface Hazelcast binds and advertises: an IPv4 address or a host name (default 127.0.0.1)"))
            .put("port", typed("integer", "Hazelcast's member port (default 5701)"))
            .put("members", new JsonObject().put("type", "array").put("items", new JsonObject().put("type", "string"))
                .put("description", "every Switchboard node's \"host:port\", this one included: a majority of them must be present"))
            .put("eventBus", object("where the event bus listens for other nodes", new JsonObject()
                .put("host", typed("string", "default: cluster.host"))
                .put("port", typed("integer", "default 0: any free port, advertised through the cluster"))))
            .put("lease", object("ownership timing", new JsonObject()
                .put("renewInterval", duration("how often an owner renews its leases (default 1s)"))
                .put("renewDeadline", duration("an owner that could not renew for this long stops the listener (default 8s); at least twice"
                    + " heartbeat; below maxSilence + heartbeat + 2 x renewInterval, a node that stops answering stops other nodes'"
                    + " listeners whose leases it keeps (a warning at start)"))
                .put("duration", duration("how long a lease must look abandoned before another node takes it (default 12s); longer than"
                    + " renewDeadline + heartbeat + 2 x renewInterval, and than maxSilence"))))
            .put("heartbeat", duration("how often members say they are alive, whole seconds (default 1s); a node not heard from"
                + " for three heartbeats no longer counts toward the majority"))
            .put("maxSilence", duration("a member silent for this long is removed, whole seconds (default 5s)"))
            .put("rebalanceAfter", duration("a connection up this long moves to a node that joined and ranks first (default 60s)"))))
        .put("simulators", new JsonObject().put("type", "object").put("description", "in-process simulators to start first (the demo)"))
        .put("verticles", new JsonObject().put("type", "array").put("description", "your own verticles, deployed beside the listeners")
            .put("items", object("one verticle", new JsonObject()
                .put("class", typed("string", "the class name, on the classpath"))
                .put("config", new JsonObject().put("type", "object").put("description", "its config()"))
                .put("instances", typed("integer", "how many instances (1 to 64)")))
                .put("required", new JsonArray().add("class"))));
    return object("Switchboard configuration", properties)
        .put("$schema", "https://json-schema.org/draft/2020-12/schema")
        .put("title", "Switchboard configuration")
        .put("required", new JsonArray().add("http"));
  }

  /** {@code http.bridge}: its keys are BridgeOptions.from's (a test compares them). */
  static JsonObject bridge() {
    return object("the bridge's bounds, on every transport and /subscribe: see docs/configuration.md", new JsonObject()
        .put("pingTimeout", duration("a WebSocket client is pinged every third of it, and closed when nothing came from it for this long,"
            + " not even a pong, or when a message it began did not arrive whole within it (default 60s, at least 10s)"))
        .put("maxHandlersPerSocket", typed("integer", "registrations plus pending replies per bridge socket (1 to 100000; default 500)"))
        .put("maxMessageSize", typed("integer", "the largest message a browser may send; a larger one closes its socket"
            + " (1024 to 16777216; default 65536)"))
        .put("replyTimeout", duration("how long a browser's request waits for its reply (default 30s)"))
        .put("maxQueuedBytes", typed("integer", "bytes queued for one WebSocket client before slowClients applies"
            + " (16384 to 1073741824; default 4194304)"))
        .put("slowClients", new JsonObject().put("enum", new JsonArray().add("disconnect").add("conflate"))
            .put("description", "disconnect (default): close a client whose queue is full with 4001; conflate: keep it,"
                + " dropping its older queued messages (same address first), and telling it what it lost on switchboard.bridge.dropped"
                + " when it registered there")));
  }

  /** {@code status}: its keys are StatusOptions.from's, ActivityOptions.from's and HistoryRule.from's (a test compares them). */
  static JsonObject status() {
    JsonObject phase = object("one phase: the flag it sets", new JsonObject()
        .put("start", typed("string", "the report type that sets the flag (unique across phases)"))
        .put("end", typed("string", "the report type that clears it (unique across phases)"))
        .put("staleAfter", duration("a flag set this long is cleared by itself, as stale (default 60s)")))
        .put("required", new JsonArray().add("start").add("end"));
    JsonObject rule = object("the envelopes kept for one address", new JsonObject()
        .put("address", typed("string", "exact, or with one '*' segment that stands for a listener name (upstream.*.message)"))
        .put("maxMessages", typed("integer", "the most envelopes kept (1 to 1000000; default 1000)"))
        .put("maxAge", duration("none older than this is kept (default 5m)")))
        .put("required", new JsonArray().add("address"));
    return object("the status fan-out, activity channels and the history of data addresses: see docs/status.md", new JsonObject()
        .put("statusHistory", typed("integer", "status deltas kept for clients that resync (0 to 100000; default 1000)"))
        .put("activity", object("activity channels", new JsonObject()
            .put("phases", new JsonObject().put("type", "object").put("additionalProperties", phase)
                .put("description", "the flags by name, in the order they are shown; when given, it replaces the default"
                    + " phases (thinking, extraction, summary) as a whole"))
            .put("forgetAfter", duration("how long a channel with no flag set is remembered (default 10m)"))
            .put("maxChannels", typed("integer", "the most channels kept (1 to 10000000; default 10000)"))))
        .put("history", new JsonObject().put("type", "array").put("items", rule)
            .put("description", "the addresses whose envelopes are kept; when given, it replaces the default"
                + " (upstream.*.message, 1000 messages, 5m); [] keeps none")));
  }

  private static JsonObject object(String description, JsonObject properties) {
    return new JsonObject().put("type", "object").put("description", description).put("properties", properties)
        .put("additionalProperties", false);
  }

  private static JsonObject duration(String description) {
    return new JsonObject().put("type", new JsonArray().add("string").add("integer")).put("pattern", ConfigField.DURATION_PATTERN)
        .put("minimum", 0).put("description", description + "; a number is milliseconds");
  }

  private static JsonObject typed(String type, String description) {
    return new JsonObject().put("type", type).put("description", description);
  }
}
