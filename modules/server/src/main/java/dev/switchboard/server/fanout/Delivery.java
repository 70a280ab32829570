package dev.switchboard.server.fanout;

import dev.switchboard.core.envelope.JsonEnvelope;
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
  /** The bridge frame's JSON; null until {@link #payload()} slices it out of the frame. */
  private Buffer payload;
  /** A frame written alone, never put in a batch (a pong, a heartbeat). */
  final boolean control;
  private final int opcode;
  private Buffer frame;
  private Buffer quoted;
  private int payloadOffset;

  private Delivery(String address, Buffer payload, int opcode, boolean control) {
    this.address = address;
    this.payload = payload;
    this.opcode = opcode;
    this.control = control;
    if (control) {
      frame = WebSocketFrames.frame(opcode, payload()); // built now: the heartbeat is shared by every event loop
    }
  }

  static Delivery of(String address, Buffer payload) {
    return new Delivery(address, payload, WebSocketFrames.TEXT, false);
  }

  /**
   * A bridge frame {@code prefix + the envelope's JSON + "}"} written straight into its WebSocket text
   * frame: the envelope's head and the upstream's bytes are copied once, into the frame (where a payload
   * and then a frame around it copy them twice).
   */
  static Delivery ofEnvelope(String address, Buffer prefix, JsonEnvelope envelope) {
    Buffer data = envelope.dataUtf8();
    int length = prefix.length() + envelope.headLength() + data.length() + 2;
    Buffer frame = envelope.appendHead(WebSocketFrames.header(WebSocketFrames.TEXT, length).appendBuffer(prefix))
        .appendBuffer(data).appendByte((byte) '}').appendByte((byte) '}');
    // The payload is sliced out of the frame only when a batching or SockJS client asks for it.
    Delivery delivery = new Delivery(address, null, WebSocketFrames.TEXT, false);
    delivery.frame = frame;
    delivery.payloadOffset = frame.length() - length;
    return delivery;
  }

  static Delivery pong(Buffer payload) {
    return control(WebSocketFrames.PONG, payload);
  }

  private static Delivery control(int opcode, Buffer payload) {
    return new Delivery(null, payload, opcode, true);
  }

  /** The bridge frame's JSON (a control frame's payload): a view of the frame when built from parts. */
  Buffer payload() {
    if (payload == null) {
      payload = frame.slice(payloadOffset, frame.length());
    }
    return payload;
  }

  /** The whole WebSocket frame: the same bytes for every raw client, built on first use. */
  Buffer frame() {
    if (frame == null) {
      frame = WebSocketFrames.frame(opcode, payload());
    }
    return frame;
  }

  /** The bridge frame as a JSON string, an element of a SockJS {@code a[...]} frame; built on first use. */
  Buffer quoted() {
    if (quoted == null) {
      quoted = Buffer.buffer(Json.encode(payload().toString()));
    }
    return quoted;
  }
}
