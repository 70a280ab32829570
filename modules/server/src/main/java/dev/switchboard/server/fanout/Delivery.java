package dev.switchboard.server.fanout;

import io.vertx.core.buffer.Buffer;

/**
 * One message as every client gets it, built once: the bridge frame's JSON and the whole
 * WebSocket frame around it (a text frame, as browsers expect JSON; Vert.x encodes it as UTF-8).
 *
 * @param address the event-bus address, for conflation; null for the fan-out path's own replies
 * @param control a WebSocket control frame (a pong): always written alone, never put in a batch
 */
record Delivery(String address, Buffer payload, Buffer frame, boolean control) {
  static Delivery of(String address, Buffer payload) {
    return new Delivery(address, payload, WebSocketFrames.frame(WebSocketFrames.TEXT, payload), false);
  }

  static Delivery pong(Buffer payload) {
    return new Delivery(null, payload, WebSocketFrames.frame(WebSocketFrames.PONG, payload), true);
  }
}
