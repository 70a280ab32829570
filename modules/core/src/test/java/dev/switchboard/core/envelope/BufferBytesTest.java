package dev.switchboard.core.envelope;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** {@link BufferBytes#readOnly} is the Buffer's own bytes, exactly its content, with nothing made per call. */
class BufferBytesTest {
  private static final byte[] TEXT = "{\"a\":\"é\",\"b\":[1,2]}".getBytes(StandardCharsets.UTF_8);

  @Test
  void exactlyTheContentOfEveryKindOfBuffer() {
    Buffer padded = Buffer.buffer("xx").appendBytes(TEXT).appendString("yy");
    ByteBuf direct = Unpooled.directBuffer().writeBytes(TEXT);
    Map<String, Buffer> buffers = Map.of(
        "a heap buffer", Buffer.buffer(TEXT),
        "a slice of a larger buffer", padded.slice(2, 2 + TEXT.length),
        "a received frame's buffer (an unreleasable wrapper)", BufferInternal.buffer(Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(TEXT))),
        "a buffer over direct memory", BufferInternal.buffer(direct));
    buffers.forEach((kind, buffer) -> {
      ByteBuf bytes = BufferBytes.readOnly(buffer);
      assertArrayEquals(TEXT, ByteBufUtil.getBytes(bytes, bytes.readerIndex(), bytes.readableBytes()), kind);
      assertSame(bytes, BufferBytes.readOnly(buffer), kind + ": a second call makes nothing new");
      assertEquals(new String(TEXT, StandardCharsets.UTF_8), buffer.toString(StandardCharsets.UTF_8), kind + ": reading changed nothing");
    });
    direct.release();
  }

  @Test
  void utf8IsCheckedAsStrictlyAsTheJdkDecodesItWhereverTheFirstNonAsciiByteFalls() {
    byte[][] tails = {
        {}, {'x'}, bytes(0xC3, 0xA9), bytes(0xE2, 0x82, 0xAC), bytes(0xF0, 0x9F, 0x98, 0x80), // é, €, an emoji
        bytes(0xC0, 0x80), bytes(0xE0, 0x80, 0xAF), // overlong forms
        bytes(0xED, 0xA0, 0x80), // a surrogate
        bytes(0xF4, 0x90, 0x80, 0x80), // above U+10FFFF
        bytes(0xE2, 0x82), bytes(0x80), bytes(0xFF), // cut short, a lone continuation byte, never UTF-8
    };
    Buffer padding = Buffer.buffer("--");
    for (byte[] tail : tails) {
      for (int prefix = 0; prefix <= 17; prefix++) {
        for (int suffix : new int[] {0, 1, 9}) {
          byte[] text = Buffer.buffer("a".repeat(prefix)).appendBytes(tail).appendString("z".repeat(suffix)).getBytes();
          boolean expected = decodesStrictly(text);
          String what = java.util.Arrays.toString(tail) + " after " + prefix + " ASCII bytes, " + suffix + " after it";
          assertEquals(expected, BufferBytes.isUtf8(Buffer.buffer(text)), what);
          Buffer sliced = padding.copy().appendBytes(text).appendBuffer(padding);
          assertEquals(expected, BufferBytes.isUtf8(sliced.slice(2, 2 + text.length)), what + ", in a slice");
        }
      }
    }
  }

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  private static boolean decodesStrictly(byte[] text) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(text));
      return true;
    } catch (java.nio.charset.CharacterCodingException e) {
      return false;
    }
  }
}
