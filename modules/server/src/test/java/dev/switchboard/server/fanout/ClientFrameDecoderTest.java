package dev.switchboard.server.fanout;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Client frames as a socket hands them over: split anywhere, however small the pieces. */
class ClientFrameDecoderTest {
  /** A final, masked binary frame of {@code payload}. */
  private static Buffer maskedFrame(byte[] payload) {
    return maskedFrame(true, 0x2, payload);
  }

  private static Buffer maskedFrame(boolean fin, int opcode, byte[] payload) {
    byte[] mask = {0x11, 0x22, 0x33, 0x44};
    Buffer frame = Buffer.buffer().appendByte((byte) ((fin ? 0x80 : 0) | opcode)).appendByte((byte) (0x80 | 127)).appendLong(payload.length)
        .appendBytes(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.appendByte((byte) (payload[i] ^ mask[i & 3]));
    }
    return frame;
  }

  @Test
  void aFrameSentOneByteAtATimeIsReadInLinearTime() {
    byte[] payload = new byte[1 << 20];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) i;
    }
    Buffer frame = maskedFrame(payload);
    List<Buffer> got = new ArrayList<>();
    ClientFrameDecoder decoder = new ClientFrameDecoder(2 << 20, (opcode, message) -> got.add(message));
    // Copying what waits on every read took minutes here (0.5 TB copied); appending takes well under a second.
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
      for (int i = 0; i < frame.length(); i++) {
        decoder.feed(frame.getBuffer(i, i + 1), i);
      }
    });
    assertEquals(1, got.size());
    assertArrayEquals(payload, got.get(0).getBytes());
  }

  @Test
  @DisplayName("a message not yet whole is counted from its first byte: control frames between its pieces do not restart the count,"
      + " a whole message does")
  void unfinishedIsCountedFromTheMessagesFirstByte() {
    List<Integer> got = new ArrayList<>();
    ClientFrameDecoder decoder = new ClientFrameDecoder(1 << 16, (opcode, message) -> got.add(opcode));
    Buffer first = maskedFrame(false, WebSocketFrames.TEXT, "{\"type\":".getBytes(StandardCharsets.UTF_8));
    Buffer pong = maskedFrame(true, WebSocketFrames.PONG, new byte[0]);
    Buffer last = maskedFrame(true, WebSocketFrames.CONTINUATION, "\"ping\"}".getBytes(StandardCharsets.UTF_8));

    decoder.feed(first.getBuffer(0, 5), 10);
    assertEquals(5, decoder.unfinishedBytes(), "a part frame");
    assertEquals(10, decoder.unfinishedSince());
    decoder.feed(first.getBuffer(5, first.length()), 20);
    assertEquals(8, decoder.unfinishedBytes(), "the first piece of a fragmented message");
    assertEquals(10, decoder.unfinishedSince(), "still the same message");
    decoder.feed(pong, 30);
    assertEquals(List.of(WebSocketFrames.PONG), got);
    assertEquals(10, decoder.unfinishedSince(), "a pong between the pieces is no progress on the message");

    // The last piece, and the start of the next message in the same read: that one is counted from now.
    decoder.feed(last.copy().appendBuffer(first.getBuffer(0, 3)), 40);
    assertEquals(List.of(WebSocketFrames.PONG, WebSocketFrames.TEXT), got);
    assertEquals(3, decoder.unfinishedBytes());
    assertEquals(40, decoder.unfinishedSince());
    decoder.feed(first.getBuffer(3, first.length()).appendBuffer(last), 50);
    assertEquals(0, decoder.unfinishedBytes());
    assertEquals(0, decoder.unfinishedSince(), "nothing unfinished");
  }
}
