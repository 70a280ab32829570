package dev.switchboard.core.envelope;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A published {@link JsonEnvelope} is, to every consumer, the JsonObject envelope the listener used to publish. */
class JsonEnvelopeTest {
  private static final String DATA = "{ \"entity\": \"sensor.a\", \"value\": 21.5, \"tags\": [1, 2, {\"x\": null}], \"ok\": true }";
  private Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    JsonEnvelopeCodec.register(vertx);
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static JsonEnvelope envelope(String data) {
    return new JsonEnvelope(7, 1_700_000_000_000L, "feed", "json", 0, Buffer.buffer(data));
  }

  /** What FeedListener published before: an envelope JsonObject with the data parsed. */
  private static JsonObject expected(String data) {
    Object parsed = data.stripLeading().startsWith("{") ? new JsonObject(data) : new JsonArray(data);
    return new JsonObject().put("seq", 7L).put("ts", 1_700_000_000_000L).put("source", "feed").put("type", "json").put("data", parsed);
  }

  @Test
  void inAClusterTheEnvelopeCarriesItsOwnersEpochAfterItsType() {
    String data = "{\"a\":1}";
    JsonEnvelope clustered = new JsonEnvelope(7, 1_700_000_000_000L, "feed", "json", 3, Buffer.buffer(data));
    assertEquals("{\"seq\":7,\"ts\":1700000000000,\"source\":\"feed\",\"type\":\"json\",\"epoch\":3,\"data\":{\"a\":1}}",
        clustered.toBuffer().toString());
    JsonObject view = new JsonEnvelopeCodec().transform(clustered);
    assertEquals(3L, view.getValue("epoch"));
    assertEquals(expected(data).put("epoch", 3L), view.copy());
    assertEquals(clustered.toBuffer().toJsonObject(), new JsonEnvelopeCodec().decodeFromWire(0, wire(clustered)));
    assertEquals(null, envelope(data).toJsonObject().getValue("epoch"), "a single process's envelope has no epoch");
  }

  @Test
  void onTheWireItIsAJsonObjectAnyVertxDecodes() {
    String data = "[1,2,3]";
    JsonEnvelope e = new JsonEnvelope(7, 1_700_000_000_000L, "feed", "json", 2, Buffer.buffer(data));
    io.vertx.core.eventbus.MessageCodec<JsonObject, JsonObject> jsonCodec = new io.vertx.core.eventbus.impl.codecs.JsonObjectMessageCodec();
    // What the JsonObject codec reads from the wire is the envelope: a process without Switchboard's codec decodes it.
    assertEquals(e.toBuffer().toJsonObject(), jsonCodec.decodeFromWire(0, wire(e)));
    // Until registered the codec claims no system id (Vert.x would refuse it); ExampleConsumerProcessTest proves the wire.
    assertEquals(-1, new JsonEnvelopeCodec().systemCodecID());
    JsonEnvelopeCodec.register(vertx);
    vertx.eventBus().publish("anywhere", e); // registered as the default codec of JsonEnvelope, once
  }

  private static Buffer wire(JsonEnvelope envelope) {
    Buffer out = Buffer.buffer();
    new JsonEnvelopeCodec().encodeToWire(out, envelope);
    return out;
  }

  @Test
  void everyConsumerGetsItsOwnEnvelopeEqualToTheParsedOne() throws Exception {
    List<JsonObject> received = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> both = new CompletableFuture<>();
    for (int i = 0; i < 2; i++) {
      vertx.eventBus().<JsonObject>consumer("upstream.feed.message", msg -> {
        received.add(msg.body());
        if (received.size() == 2) {
          both.complete(null);
        }
      }).completion().await(5, TimeUnit.SECONDS);
    }
    vertx.eventBus().publish("upstream.feed.message", envelope(DATA));
    both.get(5, TimeUnit.SECONDS);

    JsonObject first = received.get(0);
    JsonObject second = received.get(1);
    assertEquals(7L, first.getLong("seq"));
    assertEquals("feed", first.getString("source"));
    assertNotNull(EnvelopeView.untouched(first), "reading the head leaves the upstream's bytes usable");
    assertEquals(expected(DATA), first);
    assertNull(EnvelopeView.untouched(first), "once the data was read, the bytes are not used any more");
    assertEquals(expected(DATA).encode(), first.encode(), "the same JSON, field for field, in the same order");

    first.getJsonObject("data").put("value", 99);
    assertEquals(21.5, second.getJsonObject("data").getDouble("value"), "one consumer's change is not another's");
    assertEquals(List.of("seq", "ts", "source", "type", "data"), List.copyOf(second.copy().fieldNames()), "a copy keeps the order");
  }

  @Test
  void anUntouchedEnvelopeEncodesToTheSameShapeWithTheUpstreamsBytes() {
    JsonObject view = new JsonEnvelopeCodec().transform(envelope(DATA));
    Buffer raw = EnvelopeView.appendJson(view, Buffer.buffer());
    assertEquals("{\"seq\":7,\"ts\":1700000000000,\"source\":\"feed\",\"type\":\"json\",\"data\":" + DATA + "}", raw.toString());
    assertEquals(expected(DATA), new JsonObject(raw));
  }

  @Test
  void numbersOfEveryLengthAreWrittenAsJacksonWritesThem() {
    for (long n : new long[] {0, 9, 10, 99, 100, 12_345, 1_700_000_000_000L, Long.MAX_VALUE}) {
      JsonEnvelope e = new JsonEnvelope(n, n, "feed", "json", n, Buffer.buffer(DATA));
      assertEquals(e.toJsonObject().encode(), new JsonObject(e.toBuffer()).encode(), "for " + n);
      assertHeadFits(e, "for " + n);
      assertEquals("{\"seq\":" + n + ",\"ts\":" + n + ",", e.toBuffer().getString(0, 2 * String.valueOf(n).length() + 14));
    }
  }

  @Test
  void negativeNumbersAndAMissingSourceAreWrittenAsTheViewHasThem() {
    for (long n : new long[] {-1, -10, Long.MIN_VALUE}) {
      JsonEnvelope e = new JsonEnvelope(n, n, null, null, n, Buffer.buffer(DATA));
      assertEquals(e.toJsonObject().encode(), new JsonObject(e.toBuffer()).encode(), "for " + n);
      assertEquals(e.toJsonObject(), new JsonEnvelopeCodec().transform(e), "the view, for " + n);
      assertHeadFits(e, "for " + n);
    }
  }

  /**
   * writeHead fills exactly headLength() bytes (an array of that size: writing past it throws), and they are the
   * envelope's JSON up to its data.
   */
  private static void assertHeadFits(JsonEnvelope e, String what) {
    byte[] head = new byte[e.headLength()];
    assertEquals(head.length, e.writeHead(head, 0), "the head's length, " + what);
    assertEquals(e.toBuffer().getString(0, head.length, "UTF-8"), new String(head, StandardCharsets.UTF_8),
        "the head's bytes, " + what);
  }

  @Test
  void arraysAndSourcesThatNeedEscapingToo() {
    String data = "[1,\"two\",{\"3\":[]}]";
    JsonEnvelope odd = new JsonEnvelope(1, 2, "a \"quoted\" é", "json", 0, Buffer.buffer(data));
    JsonObject parsed = new JsonObject(odd.toBuffer());
    assertEquals("a \"quoted\" é", parsed.getString("source"));
    assertHeadFits(odd, "escapes and all");
    assertEquals(new JsonArray(data), parsed.getJsonArray("data"));
    assertEquals(odd.toJsonObject(), new JsonEnvelopeCodec().transform(odd));
  }

  @Test
  void everyMapOperationSeesTheWholeEnvelope() {
    JsonObject view = new JsonEnvelopeCodec().transform(envelope(DATA));
    assertEquals(5, view.size());
    assertTrue(view.containsKey("data"));
    assertFalse(view.containsKey("nope"));
    Map<String, Object> map = view.getMap();
    assertEquals(expected(DATA).getMap().keySet(), map.keySet());
    assertEquals("feed", map.getOrDefault("source", "x"));
    view.remove("ts");
    view.put("extra", 1);
    assertEquals(List.of("seq", "source", "type", "data", "extra"), List.copyOf(view.fieldNames()));
  }

  @Test
  void theWireFormIsAnOrdinaryEnvelope() {
    JsonEnvelopeCodec codec = new JsonEnvelopeCodec();
    Buffer wire = Buffer.buffer("xyz");
    codec.encodeToWire(wire, envelope(DATA));
    assertEquals(expected(DATA), codec.decodeFromWire(3, wire));
  }

  @Test
  void strictJsonAcceptsExactlyWhatVertxAcceptsButComments() {
    List<String> texts = List.of(
        "{}", "[]", " {\"a\":1} ", "[1,2,3]", "{\"a\":{\"b\":[true,false,null,-1.5e3,\"\\u00e9\\n\"]}}", "{\"a\":1,\"a\":2}", "{\"é\":\"ü€😀\"}",
        "{\"n\":" + "9".repeat(900) + "}",
        "{", "{\"a\":1", "{\"a\":1}}", "{\"a\":1} x", "{\"a\":1}{\"b\":2}", "{\"a\":1} t", "{\"a\":1} 1", "{\"a\":1} \"x", "[1] [", " \n\t", "", "{\"a\":tru}", "{\"a\":01}", "{\"a\":1,}", "[1,]",
        "{'a':1}", "{a:1}", "{\"a\":\"tab\there\"}", "{\"a\":\"\\x\"}", "{\"a\":NaN}", "{\"n\":" + "9".repeat(1_001) + "}",
        "[" + "[".repeat(1_100) + "]".repeat(1_100) + "]");
    // One checker for all of them, as a listener has: a text after a refused one, and after an accepted
    // one, is judged on its own. Then a fresh checker for each, and each inside a larger array.
    StrictJson oneForAll = new StrictJson();
    for (int pass = 0; pass < 2; pass++) {
      for (String text : texts) {
        boolean vertx = vertxAccepts(text);
        String shown = text.length() > 60 ? text.substring(0, 60) + "..." : text;
        assertEquals(vertx, oneForAll.isPlainContainer(Buffer.buffer(text)), "in sequence, pass " + pass + ": " + shown);
        assertEquals(vertx, new StrictJson().isPlainContainer(Buffer.buffer(text)), shown);
        Buffer padded = Buffer.buffer("[[" + text + "]]"); // the bytes inside a larger array, as a frame's often are
        assertEquals(vertx, oneForAll.isPlainContainer(padded.slice(2, padded.length() - 2)), "a slice of " + shown);
      }
    }
    String commented = "{\"a\":1 /* a comment */}";
    assertTrue(vertxAccepts(commented), "Vert.x's parser takes comments");
    assertFalse(oneForAll.isPlainContainer(Buffer.buffer(commented)), "but a comment is not forwarded as it is");
  }

  private static boolean vertxAccepts(String text) {
    try {
      Object ignored = text.stripLeading().startsWith("{") ? new JsonObject(text) : new JsonArray(text);
      return true;
    } catch (DecodeException | ClassCastException e) {
      return false;
    }
  }
}
