package dev.switchboard.core.envelope;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A data envelope {@code {seq, ts, source, type, data}} whose data is a JSON object or array exactly as
 * the upstream sent it, already checked to be strict JSON ({@link StrictJson}). It travels the event
 * bus as it is ({@link JsonEnvelopeCodec}): the bridge's fan-out path writes the upstream's own bytes
 * into its frames, and a consumer in this process gets a {@link JsonObject} that parses the data only
 * when it is read ({@link EnvelopeView}). Either way a consumer sees the same envelope as before.
 * <p>
 * The top-level fields are listed by {@link #heads()} and read by {@link #head(String)}; {@code data} is
 * always last. A new field is a component here, its name in the lists and a case in {@code head}: the
 * view, the JSON and the wire form follow.
 *
 * @param epoch    in a cluster, the owner's lease epoch (the JSON's {@code epoch}); 0 in a single process,
 *                 where the envelope has no such field
 * @param dataText the data as text (what a consumer's parse reads)
 * @param dataUtf8 the same data as the UTF-8 bytes it arrived in (what the bridge writes)
 */
public record JsonEnvelope(long seq, long ts, String source, String type, long epoch, String dataText, Buffer dataUtf8) {
  /** The top-level fields before {@code data}, in the order of the envelope's JSON. */
  private static final List<String> HEAD = List.of("seq", "ts", "source", "type");
  private static final List<String> HEAD_WITH_EPOCH = List.of("seq", "ts", "source", "type", "epoch");
  public static final String DATA = "data";

  /** The names of the top-level fields before {@code data}, in the order of the envelope's JSON. */
  public List<String> heads() {
    return epoch > 0 ? HEAD_WITH_EPOCH : HEAD;
  }

  /** A top-level field other than {@code data}; null for a name the envelope does not have. */
  public Object head(String name) {
    return switch (name) {
      case "seq" -> seq;
      case "ts" -> ts;
      case "source" -> source;
      case "type" -> type;
      case "epoch" -> epoch > 0 ? epoch : null;
      default -> null;
    };
  }

  /** The data as a new JsonObject or JsonArray, parsed as the listener parsed it before (Vert.x's Jackson codec). */
  public Object parseData() {
    return dataText.stripLeading().startsWith("{") ? new JsonObject(dataText) : new JsonArray(dataText);
  }

  /** The envelope as a new, ordinary JsonObject (its data parsed). */
  public JsonObject toJsonObject() {
    JsonObject out = new JsonObject();
    for (String name : heads()) {
      out.put(name, head(name));
    }
    return out.put(DATA, parseData());
  }

  /** Appends the envelope's JSON, {@code {"seq":1,...,"data":<the upstream's bytes>}}, to {@code out}. */
  public Buffer appendJson(Buffer out) {
    return appendHead(out).appendBuffer(dataUtf8).appendByte((byte) '}');
  }

  /**
   * Appends the envelope's JSON up to its data, {@code {"seq":1,...,"data":}}: what comes after it is
   * {@link #dataUtf8()} and a closing brace. Lets a writer size its buffer before it copies the data.
   */
  public Buffer appendHead(Buffer out) {
    char separator = '{';
    for (String name : heads()) {
      out.appendByte((byte) separator).appendByte((byte) '"').appendString(name).appendString("\":");
      appendScalar(out, head(name));
      separator = ',';
    }
    return out.appendString(",\"data\":");
  }

  /** The envelope's JSON alone. */
  public Buffer toBuffer() {
    return appendJson(Buffer.buffer(dataUtf8.length() + 96));
  }

  private static void appendScalar(Buffer out, Object value) {
    if (value instanceof Long || value instanceof Integer) {
      out.appendString(value.toString());
    } else if (value instanceof String s && isPlainAscii(s)) {
      out.appendByte((byte) '"').appendString(s).appendByte((byte) '"');
    } else {
      out.appendString(Json.encode(value), StandardCharsets.UTF_8.name()); // escapes what needs escaping
    }
  }

  /** Printable ASCII without a quote or a backslash: written as it is inside quotes. */
  private static boolean isPlainAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
        return false;
      }
    }
    return true;
  }
}
