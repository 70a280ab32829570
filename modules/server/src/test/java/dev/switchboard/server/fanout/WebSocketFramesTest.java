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

import static org.junit.jupiter.api.Assertions.assertEquals;
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
