package dev.switchboard.server.fanout;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;

/**
 * One message as every client gets it, built once: the bridge frame's JSON, the whole WebSocket
 * frame around it (a text frame, as browsers expect JSON; Vert.x encodes it as UTF-8), and, for
 * SockJS clients, the JSON as a quoted string. A message's delivery is shared by the clients of one
 * event loop only: its lazily built forms are not thread-safe.
 */
final class Delivery {
  /** SockJS's heartbeat frame; it keeps proxies from closing an idle connection. */
  static final Delivery SOCKJS_HEARTBEAT = control(WebSocketFrames.TEXT, Buffer.buffer("h"));

  /** The event-bus address, for conflation; null for the fan-out path's own replies. */
  final String address;
  final Buffer payload;
  /** A frame written alone, never put in a batch (a pong, a heartbeat). */
  final boolean control;
  private final int opcode;
  private Buffer frame;
  private Buffer quoted;

  private Delivery(String address, Buffer payload, int opcode, boolean control) {
    this.address = address;
    this.payload = payload;
    this.opcode = opcode;
    this.control = control;
    if (control) {
      frame = WebSocketFrames.frame(opcode, payload); // built now: the heartbeat is shared by every event loop
    }
  }

  static Delivery of(String address, Buffer payload) {
    return new Delivery(address, payload, WebSocketFrames.TEXT, false);
  }

  /**
   * A bridge frame {@code prefix + head + data + "}}"} written straight into its WebSocket text frame:
   * the payload is a view of the frame, so the data is copied once (where a payload and then a frame
   * around it copy it twice).
   */
  static Delivery ofParts(String address, Buffer prefix, Buffer head, Buffer data) {
    int length = prefix.length() + head.length() + data.length() + 2;
    Buffer frame = WebSocketFrames.header(WebSocketFrames.TEXT, length)
        .appendBuffer(prefix).appendBuffer(head).appendBuffer(data).appendByte((byte) '}').appendByte((byte) '}');
    Delivery delivery = new Delivery(address, frame.slice(frame.length() - length, frame.length()), WebSocketFrames.TEXT, false);
    delivery.frame = frame;
    return delivery;
  }

  static Delivery pong(Buffer payload) {
    return control(WebSocketFrames.PONG, payload);
  }

  private static Delivery control(int opcode, Buffer payload) {
    return new Delivery(null, payload, opcode, true);
  }

  /** The whole WebSocket frame: the same bytes for every raw client, built on first use. */
  Buffer frame() {
    if (frame == null) {
      frame = WebSocketFrames.frame(opcode, payload);
    }
    return frame;
  }

  /** The bridge frame as a JSON string, an element of a SockJS {@code a[...]} frame; built on first use. */
  Buffer quoted() {
    if (quoted == null) {
      quoted = Buffer.buffer(Json.encode(payload.toString()));
    }
    return quoted;
  }
}
