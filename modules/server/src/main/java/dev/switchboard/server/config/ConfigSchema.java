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
            .put("bridge", new JsonObject().put("type", "object").put("description", "the bridge's bounds: see docs/configuration.md")))
            .put("required", new JsonArray().add("controlToken")))
        .put("dataDir", typed("string", "where definitions, desired state and kind counters are kept (default ./data)"))
        .put("statusInterval", duration("how often changed counters are pushed (default 1s)"))
        .put("eventLoops", typed("integer", "how many event-loop threads run the listeners, the HTTP server and the bridge (1 to 1024; default 1, in a cluster twice the cores): see docs/performance.md"))
        .put("defaultListener", typed("string", "the listener /listener/start, /listener/stop and /listener/status act on; any listener name, defined in this file or at run time (404 while none has it)"))
        .put("listeners", new JsonObject().put("type", "array")
            .put("description", "the listeners defined on the first start; afterwards the data dir is the truth (see docs/configuration.md)")
            .put("items", kinds.listenerSchema()))
        .put("status", new JsonObject().put("type", "object").put("description", "the status fan-out: see docs/status.md"))
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

  private static JsonObject object(String description, JsonObject properties) {
    return new JsonObject().put("type", "object").put("description", description).put("properties", properties)
        .put("additionalProperties", false);
  }

  private static JsonObject duration(String description) {
    return new JsonObject().put("type", new JsonArray().add("string").add("integer")).put("pattern", ConfigField.DURATION_PATTERN)
        .put("description", description + "; a number is milliseconds");
  }

  private static JsonObject typed(String type, String description) {
    return new JsonObject().put("type", type).put("description", description);
  }
}
