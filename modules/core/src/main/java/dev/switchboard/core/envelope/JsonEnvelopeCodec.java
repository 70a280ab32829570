package dev.switchboard.core.envelope;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * How a {@link JsonEnvelope} travels the event bus. Inside this process it is not copied: each
 * consumer gets its own {@link JsonObject} over an {@link EnvelopeView} (two small objects; the data is
 * parsed only if that consumer reads it), where a published JsonObject is deep-copied for every
 * consumer. Across the wire (a clustered event bus) it is the envelope's JSON, and the other side
 * gets an ordinary JsonObject.
 */
public final class JsonEnvelopeCodec implements MessageCodec<JsonEnvelope, JsonObject> {
  public static final String NAME = "switchboard-json-envelope";

  /** Makes {@link JsonEnvelope} publishable on this Vert.x's event bus; calling it again is harmless. */
  public static synchronized void register(Vertx vertx) {
    try {
      vertx.eventBus().registerDefaultCodec(JsonEnvelope.class, new JsonEnvelopeCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // registered by another listener of this Vert.x
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, JsonEnvelope envelope) {
    Buffer json = envelope.toBuffer();
    buffer.appendInt(json.length()).appendBuffer(json);
  }

  @Override
  public JsonObject decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return new JsonObject(buffer.slice(pos + 4, pos + 4 + length));
  }

  @Override
  public JsonObject transform(JsonEnvelope envelope) {
    return new JsonObject(new EnvelopeView(envelope));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
