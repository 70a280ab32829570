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
}
