package dev.switchboard.server.fanout;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** A WebSocket upgrade written by hand on a plain socket, for the tests that then speak frames byte by byte. */
public final class RawUpgrade {
  private RawUpgrade() {
  }

  /** The upgrade request for {@code path}; {@code connection} is its Connection header line (CRLF-ended), or none. */
  public static byte[] request(String path, String connection) {
    return ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" + connection
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** The answer's status line and headers, read byte by byte so that nothing after them is consumed. */
  public static String readHead(DataInputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      head.append((char) in.readUnsignedByte());
    }
    return head.toString();
  }
}
