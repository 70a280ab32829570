package dev.switchboard.upstream;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * An upstream on a plain socket, for what the simulator (a well-behaved Vert.x server) cannot do: it
 * accepts one WebSocket, sends one frame of the test's choosing, then reads the client's frames and
 * answers nothing, nor closes: a close frame of the client's waits for ever.
 */
final class SilentUpstream implements AutoCloseable {
  /** Counted down when the client's close frame arrives. */
  final CountDownLatch closeFrameSeen = new CountDownLatch(1);
  private final byte[] frame;
  private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
  private final Thread thread = new Thread(this::serve, "silent-upstream");
  private volatile Socket socket;

  /** {@code frame}: the whole frame it sends once the upgrade is done (a server's frames are not masked). */
  SilentUpstream(byte[] frame) throws IOException {
    this.frame = frame;
    thread.setDaemon(true);
    thread.start();
  }

  /** A text frame whose bytes are not UTF-8. */
  static byte[] textNotUtf8() {
    byte[] payload = {'{', '"', 't', '"', ':', '"', (byte) 0xC3, 0x28, '"', '}'};
    return frame(0x81, payload);
  }

  /** Text frames, one after the other: sent in one write, they arrive in one read. */
  static byte[] texts(String... texts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (String text : texts) {
      out.writeBytes(frame(0x81, text.getBytes(StandardCharsets.UTF_8)));
    }
    return out.toByteArray();
  }

  /** A close frame with {@code code} and {@code reason}. */
  static byte[] close(int code, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    byte[] payload = new byte[2 + text.length];
    payload[0] = (byte) (code >> 8);
    payload[1] = (byte) code;
    System.arraycopy(text, 0, payload, 2, text.length);
    return frame(0x88, payload);
  }

  private static byte[] frame(int first, byte[] payload) {
    byte[] out = new byte[2 + payload.length];
    out[0] = (byte) first;
    out[1] = (byte) payload.length; // short payloads only
    System.arraycopy(payload, 0, out, 2, payload.length);
    return out;
  }

  int port() {
    return server.getLocalPort();
  }

  private void serve() {
    try {
      socket = server.accept();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      String key = null;
      for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
        if (line.toLowerCase(Locale.ROOT).startsWith("sec-websocket-key:")) {
          key = line.substring(line.indexOf(':') + 1).trim();
        }
      }
      String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
          .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII)));
      OutputStream out = socket.getOutputStream();
      out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
          + accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(frame);
      out.flush();
      while (true) { // the client's frames (masked): note its close, answer nothing
        int first = in.readUnsignedByte();
        long length = in.readUnsignedByte() & 0x7F;
        length = length == 126 ? in.readUnsignedShort() : length == 127 ? in.readLong() : length;
        in.skipNBytes(4 + length);
        if ((first & 0x0F) == 0x8) {
          closeFrameSeen.countDown();
        }
      }
    } catch (Exception ended) {
      // the test is over, or the client gave up
    }
  }

  private static String readLine(DataInputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != '\n' && c >= 0; c = in.read()) {
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }

  /** Closes its sockets and waits for its thread: a test that counts threads after this one finds none left. */
  @Override
  public void close() throws IOException, InterruptedException {
    server.close();
    if (socket != null) {
      socket.close();
    }
    thread.join(10_000);
  }
}
