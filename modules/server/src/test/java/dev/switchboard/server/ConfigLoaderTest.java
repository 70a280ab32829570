package dev.switchboard.server;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.Secrets;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.server.config.SwitchboardConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The config is refused at start with one message naming the field, for every kind of mistake. */
class ConfigLoaderTest {
  private static final Map<String, String> ENV = Map.of("TOKEN", "s3cret-control-token", "FEED_KEY", "k3y-from-env");

  private static JsonObject valid() {
    return new JsonObject()
        .put("http", new JsonObject().put("port", 8080).put("controlToken", "${TOKEN}"))
        .put("defaultListener", "feed")
        .put("listeners", new JsonArray().add(new JsonObject()
            .put("name", "feed").put("type", "upstream").put("autoStart", true)
            .put("url", "ws://127.0.0.1:1880/ws/x?key=${FEED_KEY}")
            .put("restart", new JsonObject().put("initialDelay", "250ms").put("maxDelay", "5s"))));
  }

  private static String refusal(Consumer<JsonObject> change) {
    JsonObject config = valid();
    change.accept(config);
    return assertThrows(ConfigException.class, () -> new ConfigLoader(ENV).parse(config)).getMessage();
  }

  private static JsonObject listener(JsonObject config) {
    return config.getJsonArray("listeners").getJsonObject(0);
  }

  @Test
  @DisplayName("a file that is not JSON is refused with where the mistake is, and one that is not an object says so")
  void fileNotJson(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path typo = java.nio.file.Files.writeString(dir.resolve("typo.json"), "{\"http\": {\"port\": 8080,\n  \"host\": tru}}");
    String refused = assertThrows(ConfigException.class, () -> new ConfigLoader(ENV).load(typo)).getMessage();
    assertTrue(refused.startsWith(typo + ": is not valid JSON: line 2, column 14: Unrecognized token 'tru'"), refused);
    assertFalse(refused.contains("Source"), "the parser's note on its source says nothing to the reader: " + refused);
    Path array = java.nio.file.Files.writeString(dir.resolve("array.json"), "[{\"http\": {}}]");
    assertEquals(array + ": must hold one JSON object ({ ... }), not an array",
        assertThrows(ConfigException.class, () -> new ConfigLoader(ENV).load(array)).getMessage());
  }

  @Test
  @DisplayName("a valid config is read with its defaults, placeholders resolved and their values kept secret")
  void validConfig() {
    SwitchboardConfig config = new ConfigLoader(ENV).parse(valid());
    assertEquals("127.0.0.1", config.http().host());
    assertEquals("s3cret-control-token", config.http().controlToken());
    assertEquals(Path.of("./data"), config.dataDir());
    assertEquals(1, config.eventLoops(), "one event loop unless the config asks for more");
    assertEquals(Duration.ofMillis(250), config.listeners().get(0).spec().policy().initialDelay());
    assertEquals(Duration.ofSeconds(30), config.listeners().get(0).spec().policy().resetAfter());
    assertEquals("ws://127.0.0.1:1880/ws/x?key=***", Secrets.global().redact(config.listeners().get(0).spec().url()));
    assertFalse(Secrets.global().redact("token s3cret-control-token").contains("s3cret"));
  }

  @Test
  @DisplayName("an unknown field is refused, at any depth")
  void unknownField() {
    assertEquals("listner: unknown field", refusal(c -> c.put("listner", 1)));
    assertEquals("listeners[0].restart.intialDelay: unknown field",
        refusal(c -> listener(c).getJsonObject("restart").put("intialDelay", "1s")));
    assertEquals("listeners[0].urll: unknown field", refusal(c -> listener(c).put("urll", "x")));
  }

  @Test
  @DisplayName("a wrong type is refused with what was expected")
  void wrongType() {
    assertEquals("http.port: must be a whole number, not a string", refusal(c -> c.getJsonObject("http").put("port", "8080")));
    assertEquals("listeners[0].autoStart: must be true or false, not a string", refusal(c -> listener(c).put("autoStart", "yes")));
    assertTrue(refusal(c -> listener(c).getJsonObject("restart").put("maxDelay", "soon")).startsWith("listeners[0].restart.maxDelay: must be a duration"));
  }

  @Test
  @DisplayName("eventLoops takes 1 to 1024 threads: 1 by default, Vert.x's default in a cluster")
  void eventLoops() {
    assertEquals(4, new ConfigLoader(ENV).parse(valid().put("eventLoops", 4)).eventLoops());
    assertEquals("eventLoops: must be between 1 and 1024, not 0", refusal(c -> c.put("eventLoops", 0)));
    JsonObject clustered = valid().put("cluster", new JsonObject().put("enabled", true).put("node", "a")
        .put("members", new JsonArray().add("127.0.0.1:5701")));
    assertEquals(io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE, new ConfigLoader(ENV).parse(clustered).eventLoops(),
        "a cluster node keeps Vert.x's default");
    assertEquals(2, new ConfigLoader(ENV).parse(clustered.put("eventLoops", 2)).eventLoops());
    assertEquals("eventLoops: must be a whole number, not a string", refusal(c -> c.put("eventLoops", "2")));
  }

  @Test
  @DisplayName("a data dir that cannot be written is refused at start with its path, not found at the first stop")
  void unwritableDataDir(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("a-file"), "x");
    String refused = refusal(c -> c.put("dataDir", file.resolve("data").toString()));
    assertTrue(refused.startsWith("dataDir: '" + file.resolve("data").toAbsolutePath() + "' cannot be written"), refused);
  }

  @Test
  @DisplayName("a missing environment variable is refused, naming the field and the variable")
  void missingVariable() {
    assertEquals("listeners[0].url: environment variable NOT_SET is not set",
        refusal(c -> listener(c).put("url", "ws://h/${NOT_SET}")));
    // Set to "" counts as unset, as the shell's ${VAR:-default} takes it: the default, or the same refusal.
    JsonObject empty = valid();
    listener(empty).put("url", "ws://h/${EMPTY}");
    assertEquals("listeners[0].url: environment variable EMPTY is not set",
        assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of("TOKEN", "s3cret-control-token", "EMPTY", "")).parse(empty)).getMessage());
    listener(empty).put("url", "ws://h/${EMPTY:-x}");
    assertEquals("ws://h/x", new ConfigLoader(Map.of("TOKEN", "s3cret-control-token", "EMPTY", "")).parse(empty).listeners().get(0).spec().url());
  }

  @Test
  @DisplayName("a bad URL is refused")
  void badUrl() {
    assertEquals("listeners[0].url: must be a ws:// or wss:// URL", refusal(c -> listener(c).put("url", "http://127.0.0.1/x")));
    assertTrue(refusal(c -> listener(c).put("url", "ws://bad host/x")).startsWith("listeners[0].url: is not a valid URL"));
    // The WebSocket client drops a user:password@ without a word: a login that never arrives.
    assertEquals("listeners[0].url: carries a user:password@, which the WebSocket client never sends; give credentials in the kind's own fields",
        refusal(c -> listener(c).put("url", "ws://user:${FEED_KEY}@127.0.0.1/x")));
    assertEquals("listeners[0].url: has port 0; a port is 1 to 65535", refusal(c -> listener(c).put("url", "ws://127.0.0.1:0/x")));
    // java.net.URI reads these as an authority without a host: the error says why, not "has no host".
    String noHost = "listeners[0].url: has no valid host[:port]: a host name is letters, digits, '-' and '.', a port 1 to 65535";
    assertEquals(noHost, refusal(c -> listener(c).put("url", "ws://node_red:1880/x")));
    assertEquals(noHost, refusal(c -> listener(c).put("url", "ws://127.0.0.1:-1/x")));
    assertEquals("listeners[0].url: has no host", refusal(c -> listener(c).put("url", "ws:///x")));
    // A scheme is case-insensitive: read as the lower-case one.
    JsonObject upper = valid();
    listener(upper).put("url", "WS://127.0.0.1:1880/x");
    assertEquals("ws://127.0.0.1:1880/x", new ConfigLoader(ENV).parse(upper).listeners().get(0).spec().url());
  }

  @Test
  @DisplayName("headers and sub-protocols are what HTTP can send: a bad one is refused, not retried forever")
  void headersAndSubprotocols() {
    assertEquals("listeners[0].headers: has \"Bad Header\\n\", which is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)",
        refusal(c -> listener(c).put("headers", new JsonObject().put("Bad Header\n", "v"))));
    assertEquals("listeners[0].headers.X-Key: must not hold line breaks or other control characters",
        refusal(c -> listener(c).put("headers", new JsonObject().put("X-Key", "a\r\nInjected: 1"))));
    assertEquals("listeners[0].subprotocols[1]: must be a token: letters, digits and !#$%&'*+-.^_`|~, no spaces or commas",
        refusal(c -> listener(c).put("subprotocols", new JsonArray().add("v1.json").add("a b"))));
    JsonObject fine = valid();
    listener(fine).put("headers", new JsonObject().put("Authorization", "Bearer a\tb ~!").put("X-Api_Key.2", ""))
        .put("subprotocols", new JsonArray().add("v1.json").add("mqtt"));
    new ConfigLoader(ENV).parse(fine);
  }

  @Test
  @DisplayName("onConnect is a secret: what placeholders put in it is redacted from logs, its literal words are not")
  void onConnectSecret() {
    JsonObject config = valid();
    listener(config).put("onConnect", new JsonArray().add("ping")
        .add(new JsonObject().put("action", "auth").put("key", "${FEED_KEY}")));
    new ConfigLoader(ENV).parse(config);
    assertEquals("sent ping and {\"key\":\"***\"}", Secrets.global().redact("sent ping and {\"key\":\"k3y-from-env\"}"));
  }

  @Test
  @DisplayName("names, types, references and required fields are checked")
  void references() {
    assertEquals("defaultListener: must be a listener name: 1 to 40 letters, digits, '-' or '_'", refusal(c -> c.put("defaultListener", "no.pe")));
    assertTrue(refusal(c -> listener(c).put("type", "mqtt")).startsWith("listeners[0].type: unknown listener type 'mqtt'; known: "));
    assertTrue(refusal(c -> listener(c).put("name", "has.dot")).startsWith("listeners[0].name: must be 1 to 40 letters"));
    // Both are read as written: to key the stored definition, and to find the fields to mask when it is shown.
    assertEquals("listeners[0].name: cannot be a placeholder (${...}): write it out",
        refusal(c -> listener(c).put("name", "${FEED_NAME:-feed}")));
    assertEquals("listeners[0].type: cannot be a placeholder (${...}): write it out",
        refusal(c -> listener(c).put("type", "${FEED_KIND:-upstream}")));
    assertEquals("listeners[1].name: duplicate listener name 'feed'",
        refusal(c -> c.getJsonArray("listeners").add(listener(c).copy())));
    assertEquals("http.controlToken: is required", refusal(c -> c.getJsonObject("http").remove("controlToken")));
    for (String token : new String[] {"a-long-enough-token\n", "pässwörd-of-mine", "two words token"}) {
      String refused = refusal(c -> c.getJsonObject("http").put("controlToken", token));
      assertTrue(refused.startsWith("http.controlToken: must be visible ASCII characters only"), refused);
      assertFalse(refused.contains(token.strip()), "the token is not in the message: " + refused);
    }
    assertTrue(refusal(c -> c.put("verticles", new JsonArray().add(new JsonObject().put("class", "no.such.Verticle"))))
        .startsWith("verticles[0].class: no class no.such.Verticle on the classpath"));
    assertTrue(refusal(c -> c.put("simulators", new JsonObject().put("mqtt", new JsonObject())))
        .startsWith("simulators.mqtt: unknown simulator"));
  }

  @Test
  @DisplayName("the HTTP timeouts, allowed hosts, allowed origins and connection bound have defaults, and are validated like every field")
  void httpHygiene() {
    SwitchboardConfig.Http http = new ConfigLoader(ENV).parse(valid()).http();
    assertEquals(Duration.ofSeconds(60), http.timeouts().idle());
    assertEquals(Duration.ofSeconds(30), http.timeouts().request());
    assertEquals(java.util.Set.of("localhost", "127.0.0.1", "[::1]"), http.allowedHosts().names());
    JsonObject custom = valid();
    custom.getJsonObject("http").put("idleTimeout", "2m").put("requestTimeout", 5000).put("allowedHosts", new JsonArray().add("sb.example.com"));
    SwitchboardConfig.Http set = new ConfigLoader(ENV).parse(custom).http();
    assertEquals(Duration.ofMinutes(2), set.timeouts().idle());
    assertEquals(Duration.ofSeconds(5), set.timeouts().request());
    assertEquals(java.util.Set.of("sb.example.com"), set.allowedHosts().names());

    assertEquals("http.idleTimeout: must be at least 1s, not 500ms", refusal(c -> c.getJsonObject("http").put("idleTimeout", "500ms")));
    assertTrue(refusal(c -> c.getJsonObject("http").put("requestTimeout", "soon")).startsWith("http.requestTimeout: must be a duration"));
    assertEquals("http.allowedHosts[0]: must be a non-empty string", refusal(c -> c.getJsonObject("http").put("allowedHosts", new JsonArray().add(8080))));
    assertTrue(refusal(c -> c.getJsonObject("http").put("allowedHosts", new JsonArray().add("https://sb.example.com")))
        .startsWith("http.allowedHosts[0]: must be a host name or an address"));
    assertEquals(java.util.Set.of(), http.allowedOrigins().listed(), "the server's own pages only");
    custom.getJsonObject("http").put("allowedOrigins", new JsonArray().add("https://app.example.com"));
    assertEquals(java.util.Set.of("https://app.example.com"), new ConfigLoader(ENV).parse(custom).http().allowedOrigins().listed());
    assertTrue(refusal(c -> c.getJsonObject("http").put("allowedOrigins", new JsonArray().add("app.example.com")))
        .startsWith("http.allowedOrigins[0]: must be an origin"));
    assertEquals(5_000, http.maxConnections());
    assertEquals("http.maxConnections: must be between 10 and 10000000, not 9", refusal(c -> c.getJsonObject("http").put("maxConnections", 9)));
  }

  @Test
  @DisplayName("the public demo token is accepted on loopback only; elsewhere it is refused naming http.controlToken")
  void publicDemoToken() {
    Map<String, String> noToken = Map.of("FEED_KEY", "k3y-from-env");
    JsonObject demo = valid();
    demo.getJsonObject("http").put("controlToken", "${SWITCHBOARD_TOKEN:-demo-control-token}");
    assertEquals("demo-control-token", new ConfigLoader(noToken).parse(demo).http().controlToken(), "on 127.0.0.1 (the default host)");
    demo.getJsonObject("http").put("host", "localhost");
    assertEquals("demo-control-token", new ConfigLoader(noToken).parse(demo).http().controlToken());

    for (String host : new String[] {"0.0.0.0", "192.168.1.20", "::", "switchboard.example.com"}) {
      demo.getJsonObject("http").put("host", host);
      ConfigException refused = assertThrows(ConfigException.class, () -> new ConfigLoader(noToken).parse(demo));
      assertTrue(refused.getMessage().startsWith("http.controlToken: is the public demo token, refused when http.host (" + host + ")"),
          refused.getMessage());
      assertTrue(refused.getMessage().contains("SWITCHBOARD_TOKEN"), refused.getMessage());
    }
    demo.getJsonObject("http").put("host", "0.0.0.0");
    assertEquals("a-token-of-my-own", new ConfigLoader(Map.of("SWITCHBOARD_TOKEN", "a-token-of-my-own", "FEED_KEY", "k3y-from-env")).parse(demo).http().controlToken(),
        "with SWITCHBOARD_TOKEN set, any host");
  }

  private static JsonObject cluster(JsonObject config) {
    JsonObject cluster = new JsonObject().put("enabled", true).put("node", "a").put("port", 5701)
        .put("members", new io.vertx.core.json.JsonArray().add("127.0.0.1:5701").add("127.0.0.1:5702").add("127.0.0.1:5703"));
    config.put("cluster", cluster);
    return cluster;
  }

  @Test
  @DisplayName("the cluster section: off by default; when on, every mistake names its field")
  void clusterSection() {
    assertFalse(new ConfigLoader(ENV).parse(valid()).cluster().enabled());
    JsonObject on = valid();
    cluster(on);
    var settings = new ConfigLoader(ENV).parse(on).cluster();
    assertEquals(2, settings.majority());
    assertEquals(Duration.ofSeconds(12), settings.lease().duration());
    assertEquals(Duration.ofSeconds(8), settings.lease().renewDeadline());
    assertEquals(settings.lease().renewDeadline(), settings.silentMemberWait(), "the defaults ride out a silent member");
    // The silence limit: maxSilence less a heartbeat, at least three heartbeats, at most renewDeadline and a heartbeat.
    assertEquals(Duration.ofSeconds(4), settings.majoritySilenceLimit());
    JsonObject shortSilence = valid();
    cluster(shortSilence).put("maxSilence", "2s");
    assertEquals(Duration.ofSeconds(3), new ConfigLoader(ENV).parse(shortSilence).cluster().majoritySilenceLimit());
    JsonObject longSilence = valid();
    cluster(longSilence).put("maxSilence", "15s").put("lease", new JsonObject().put("duration", "17s"));
    assertEquals(Duration.ofSeconds(9), new ConfigLoader(ENV).parse(longSilence).cluster().majoritySilenceLimit());
    assertEquals("cluster.node: is required", refusal(c -> cluster(c).remove("node")));
    assertEquals("cluster.host: must be an IPv4 address or a host name; IPv6 is not supported, not \"::1\"",
        refusal(c -> cluster(c).put("host", "::1")));
    assertEquals("cluster.node: must be 1 to 40 letters, digits, '-' or '_'", refusal(c -> cluster(c).put("node", "a b")));
    assertTrue(refusal(c -> cluster(c).remove("members")).startsWith("cluster.members: is required"));
    assertEquals("cluster.members[1]: must be \"host:port\" (one port, no range), not \"127.0.0.1:5702-5703\"",
        refusal(c -> cluster(c).getJsonArray("members").set(1, "127.0.0.1:5702-5703")));
    assertTrue(refusal(c -> cluster(c).put("port", 5799)).startsWith("cluster.members: must list this node itself as \"127.0.0.1:5799\""));
    assertTrue(refusal(c -> cluster(c).put("lease", new JsonObject().put("renewDeadline", "1500ms")))
        .startsWith("cluster.lease.renewDeadline: must be at least twice renewInterval"));
    assertTrue(refusal(c -> cluster(c).put("lease", new JsonObject().put("duration", "5s")))
        .startsWith("cluster.lease.duration: must be longer than maxSilence (5 s)"));
    assertEquals("cluster.lease.duration: must be longer than renewDeadline + heartbeat + 2 x renewInterval (11 s): an owner that is "
        + "frozen, or cut off from the others, must have stopped by itself before another node can take its lease",
        refusal(c -> cluster(c).put("maxSilence", "2s").put("lease", new JsonObject().put("duration", "7s"))));
    assertTrue(refusal(c -> cluster(c).put("maxSilence", "2s").put("lease", new JsonObject().put("renewInterval", "250ms")
        .put("renewDeadline", "2s").put("duration", "3500ms"))).contains("(3.5 s)"));
    assertEquals("cluster.lease.renewDeadline: must be at least twice heartbeat (2 s): one late heartbeat must not stop a listener",
        refusal(c -> cluster(c).put("heartbeat", "2s").put("lease", new JsonObject().put("renewDeadline", "3s"))));
    assertTrue(refusal(c -> cluster(c).put("heartbeat", "1500ms")).startsWith("cluster.heartbeat: must be a whole number of seconds"));
    assertEquals("cluster.leese: unknown field", refusal(c -> cluster(c).put("leese", 1)));
  }
}
