package dev.switchboard.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * HTTP written by hand on a plain socket, for what an HTTP client library will not send: any Host
 * header, none at all, HTTP/1.0. The request should ask for {@code Connection: close}: the answer is
 * read to the end of the connection.
 */
final class RawHttp {
  private RawHttp() {
  }

  /** Sends {@code request} as it is and answers everything the server wrote before closing. */
  static String exchange(int port, String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * The status of a WebSocket upgrade as a browser asks for it ({@code headers}: more header lines, each
   * ending in CRLF), read off the socket. Vert.x's WebSocket client, which drops the connection once the
   * upgrade is refused, sometimes reports a failed handshake instead of the answer (seen in CI).
   */
  static int upgradeStatus(int port, String uri, String headers) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + uri + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + headers + "\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String statusLine = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1))
          .readLine();
      if (statusLine == null || !statusLine.startsWith("HTTP/1.1 ")) {
        throw new IOException("not an HTTP answer: " + statusLine);
      }
      return status(statusLine);
    }
  }

  /** The status code of a raw answer. */
  static int status(String answer) {
    return Integer.parseInt(answer.substring(answer.indexOf(' ') + 1, answer.indexOf(' ') + 4));
  }

  /** The body of a raw answer (not chunked). */
  static String body(String answer) {
    return answer.substring(answer.indexOf("\r\n\r\n") + 4);
  }
}
