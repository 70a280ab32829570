package dev.switchboard.server.fanout;

/** How a client's WebSocket frames wrap the bridge frames; the bridge protocol inside is the same. */
enum Framing {
  /** The raw endpoint: one bridge frame per WebSocket frame, as vertx-web's raw endpoint does. */
  RAW,
  /** The raw endpoint with {@code ?batch=true}: a JSON array of bridge frames per WebSocket frame. */
  BATCH,
  /**
   * SockJS's websocket transport, as {@code @vertx/eventbus-bridge-client.js} speaks it: {@code o} on
   * open, {@code a["<bridge frame>",...]} for messages (several per frame), {@code h} heartbeats and
   * {@code c[code,"reason"]} before a close.
   */
  SOCKJS
}
