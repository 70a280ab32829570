package dev.switchboard.server.fanout;

/** How a client of the fan-out path receives its messages. */
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
  SOCKJS,
  /** {@code /subscribe}: read-only, its addresses from the URL; each message's envelope is one text frame. */
  SUBSCRIBE_ENVELOPE,
  /** {@code /subscribe?format=data}: read-only; each message is only its envelope's data, one text frame. */
  SUBSCRIBE_DATA;

  /** One WebSocket frame per message, the same bytes for every client of this framing: no batching. */
  boolean framePerMessage() {
    return this != BATCH && this != SOCKJS;
  }

  /** A {@code /subscribe} client: it sends nothing the server reads (its pongs aside). */
  boolean subscription() {
    return this == SUBSCRIBE_ENVELOPE || this == SUBSCRIBE_DATA;
  }
}
