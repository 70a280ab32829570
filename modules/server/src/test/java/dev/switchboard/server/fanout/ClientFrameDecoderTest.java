package dev.switchboard.server.fanout;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

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
    byte[] mask = {0x11, 0x22, 0x33, 0x44};
    Buffer frame = Buffer.buffer().appendByte((byte) 0x82).appendByte((byte) (0x80 | 127)).appendLong(payload.length).appendBytes(mask);
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
        decoder.feed(frame.getBuffer(i, i + 1));
      }
    });
    assertEquals(1, got.size());
    assertArrayEquals(payload, got.get(0).getBytes());
  }
}
