package dev.switchboard.core.envelope;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * How a {@link JsonEnvelope} travels the event bus. Inside this process it is not copied: each
 * consumer gets its own {@link JsonObject} over an {@link EnvelopeView} (two small objects; the data is
 * parsed only if that consumer reads it), where a published JsonObject is deep-copied for every
 * consumer. Across the wire (a clustered event bus) it is exactly what a JsonObject is there: Vert.x's
 * JsonObject codec id and format. So any Vert.x process in the cluster decodes it as a JsonObject,
 * without this codec: a user's own application needs nothing of Switchboard's.
 */
public final class JsonEnvelopeCodec implements MessageCodec<JsonEnvelope, JsonObject> {
  public static final String NAME = "switchboard-json-envelope";
  /** Vert.x's id of its JsonObject codec, whose wire format {@link #encodeToWire} writes. */
  private static final byte JSON_OBJECT_CODEC_ID = 13;

  /**
   * Vert.x refuses to register a codec that has a system id, so this one says it has none until it is
   * registered; from then on the wire carries the JsonObject codec's id.
   */
  private volatile boolean registered;

  /** Makes {@link JsonEnvelope} publishable on this Vert.x's event bus; calling it again is harmless. */
  public static synchronized void register(Vertx vertx) {
    JsonEnvelopeCodec codec = new JsonEnvelopeCodec();
    try {
      vertx.eventBus().registerDefaultCodec(JsonEnvelope.class, codec);
      codec.registered = true;
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
    return envelope.asJsonObject();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return registered ? JSON_OBJECT_CODEC_ID : -1;
  }
}
