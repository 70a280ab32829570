package dev.switchboard.server.fanout;

import dev.switchboard.core.envelope.BufferBytes;
import io.vertx.core.buffer.Buffer;

/**
 * Reads RFC 6455 client frames from a byte stream that may split or join them anywhere. Client
 * frames must be masked; fragmented messages are joined; control frames may come between fragments;
 * a text message must be UTF-8, checked once it is whole (a fragment may end inside a character).
 */
final class ClientFrameDecoder {
  /** Receives each whole message (or control frame) with its opcode. */
  interface Sink {
    void message(int opcode, Buffer payload);
  }

  /** A frame broke the protocol: close with this code. */
  static final class ProtocolError extends RuntimeException {
    final int closeCode;

    ProtocolError(int closeCode, String message) {
      super(message, null, false, false);
      this.closeCode = closeCode;
    }
  }

  private final int maxMessageBytes;
  private final Sink sink;
  private Buffer pending = Buffer.buffer();
  private int fragmentedOpcode = -1;
  private Buffer fragments;
  /** When the message not yet whole began to arrive (System.nanoTime()); 0 while none is unfinished. */
  private long unfinishedSince;
  /** Whether a whole message (not a control frame) was delivered during the current {@link #feed}. */
  private boolean delivered;

  ClientFrameDecoder(int maxMessageBytes, Sink sink) {
    this.maxMessageBytes = maxMessageBytes;
    this.sink = sink;
  }

  /** Reads what came at {@code now} (System.nanoTime()). */
  void feed(Buffer data, long now) {
    delivered = false;
    pending.appendBuffer(data);
    int length = pending.length();
    int pos = 0;
    while (length - pos >= 2) {
      int b0 = pending.getUnsignedByte(pos);
      int b1 = pending.getUnsignedByte(pos + 1);
      if ((b0 & 0x70) != 0) {
        throw new ProtocolError(1002, "reserved bits set without an extension");
      }
      if ((b1 & 0x80) == 0) {
        throw new ProtocolError(1002, "a client frame must be masked");
      }
      boolean fin = (b0 & 0x80) != 0;
      int opcode = b0 & 0x0F;
      long payloadLength = b1 & 0x7F;
      int header = 2;
      if (payloadLength == 126) {
        if (length - pos < 4) {
          break;
        }
        payloadLength = pending.getUnsignedShort(pos + 2);
        header = 4;
      } else if (payloadLength == 127) {
        if (length - pos < 10) {
          break;
        }
        payloadLength = pending.getLong(pos + 2);
        header = 10;
        if (payloadLength < 0) {
          throw new ProtocolError(1002, "a 64-bit payload length must have its most significant bit clear");
        }
      }
      if (payloadLength > maxMessageBytes) {
        throw new ProtocolError(1009, "a frame over the max message size of " + maxMessageBytes + " bytes");
      }
      int frameLength = header + 4 + (int) payloadLength;
      if (length - pos < frameLength) {
        break;
      }
      byte[] mask = pending.getBytes(pos + header, pos + header + 4);
      byte[] payload = pending.getBytes(pos + header + 4, pos + frameLength);
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= mask[i & 3];
      }
      pos += frameLength;
      dispatch(fin, opcode, Buffer.buffer(payload));
    }
    // Nothing read: keep appending to the same buffer. A copy of what waits on every read would cost a frame sent
    // a byte at a time the square of its size.
    pending = pos == length ? Buffer.buffer() : pos == 0 ? pending : pending.getBuffer(pos, length);
    // Control frames between the pieces of a message (a pong to the server's ping) are no progress on it: a
    // client that trickles a message, or never ends one, is not kept alive by them.
    if (unfinishedBytes() == 0) {
      unfinishedSince = 0;
    } else if (unfinishedSince == 0 || delivered) {
      unfinishedSince = now; // what waits began after the last whole message
    }
  }

  /** Bytes held of a message (or frame) not yet whole: a part frame, and the pieces of a fragmented message. */
  int unfinishedBytes() {
    return pending.length() + (fragments == null ? 0 : fragments.length());
  }

  /** When the message not yet whole began to arrive (System.nanoTime()); 0 when none is unfinished. */
  long unfinishedSince() {
    return unfinishedSince;
  }

  private void dispatch(boolean fin, int opcode, Buffer payload) {
    if (opcode >= 0x8) {
      if (!fin || payload.length() > 125) {
        throw new ProtocolError(1002, "a control frame must be final and at most 125 bytes");
      }
      sink.message(opcode, payload);
      return;
    }
    if (opcode == WebSocketFrames.CONTINUATION) {
      if (fragmentedOpcode < 0) {
        throw new ProtocolError(1002, "continuation without a message to continue");
      }
      if (fragments.length() + payload.length() > maxMessageBytes) {
        throw new ProtocolError(1009, "a message over the max message size of " + maxMessageBytes + " bytes");
      }
      fragments.appendBuffer(payload);
      if (fin) {
        int first = fragmentedOpcode;
        Buffer whole = fragments;
        fragmentedOpcode = -1;
        fragments = null;
        deliver(first, whole);
      }
      return;
    }
    if (opcode != WebSocketFrames.TEXT && opcode != WebSocketFrames.BINARY) {
      throw new ProtocolError(1002, "unknown opcode " + opcode);
    }
    if (fragmentedOpcode >= 0) {
      throw new ProtocolError(1002, "a new message began before the last one ended");
    }
    if (fin) {
      deliver(opcode, payload);
    } else {
      fragmentedOpcode = opcode;
      fragments = Buffer.buffer().appendBuffer(payload);
    }
  }

  private void deliver(int opcode, Buffer message) {
    delivered = true;
    if (opcode == WebSocketFrames.TEXT && !BufferBytes.isUtf8(message)) {
      throw new ProtocolError(1007, "a text message that is not valid UTF-8");
    }
    sink.message(opcode, message);
  }
}
