package dev.switchboard.server.fanout;

import dev.switchboard.core.envelope.JsonEnvelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The frames the fan-out path writes, read back by Netty's own RFC 6455 decoder (the one a Vert.x client uses). */
class WebSocketFramesTest {
  private static final byte[] REC_PREFIX = "{\"type\":\"rec\",\"address\":\"upstream.feed.message\",\"body\":"
      .getBytes(StandardCharsets.UTF_8);

  @Test
  @DisplayName("a frame's header says its payload's length in each of the three sizes RFC 6455 has")
  void everyLengthEncoding() {
    for (int length : new int[] {0, 1, 125, 126, 127, 65_535, 65_536, 300_000}) {
      Buffer payload = Buffer.buffer("x".repeat(length));
      Buffer frame = WebSocketFrames.frame(WebSocketFrames.TEXT, payload);
      assertEquals(WebSocketFrames.headerSize(length) + length, frame.length(), "the frame's size, for " + length);
      assertEquals("x".repeat(length), decode(frame), "the payload read back, for " + length);
    }
  }

  @Test
  @DisplayName("an envelope's bridge frame and /subscribe frame read back as its JSON, whatever the data's size")
  void envelopeFrames() {
    for (int padding : new int[] {0, 60, 65_500, 70_000}) {
      Buffer data = new JsonObject().put("n", 7).put("pad", "p".repeat(padding)).toBuffer();
      JsonEnvelope envelope = new JsonEnvelope(41, 1_764_000_000_000L, "feed", "json", 3, data);
      Delivery delivery = Delivery.ofEnvelope("upstream.feed.message", REC_PREFIX, envelope);

      JsonObject bridge = new JsonObject(decode(delivery.frame()));
      assertEquals(new JsonObject().put("type", "rec").put("address", "upstream.feed.message")
          .put("body", envelope.toJsonObject()), bridge, "the bridge frame, data of " + data.length() + " bytes");
      assertEquals(bridge.encode(), new JsonObject(delivery.payload()).encode(), "the payload sliced out of the frame");
      assertEquals(envelope.toJsonObject(), new JsonObject(decode(delivery.envelopeFrame())), "the /subscribe frame");
      assertEquals(data.toString(), decode(delivery.dataFrame()), "the data alone, as it came");
    }
  }

  @Test
  @DisplayName("frames whose start outgrows the reused array, or any kept one, are whole, and the next short one too")
  void framesOfEveryStartLength() {
    Buffer data = new JsonObject().put("n", 1).toBuffer();
    for (int sourceLength : new int[] {4, 300, 5_000, 1_000, 4}) {
      JsonEnvelope envelope = new JsonEnvelope(sourceLength, 1, "s".repeat(sourceLength), "json", 0, data);
      Delivery delivery = Delivery.ofEnvelope("upstream.feed.message", REC_PREFIX, envelope);
      assertEquals(envelope.toJsonObject(), new JsonObject(decode(delivery.frame())).getJsonObject("body"),
          "a source of " + sourceLength + " characters");
      assertEquals(envelope.toJsonObject(), new JsonObject(decode(delivery.envelopeFrame())));
    }
  }

  @Test
  @DisplayName("an envelope's frames whose payload is exactly at each of RFC 6455's length boundaries")
  void envelopeFramesAtEveryLengthBoundary() {
    JsonEnvelope bare = envelopeWithPadding(0);
    int envelopeJson = bare.toBuffer().length(); // one more character of padding, one more byte
    int bridgeJson = REC_PREFIX.length + envelopeJson + 1;
    int hit = 0;
    for (int target : new int[] {125, 126, 65_535, 65_536}) {
      if (target >= envelopeJson) {
        Delivery d = Delivery.ofEnvelope("upstream.feed.message", REC_PREFIX, envelopeWithPadding(target - envelopeJson));
        String json = decode(d.envelopeFrame());
        assertEquals(target, json.getBytes(StandardCharsets.UTF_8).length, "the /subscribe frame's payload");
        assertEquals(envelopeWithPadding(target - envelopeJson).toJsonObject(), new JsonObject(json));
        hit++;
      }
      if (target >= bridgeJson) {
        JsonEnvelope envelope = envelopeWithPadding(target - bridgeJson);
        Delivery d = Delivery.ofEnvelope("upstream.feed.message", REC_PREFIX, envelope);
        String json = decode(d.frame());
        assertEquals(target, json.getBytes(StandardCharsets.UTF_8).length, "the bridge frame's payload");
        assertEquals(envelope.toJsonObject(), new JsonObject(json).getJsonObject("body"));
        assertEquals(json, d.payload().toString(), "the payload sliced out of the frame");
        hit++;
      }
    }
    assertEquals(8, hit, "every boundary, for both frames");
  }

  private static JsonEnvelope envelopeWithPadding(int padding) {
    // Short enough that even the bridge frame's payload can be 125 bytes.
    return new JsonEnvelope(1, 2, "f", "json", 0, Buffer.buffer("{\"p\":\"" + "p".repeat(padding) + "\"}"));
  }

  @Test
  @DisplayName("every form is its own copy, built once: several built before any is read are all whole")
  void formsBuiltBeforeAnyIsRead() {
    JsonEnvelope first = new JsonEnvelope(1, 2, "first", "json", 0, Buffer.buffer("{\"n\":1}"));
    JsonEnvelope second = new JsonEnvelope(300, 400, "second-source", "json", 5, Buffer.buffer("[2,2]"));
    Delivery a = Delivery.ofEnvelope("upstream.first.message", REC_PREFIX, first);
    Delivery b = Delivery.ofEnvelope("upstream.second.message", REC_PREFIX, second);
    List<Buffer> built = List.of(a.frame(), a.envelopeFrame(), a.dataFrame(), b.frame(), b.envelopeFrame(), b.dataFrame());
    assertEquals(first.toJsonObject(), new JsonObject(decode(built.get(0))).getJsonObject("body"));
    assertEquals(first.toJsonObject(), new JsonObject(decode(built.get(1))));
    assertEquals("{\"n\":1}", decode(built.get(2)));
    assertEquals(second.toJsonObject(), new JsonObject(decode(built.get(3))).getJsonObject("body"));
    assertEquals(second.toJsonObject(), new JsonObject(decode(built.get(4))));
    assertEquals("[2,2]", decode(built.get(5)));
    assertSame(a.frame(), a.frame(), "built once, then shared");
    assertSame(b.envelopeFrame(), b.envelopeFrame());
  }

  @Test
  @DisplayName("a null body and a string body: /subscribe clients get them as themselves, bridge clients in a bridge frame")
  void bodiesThatAreNotObjects() {
    Delivery nothing = Delivery.ofBody("a", REC_PREFIX, null);
    assertEquals("null", decode(nothing.envelopeFrame()));
    assertEquals("null", decode(nothing.dataFrame()));
    JsonObject bridge = new JsonObject(decode(nothing.frame()));
    assertTrue(bridge.containsKey("body") && bridge.getValue("body") == null, bridge.encode());
    Delivery text = Delivery.ofBody("a", REC_PREFIX, "plain");
    assertEquals("plain", decode(text.envelopeFrame()), "a string goes as it is, not quoted");
    assertEquals("plain", new JsonObject(decode(text.frame())).getString("body"));
  }

  @Test
  @DisplayName("a control frame is the same frame in every form, built once for every event loop")
  void controlFrames() {
    assertSame(Delivery.SERVER_PING.frame(), Delivery.SERVER_PING.envelopeFrame());
    assertSame(Delivery.SERVER_PING.frame(), Delivery.SERVER_PING.dataFrame());
    assertSame(Delivery.SOCKJS_HEARTBEAT.frame(), Delivery.SOCKJS_HEARTBEAT.envelopeFrame());
  }

  private static String decode(Buffer frame) {
    EmbeddedChannel channel = new EmbeddedChannel(new WebSocket08FrameDecoder(WebSocketDecoderConfig.newBuilder()
        .expectMaskedFrames(false).maxFramePayloadLength(1 << 20).build()));
    try {
      assertTrue(channel.writeInbound(Unpooled.wrappedBuffer(frame.getBytes())), "a whole frame decoded");
      TextWebSocketFrame text = channel.readInbound();
      try {
        assertTrue(text.isFinalFragment(), "a final frame");
        ByteBuf content = text.content();
        int length = content.readableBytes();
        assertEquals(WebSocketFrames.headerSize(length) + length, frame.length(), "nothing after the payload it declares");
        return content.toString(StandardCharsets.UTF_8);
      } finally {
        text.release();
      }
    } finally {
      channel.finishAndReleaseAll();
    }
  }
}
