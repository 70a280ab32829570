package dev.switchboard.simulators.homeassistant;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one client connection did, for assertions: every frame it sent, in order, whether it
 * authenticated, how and when it ended. Written on the simulator's event loop, read from any thread.
 */
public final class ConnectionRecord {
  /** Frames kept per connection; beyond it the record stops growing (a demo runs for days). */
  static final int MAX_FRAMES = 50_000;

  private final int number;
  private final Instant openedAt = Instant.now();
  private final List<String> frames = new ArrayList<>();
  private final AtomicLong eventsSent = new AtomicLong();
  private final AtomicLong arrayFramesSent = new AtomicLong();
  private volatile boolean authenticated;
  private volatile Instant closedAt;
  private volatile short closeCode;
  private volatile String endedBecause;

  ConnectionRecord(int number) {
    this.number = number;
  }

  synchronized void frame(String text) {
    if (frames.size() < MAX_FRAMES) {
      frames.add(text);
    }
  }

  void markAuthenticated() {
    authenticated = true;
  }

  void eventSent() {
    eventsSent.incrementAndGet();
  }

  void arrayFrameSent() {
    arrayFramesSent.incrementAndGet();
  }

  /** Why the server ended it (slow client, pong timeout, auth...), before the close itself is seen. */
  void endedBecause(String reason) {
    if (endedBecause == null) {
      endedBecause = reason;
    }
  }

  void closed(short code) {
    closeCode = code;
    closedAt = Instant.now();
  }

  /** 1, 2, 3... in the order connections were accepted. */
  public int number() {
    return number;
  }

  public Instant openedAt() {
    return openedAt;
  }

  public boolean isOpen() {
    return closedAt == null;
  }

  public Instant closedAt() {
    return closedAt;
  }

  /** The close code seen by the server; -1 when the connection ended without a close frame. */
  public short closeCode() {
    return closeCode;
  }

  /** The reason the server ended the connection, or null when the client (or a fault command) did. */
  public String endedBecause() {
    return endedBecause;
  }

  public boolean authenticated() {
    return authenticated;
  }

  /** Event messages written to this client (each element of a coalesced frame counts). */
  public long eventsSent() {
    return eventsSent.get();
  }

  /** Frames written as a JSON array of several messages. */
  public long arrayFramesSent() {
    return arrayFramesSent.get();
  }

  /** Every text frame received, in order (binary frames appear as {@code <binary N bytes>}). */
  public synchronized List<String> frames() {
    return List.copyOf(frames);
  }

  /** Every command received after the auth message, arrays flattened, in order; unparseable frames skipped. */
  public List<JsonObject> commands() {
    List<JsonObject> out = new ArrayList<>();
    List<String> all = frames();
    for (int i = 1; i < all.size(); i++) {
      Object value;
      try {
        value = Json.decodeValue(all.get(i));
      } catch (DecodeException e) {
        continue;
      }
      if (value instanceof JsonObject o) {
        out.add(o);
      } else if (value instanceof JsonArray a) {
        a.forEach(v -> {
          if (v instanceof JsonObject o) {
            out.add(o);
          }
        });
      }
    }
    return out;
  }

  /** The {@code id} of every command, in the order received. */
  public List<Long> commandIds() {
    return commands().stream().map(c -> c.getValue("id") instanceof Number n ? n.longValue() : -1L).toList();
  }

  /** The commands of one {@code type}, in order. */
  public List<JsonObject> commands(String type) {
    return commands().stream().filter(c -> type.equals(c.getValue("type"))).toList();
  }

  @Override
  public String toString() {
    return "connection " + number + (isOpen() ? " (open)" : " (closed " + closeCode + ")") + ", " + frames().size() + " frames";
  }
}
