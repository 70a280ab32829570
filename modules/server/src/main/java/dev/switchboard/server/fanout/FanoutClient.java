package dev.switchboard.server.fanout;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.envelope.BufferBytes;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * One client of the fan-out path. Messages wait in a bounded queue until the endpoint flushes its
 * dirty clients, once per event-loop turn: everything queued by then goes out in one socket write.
 * Touched only on the endpoint's event loop.
 */
final class FanoutClient {
  private static final Logger LOG = LoggerFactory.getLogger(FanoutClient.class);
  /** The answer to a bridge ping: unaddressed, which eventbus-bridge-client.js hands to its onunhandled. */
  static final JsonObject PONG = new JsonObject().put("type", "pong");
  private static final Set<String> KNOWN_TYPES = Set.of("ping", "register", "unregister", "send", "publish");
  private static final int FLUSH_AT_BYTES = 64 * 1024;
  final String id;
  /** The remote host, without the port: what the control token's throttle and the audit count by. */
  final String remote;
  final Set<String> addresses = new LinkedHashSet<>();
  boolean dirty;
  long lastSeen;
  int pendingReplies;

  private final FanoutEndpoint endpoint;
  private final NetSocket socket;
  private final Framing framing;
  private final FanoutOptions options;
  private final ArrayDeque<Delivery> queue = new ArrayDeque<>();
  private final ClientFrameDecoder decoder;
  private long queuedBytes;
  /**
   * Handed to the socket and not yet written to the network, counted from a write that left the socket
   * over its high-water mark: a client that reads nothing holds them too.
   */
  private long unsentBytes;
  /** When its socket last filled up without draining since (System.nanoTime()); 0 while it takes what it is given. */
  private long fullSince;
  private boolean closed;
  /** What its decoder holds of a message not yet whole, as last counted in the endpoint's total. */
  private int unfinishedBytes;
  /**
   * What conflation dropped since the client was last told, by address, for a client registered on
   * {@link Addresses#BRIDGE_DROPPED}; null when nothing was.
   */
  private Map<String, Integer> dropped;

  FanoutClient(String id, FanoutEndpoint endpoint, NetSocket socket, Framing framing, FanoutOptions options, long now) {
    this.id = id;
    this.remote = socket.remoteAddress() == null ? null : socket.remoteAddress().hostAddress();
    this.endpoint = endpoint;
    this.socket = socket;
    this.framing = framing;
    this.options = options;
    this.lastSeen = now;
    this.decoder = new ClientFrameDecoder(options.maxFrameBytes(), this::onFrame);
  }

  boolean closed() {
    return closed;
  }

  Framing framing() {
    return framing;
  }

  /** Registrations plus requests awaiting a reply: what the bridge's maxHandlersPerSocket bounds. */
  int handlers() {
    return addresses.size() + pendingReplies;
  }

  void onData(Buffer data, long now) {
    if (closed) {
      return;
    }
    lastSeen = now;
    try {
      decoder.feed(data, now);
    } catch (ClientFrameDecoder.ProtocolError e) {
      LOG.info("bridge socket {}: closed with {}: {}", id, e.closeCode, e.getMessage());
      close(e.closeCode, e.getMessage());
      return;
    }
    int unfinished = decoder.unfinishedBytes();
    if (!closed && unfinished != unfinishedBytes) { // closed by one of its messages: it gave everything back
      int grown = unfinished - unfinishedBytes;
      unfinishedBytes = unfinished;
      endpoint.unfinished(grown);
    }
  }

  /** Bytes held of a message it has not finished sending. */
  int unfinishedBytes() {
    return unfinishedBytes;
  }

  /** When the message it has not finished sending began to arrive (System.nanoTime()); 0 when there is none. */
  long unfinishedSince() {
    return decoder.unfinishedSince();
  }

  /** Queues a message; applies the slow-client policy when the queue is full. */
  void enqueue(Delivery delivery) {
    if (closed) {
      return;
    }
    int size = size(delivery);
    if (queuedBytes + size > options.maxQueuedBytes()) {
      flush(); // a burst within one event-loop turn is not a slow client: hand it over if the socket takes it
    }
    // A client with nothing queued is not slow, whatever the size of the message it is given.
    if (queuedBytes > 0 && queuedBytes + size > options.maxQueuedBytes()) {
      if (options.slowClients() == SlowClientPolicy.DISCONNECT) {
        endpoint.slowClientClosed();
        close(FanoutEndpoint.CLOSE_SLOW_CLIENT, "slow client: more than " + options.maxQueuedBytes() + " bytes queued");
        return;
      }
      if (!conflate(delivery.address, size)) {
        endpoint.slowClientClosed();
        close(FanoutEndpoint.CLOSE_SLOW_CLIENT, "slow client: more than " + options.maxQueuedBytes() + " bytes of replies queued");
        return;
      }
    }
    queue.add(delivery);
    queued(size);
    if (queuedBytes >= FLUSH_AT_BYTES) {
      flush(); // enough for one large write; don't wait for the end of the turn
    } else {
      endpoint.markDirty(this);
    }
    endpoint.withinBudget();
  }

  /** What this client holds: queued, and handed to the socket but not yet written. */
  long heldBytes() {
    return queuedBytes + unsentBytes;
  }

  private void filledUp() {
    if (fullSince == 0) {
      fullSince = System.nanoTime();
    }
  }

  /** Its socket takes data again: it reads. */
  void drained() {
    fullSince = 0;
    flush();
  }

  /** How long its socket has been full without draining, in nanoseconds; 0 when it is not. */
  long fullFor(long now) {
    return fullSince == 0 ? 0 : now - fullSince;
  }

  private void queued(long bytes) {
    queuedBytes += bytes;
    endpoint.held(bytes);
  }

  /** Writes everything queued in one socket write, unless the socket is still busy with the last one. */
  void flush() {
    if (closed || queue.isEmpty()) {
      return;
    }
    if (socket.writeQueueFull()) {
      filledUp();
      return; // a full socket calls back through its drain handler
    }
    if (dropped != null && addresses.contains(Addresses.BRIDGE_DROPPED)) {
      queueDropNotice();
    } else {
      dropped = null; // unregistered since: told nothing more
    }
    Buffer out;
    if (framing.framePerMessage() && queue.size() == 1) {
      out = frameOf(queue.poll()); // the shared bytes, no copy
    } else if (framing.framePerMessage()) {
      out = Buffer.buffer((int) Math.min(Integer.MAX_VALUE, queuedBytes));
      for (Delivery d; (d = queue.poll()) != null; ) {
        out.appendBuffer(frameOf(d));
      }
    } else {
      out = Buffer.buffer();
      while (!queue.isEmpty()) {
        if (queue.peek().control) {
          out.appendBuffer(queue.poll().frame());
        } else {
          out.appendBuffer(WebSocketFrames.frame(WebSocketFrames.TEXT, nextArray()));
        }
      }
    }
    long queued = queuedBytes;
    queuedBytes = 0;
    Future<Void> written = socket.write(out);
    if (!socket.writeQueueFull()) {
      // On its way: what the socket holds is under its high-water mark (64 KiB), and not counted.
      endpoint.held(-queued);
      return;
    }
    // The socket holds more than it passes on: still held until written to the network, and counted.
    // (Only then a listener: one per write would cost the many clients that read fine.)
    filledUp();
    int length = out.length();
    endpoint.held(length - queued);
    unsentBytes += length;
    written.onComplete(ar -> {
      if (!closed) { // a closed client gave its bytes back at once
        unsentBytes -= length;
        endpoint.held(-length);
      }
    });
  }

  /** Up to maxBatch queued messages as one array: {@code [frame,...]}, or SockJS's {@code a["frame",...]}. */
  private Buffer nextArray() {
    boolean sockJs = framing == Framing.SOCKJS;
    Buffer array = Buffer.buffer().appendString(sockJs ? "a[" : "[");
    for (int n = 0; n < options.maxBatch() && !queue.isEmpty() && !queue.peek().control; n++) {
      if (n > 0) {
        array.appendByte((byte) ',');
      }
      Delivery d = queue.poll();
      array.appendBuffer(sockJs ? d.quoted() : d.payload());
    }
    return array.appendByte((byte) ']');
  }

  /**
   * Stops delivering at once, sends a close frame with the code and reason after what the socket
   * already holds, and closes the connection when that is written (a client that reads slowly
   * still learns why) or after {@link FanoutEndpoint#CLOSE_GRACE_MS} (a client that reads nothing
   * does not hold the connection open).
   */
  void close(int code, String reason) {
    if (closed) {
      return;
    }
    // Given back now: the socket is cut within CLOSE_GRACE_MS, and the budget is for the clients that stay.
    release();
    Buffer goodbye = WebSocketFrames.close(code, reason);
    if (framing == Framing.SOCKJS) {
      // SockJS clients read the code and reason from its own close frame, and the WebSocket closes normally.
      goodbye = WebSocketFrames.frame(WebSocketFrames.TEXT, Buffer.buffer("c" + new JsonArray().add(code).add(reason).encode()))
          .appendBuffer(WebSocketFrames.close(1000, ""));
    }
    socket.write(goodbye).onComplete(ar -> socket.close());
    endpoint.closeLater(socket);
    endpoint.removed(this);
  }

  /** The connection closed, from either side: nothing more is delivered, and what it held is given back. */
  void connectionClosed() {
    if (!closed) {
      release();
    }
  }

  private void release() {
    closed = true;
    queue.clear();
    endpoint.held(-heldBytes());
    queuedBytes = 0;
    unsentBytes = 0;
    endpoint.unfinished(-unfinishedBytes);
    unfinishedBytes = 0;
  }

  private int size(Delivery d) {
    if (d.control || framing.framePerMessage()) {
      return frameOf(d).length();
    }
    return (framing == Framing.SOCKJS ? d.quoted() : d.payload()).length() + 1;
  }

  /** The whole frame this client gets for a message, when it gets one frame per message: shared with its framing's other clients. */
  private Buffer frameOf(Delivery d) {
    return switch (framing) {
      case SUBSCRIBE_ENVELOPE -> d.envelopeFrame();
      case SUBSCRIBE_DATA -> d.dataFrame();
      default -> d.frame();
    };
  }

  /**
   * Makes room: drop queued messages of the same address first (the newest wins), then the oldest messages.
   * Never a reply, an error or a pong (no address): its request would wait for it until its timeout. So the
   * new one may go past the bound; but not when replies alone fill it (a client that keeps asking and never
   * reads): then false, and the client is closed as slow.
   */
  private boolean conflate(String address, int size) {
    int before = queue.size();
    if (address != null) {
      for (Iterator<Delivery> it = queue.iterator(); it.hasNext(); ) {
        Delivery queued = it.next();
        if (address.equals(queued.address)) {
          drop(it, queued);
        }
      }
    }
    for (Iterator<Delivery> it = queue.iterator(); queuedBytes + size > options.maxQueuedBytes() && it.hasNext(); ) {
      Delivery queued = it.next();
      if (queued.address != null) {
        drop(it, queued);
      }
    }
    endpoint.conflated(before - queue.size());
    return queuedBytes < options.maxQueuedBytes(); // what is left is replies only when over the bound
  }

  private void drop(Iterator<Delivery> it, Delivery queued) {
    it.remove();
    queued(-size(queued));
    if (addresses.contains(Addresses.BRIDGE_DROPPED)) {
      if (dropped == null) {
        dropped = new LinkedHashMap<>();
      }
      dropped.merge(queued.address, 1, Integer::sum);
    }
  }

  /**
   * Tells the client what was dropped since it was last told, after the messages queued now (newer than the
   * dropped ones): a view built from an address's messages (Home Assistant's table of states) reads its state
   * again. A reply: never dropped itself.
   */
  private void queueDropNotice() {
    JsonObject counts = new JsonObject();
    dropped.forEach(counts::put);
    dropped = null;
    Delivery notice = Delivery.of(null, new JsonObject().put("type", "rec").put("address", Addresses.BRIDGE_DROPPED)
        .put("body", new JsonObject().put("dropped", counts)).toBuffer());
    queue.add(notice);
    queued(size(notice));
  }

  private void onFrame(int opcode, Buffer payload) {
    switch (opcode) {
      case WebSocketFrames.TEXT, WebSocketFrames.BINARY -> {
        if (framing.subscription()) {
          return; // read-only: what it writes (another protocol's subscribe frame, say) is ignored
        }
        if (framing == Framing.SOCKJS) {
          onSockJsFrame(payload.toString());
        } else {
          onBridgeFrame(payload.toString());
        }
      }
      case WebSocketFrames.PING -> enqueue(Delivery.pong(payload));
      case WebSocketFrames.PONG -> {
      }
      case WebSocketFrames.CLOSE -> answerClose(payload);
      default -> close(1002, "unknown opcode " + opcode);
    }
  }

  /**
   * Answers the client's close frame with its own code (1000 when it gave none). A close frame that
   * breaks the rules (one byte, a code no endpoint may send, a reason that is not UTF-8) is a protocol
   * error, answered as one.
   */
  private void answerClose(Buffer payload) {
    if (payload.length() == 0) {
      close(1000, "");
      return;
    }
    int code = payload.length() >= 2 ? payload.getUnsignedShort(0) : -1;
    if (!WebSocketFrames.mayBeSent(code)) {
      close(1002, code < 0 ? "a close frame of one byte" : "close code " + code + " may not be sent");
    } else if (!BufferBytes.isUtf8(payload.getBuffer(2, payload.length()))) {
      close(1007, "a close reason that is not valid UTF-8");
    } else {
      close(code, "");
    }
  }

  /** A SockJS client sends a JSON array of bridge frames, each a string (or one string alone). */
  private void onSockJsFrame(String text) {
    if (text.isEmpty()) {
      return;
    }
    Object value;
    try {
      value = Json.decodeValue(text);
    } catch (DecodeException e) {
      value = null;
    }
    if (value instanceof String one) {
      onBridgeFrame(one);
    } else if (value instanceof JsonArray many && many.stream().allMatch(String.class::isInstance)) {
      many.forEach(frame -> onBridgeFrame((String) frame));
    } else {
      LOG.info("bridge socket {}: closed: not a SockJS message", id);
      close(1002, "broken JSON encoding: a SockJS message is a JSON array of strings");
    }
  }

  /** The event-bus bridge protocol: register, unregister, send, ping (and publish, always refused). */
  private void onBridgeFrame(String text) {
    if (closed) {
      return; // an earlier frame of the same SockJS message closed the client
    }
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      reply(FanoutEndpoint.error(null, "invalid_json"));
      return;
    }
    String type = frame.getValue("type") instanceof String s ? s : "";
    String address = frame.getValue("address") instanceof String s ? s : null;
    if (!KNOWN_TYPES.contains(type)) {
      reply(FanoutEndpoint.error(address, "invalid_type"));
    } else if (type.equals("ping")) {
      // lastSeen is already updated. The pong proves to the client that the server (and the whole path
      // in between) is alive: a black-holed connection otherwise looks connected forever.
      reply(PONG);
    } else if (address == null) {
      reply(FanoutEndpoint.error(null, "missing_address"));
    } else {
      switch (type) {
        case "register" -> endpoint.register(this, address);
        case "unregister" -> endpoint.unregister(this, address);
        case "send" -> endpoint.send(this, address, frame);
        default -> endpoint.publish(this, address);
      }
    }
  }

  void reply(JsonObject frame) {
    enqueue(Delivery.of(null, frame.toBuffer()));
  }
}
