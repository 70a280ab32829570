package dev.switchboard.server.fanout;

import dev.switchboard.core.envelope.ThreadBytes;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * RFC 6455 server frames. A server frame is never masked, so the bytes of a frame are the same for
 * every client: the fan-out path builds each one once and writes it to all of them.
 */
final class WebSocketFrames {
  static final int CONTINUATION = 0x0;
  static final int TEXT = 0x1;
  static final int BINARY = 0x2;
  static final int CLOSE = 0x8;
  static final int PING = 0x9;
  static final int PONG = 0xA;
  private static final String HANDSHAKE_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private WebSocketFrames() {
  }

  /** One final (FIN) frame carrying the whole payload. */
  static Buffer frame(int opcode, Buffer payload) {
    int length = payload.length();
    // This thread's reused array: a frame is built per batch or SockJS flush, per message for a
    // /subscribe?format=data client, and for every reply and close.
    byte[] header = ThreadBytes.atLeast(headerSize(length));
    int end = writeHeader(header, 0, opcode, length);
    return Buffer.buffer(end + length).appendBytes(header, 0, end).appendBuffer(payload);
  }

  /**
   * Writes the header of a final frame whose payload has {@code length} bytes into {@code out} from
   * {@code at}, where {@link #headerSize} bytes must fit; returns the index after it.
   */
  static int writeHeader(byte[] out, int at, int opcode, int length) {
    out[at] = (byte) (0x80 | opcode);
    int size = headerSize(length);
    if (size == 2) {
      out[at + 1] = (byte) length;
    } else if (size == 4) {
      out[at + 1] = 126;
      out[at + 2] = (byte) (length >>> 8);
      out[at + 3] = (byte) length;
    } else {
      out[at + 1] = 127;
      for (int i = 0; i < 8; i++) {
        out[at + 2 + i] = (byte) ((long) length >>> (56 - 8 * i));
      }
    }
    return at + size;
  }

  static int headerSize(int payloadLength) {
    return payloadLength < 126 ? 2 : payloadLength < 65_536 ? 4 : 10;
  }

  /** The size of the header {@code frame} starts with, read from its 7-bit length. */
  static int headerSizeOf(Buffer frame) {
    int length7 = frame.getByte(1) & 0x7F;
    return length7 < 126 ? 2 : length7 == 126 ? 4 : 10;
  }

  static Buffer close(int code, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    // A control frame's payload is at most 125 bytes: 2 for the code, the rest for the reason, cut
    // between two characters (the reason must stay UTF-8).
    int reasonLength = Math.min(text.length, 123);
    while (reasonLength < text.length && reasonLength > 0 && (text[reasonLength] & 0xC0) == 0x80) {
      reasonLength--;
    }
    return frame(CLOSE, Buffer.buffer(2 + reasonLength).appendUnsignedShort(code).appendBytes(text, 0, reasonLength));
  }

  /**
   * A close code an endpoint may send: RFC 6455's 1000-1003 and 1007-1011, the registry's 1012-1014,
   * and 3000-4999. 1005, 1006 and 1015 only describe a close; the rest are reserved.
   */
  static boolean mayBeSent(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  }

  /** The {@code Sec-WebSocket-Accept} answer to a client's {@code Sec-WebSocket-Key}. */
  static String acceptKey(String clientKey) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest((clientKey + HANDSHAKE_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-1", e);
    }
  }
}
