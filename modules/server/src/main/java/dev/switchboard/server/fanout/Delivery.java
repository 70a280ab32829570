package dev.switchboard.server.fanout;

import dev.switchboard.core.envelope.JsonEnvelope;
import dev.switchboard.core.envelope.ThreadBytes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

/**
 * One message as every client gets it, each form built once, on first use, and then shared: the bridge
 * frame inside a whole WebSocket frame (a text frame, as browsers expect JSON), the bridge frame as a
 * quoted JSON string for SockJS clients, and, for {@code /subscribe} clients, the envelope alone or only
 * its data, each as a whole frame. A message's delivery is shared by the clients of one event loop only:
 * its lazily built forms are not thread-safe.
 */
final class Delivery {
  /** SockJS's heartbeat frame; it keeps proxies from closing an idle connection. */
  static final Delivery SOCKJS_HEARTBEAT = control(WebSocketFrames.TEXT, Buffer.buffer("h"));
  /** The server's ping to every client: its pong says it is there, whatever else it sends (a subscription: nothing). */
  static final Delivery SERVER_PING = control(WebSocketFrames.PING, Buffer.buffer("sb"));

  private static final byte[] NOTHING = new byte[0];
  private static final byte[] CLOSING_BRACES = {'}', '}'};

  /** The event-bus address, for conflation; null for the fan-out path's own replies. */
  final String address;
  /** A frame written alone, never put in a batch (a pong, a ping, a heartbeat). */
  final boolean control;
  private final int opcode;
  /** An upstream's untouched envelope, whose own bytes go into every form; or null. */
  private final JsonEnvelope envelope;
  /** Any other message's body and its JSON; null for an envelope, a reply or a control frame. */
  private final Object body;
  private final Buffer bodyJson;
  /** {@code {"type":"rec","address":"<address>","body":}}: what the bridge frame starts with. */
  private final byte[] recPrefix;
  /** The bridge frame's JSON; for an envelope, sliced out of the frame when a batching or SockJS client asks. */
  private Buffer payload;
  private Buffer frame;
  private Buffer quoted;
  private Buffer envelopeFrame;
  private Buffer dataFrame;

  private Delivery(String address, int opcode, boolean control, JsonEnvelope envelope, Object body, Buffer bodyJson,
                   byte[] recPrefix, Buffer payload) {
    this.address = address;
    this.opcode = opcode;
    this.control = control;
    this.envelope = envelope;
    this.body = body;
    this.bodyJson = bodyJson;
    this.recPrefix = recPrefix;
    this.payload = payload;
    if (control) {
      // Built now, every form the same: a control frame is shared by every event loop.
      frame = envelopeFrame = dataFrame = WebSocketFrames.frame(opcode, payload);
    }
  }

  /** A bridge frame already encoded: a reply to one client, or an error. */
  static Delivery of(String address, Buffer payload) {
    return new Delivery(address, WebSocketFrames.TEXT, false, null, null, null, null, payload);
  }

  /**
   * An upstream's untouched envelope: every form is written from its head and the upstream's own bytes,
   * copied once, straight into the frame (where a payload and then a frame around it would copy them twice).
   */
  static Delivery ofEnvelope(String address, byte[] recPrefix, JsonEnvelope envelope) {
    return new Delivery(address, WebSocketFrames.TEXT, false, envelope, null, null, recPrefix, null);
  }

  /**
   * Any other message body, encoded to JSON here, once.
   *
   * @throws RuntimeException when the body cannot be encoded as JSON
   */
  static Delivery ofBody(String address, byte[] recPrefix, Object body) {
    return new Delivery(address, WebSocketFrames.TEXT, false, null, body, Json.CODEC.toBuffer(body), recPrefix, null);
  }

  static Delivery pong(Buffer payload) {
    return control(WebSocketFrames.PONG, payload);
  }

  private static Delivery control(int opcode, Buffer payload) {
    return new Delivery(null, opcode, true, null, null, null, null, payload);
  }

  /** The bridge frame's JSON (a control frame's payload). */
  Buffer payload() {
    if (payload == null && envelope != null) {
      Buffer whole = frame();
      payload = whole.slice(WebSocketFrames.headerSizeOf(whole), whole.length());
    } else if (payload == null) {
      payload = Buffer.buffer(recPrefix.length + bodyJson.length() + 1).appendBytes(recPrefix).appendBuffer(bodyJson)
          .appendByte((byte) '}');
    }
    return payload;
  }

  /** The whole WebSocket frame of the bridge frame: the same bytes for every raw client. */
  Buffer frame() {
    if (frame == null && envelope != null) {
      frame = envelopeInFrame(recPrefix, 2);
    } else if (frame == null) {
      frame = WebSocketFrames.frame(opcode, payload());
    }
    return frame;
  }

  /** The bridge frame as a JSON string, an element of a SockJS {@code a[...]} frame. */
  Buffer quoted() {
    if (quoted == null) {
      quoted = Buffer.buffer(Json.encode(payload().toString()));
    }
    return quoted;
  }

  /**
   * The message alone (an envelope's JSON, without the bridge frame around it) as a whole frame: what a
   * {@code /subscribe} client gets. A string body goes as it is, not quoted.
   */
  Buffer envelopeFrame() {
    if (envelopeFrame == null && envelope != null) {
      envelopeFrame = envelopeInFrame(NOTHING, 1);
    } else if (envelopeFrame == null && bodyJson != null) { // a null body too: it goes as null
      envelopeFrame = WebSocketFrames.frame(WebSocketFrames.TEXT, body instanceof String text ? Buffer.buffer(text) : bodyJson);
    } else if (envelopeFrame == null) {
      envelopeFrame = frame(); // a reply or a control frame: the same for every client
    }
    return envelopeFrame;
  }

  /**
   * A text frame of {@code prefix}, the envelope (its head, then the upstream's bytes) and {@code closingBraces}
   * braces: the bridge frame (the {@code rec} prefix, two braces) or the envelope alone (no prefix, one). The
   * frame's header, the prefix and the envelope's head go into one small array first (this thread's, reused),
   * then three appends: a buffer call per field took twice as long per message
   * ({@code FanoutHotPathBench.fanoutBytes}, docs/performance.md).
   */
  private Buffer envelopeInFrame(byte[] prefix, int closingBraces) {
    Buffer data = envelope.dataUtf8();
    int headLength = envelope.headLength();
    int length = prefix.length + headLength + data.length() + closingBraces;
    int startLength = WebSocketFrames.headerSize(length) + prefix.length + headLength;
    byte[] start = ThreadBytes.atLeast(startLength);
    int at = WebSocketFrames.writeHeader(start, 0, WebSocketFrames.TEXT, length);
    System.arraycopy(prefix, 0, start, at, prefix.length);
    envelope.writeHead(start, at + prefix.length);
    return Buffer.buffer(startLength + data.length() + closingBraces).appendBytes(start, 0, startLength).appendBuffer(data)
        .appendBytes(CLOSING_BRACES, 0, closingBraces);
  }

  /**
   * Only the message's {@code data} as a whole frame ({@code /subscribe?format=data}): an envelope's
   * upstream bytes as they came; a body without {@code data}, as a whole.
   */
  Buffer dataFrame() {
    if (dataFrame == null && envelope != null) {
      dataFrame = WebSocketFrames.frame(WebSocketFrames.TEXT, envelope.dataUtf8());
    } else if (dataFrame == null && body instanceof JsonObject json && json.containsKey("data")) {
      Object data = json.getValue("data");
      dataFrame = WebSocketFrames.frame(WebSocketFrames.TEXT, data instanceof String text ? Buffer.buffer(text) : Json.CODEC.toBuffer(data));
    } else if (dataFrame == null) {
      dataFrame = envelopeFrame();
    }
    return dataFrame;
  }
}
