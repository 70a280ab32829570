package dev.switchboard.core.envelope;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A data envelope {@code {seq, ts, source, type, data}} whose data is a JSON object or array exactly as
 * the upstream sent it, already checked to be strict JSON ({@link StrictJson}). It travels the event
 * bus as it is ({@link JsonEnvelopeCodec}): the bridge's fan-out path writes the upstream's own bytes
 * into its frames, and a consumer in this process gets a {@link JsonObject} that parses the data only
 * when it is read ({@link EnvelopeView}). Either way a consumer sees the same envelope as before.
 * <p>
 * The top-level fields are listed by {@link #heads()} and read by {@link #head(String)}; {@code data} is
 * always last. A new field is a component here, its name in the lists, a case in {@code head}, and its
 * bytes in {@link #writeHead} and {@link #headLength()}: the view, the JSON and the wire form follow
 * ({@code JsonEnvelopeTest} checks that the bytes and the view agree).
 *
 * @param epoch    in a cluster, the owner's lease epoch (the JSON's {@code epoch}); 0 in a single process,
 *                 where the envelope has no such field
 * @param dataUtf8 the data as the UTF-8 bytes it arrived in: what the bridge writes, and what a consumer's parse reads
 */
public record JsonEnvelope(long seq, long ts, String source, String type, long epoch, Buffer dataUtf8) {
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

  /** The data as a new JsonObject or JsonArray, parsed from its bytes by Vert.x's Jackson codec. */
  public Object parseData() {
    return firstNonBlank(dataUtf8) == '{' ? new JsonObject(dataUtf8) : new JsonArray(dataUtf8);
  }

  private static byte firstNonBlank(Buffer json) {
    for (int i = 0; i < json.length(); i++) {
      byte b = json.getByte(i);
      if (!StrictJson.isBlank(b)) {
        return b;
      }
    }
    return 0;
  }

  /**
   * The envelope as a JsonObject that parses its data the first time anything but the head is read
   * ({@link EnvelopeView}): what an in-process consumer receives.
   */
  public JsonObject asJsonObject() {
    return new JsonObject(new EnvelopeView(this));
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
   * {@link #dataUtf8()} and a closing brace.
   */
  private Buffer appendHead(Buffer out) {
    int length = headLength();
    byte[] head = ThreadBytes.atLeast(length);
    writeHead(head, 0);
    return out.appendBytes(head, 0, length);
  }

  /**
   * Writes what {@link #appendHead} appends into {@code out} from {@code at}, where {@link #headLength()}
   * bytes must fit; returns the index after it. Done for every message a bridge client gets, so it is
   * plain array writes: names and the source come from bytes encoded once, numbers digit by digit.
   */
  public int writeHead(byte[] out, int at) {
    at = put(SEQ_NAME, out, at);
    at = putNumber(seq, out, at);
    at = put(TS_NAME, out, at);
    at = putNumber(ts, out, at);
    at = put(SOURCE_NAME, out, at);
    at = put(encoded(source), out, at);
    at = put(TYPE_NAME, out, at);
    at = put(encoded(type), out, at);
    if (epoch > 0) {
      at = put(EPOCH_NAME, out, at);
      at = putNumber(epoch, out, at);
    }
    return put(DATA_NAME, out, at);
  }

  /** How many bytes {@link #writeHead} writes: lets a writer put the head straight into a frame it sizes first. */
  public int headLength() {
    int length = SEQ_NAME.length + numberLength(seq) + TS_NAME.length + numberLength(ts) + SOURCE_NAME.length
        + encoded(source).length + TYPE_NAME.length + encoded(type).length + DATA_NAME.length;
    return epoch > 0 ? length + EPOCH_NAME.length + numberLength(epoch) : length;
  }

  /** The envelope's JSON alone. */
  public Buffer toBuffer() {
    return appendJson(Buffer.buffer(headLength() + dataUtf8.length() + 1));
  }

  private static final byte[] SEQ_NAME = ascii("{\"seq\":");
  private static final byte[] TS_NAME = ascii(",\"ts\":");
  private static final byte[] SOURCE_NAME = ascii(",\"source\":");
  private static final byte[] TYPE_NAME = ascii(",\"type\":");
  private static final byte[] EPOCH_NAME = ascii(",\"epoch\":");
  private static final byte[] DATA_NAME = ascii(",\"data\":");
  private static final byte[] NULL = ascii("null");
  /**
   * Sources and types as JSON strings, encoded once each: there are as many as listeners and kinds.
   * Bounded all the same, past which a string is encoded each time.
   */
  private static final Map<String, byte[]> ENCODED = new ConcurrentHashMap<>();
  private static final int MAX_ENCODED = 4_096;

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  /** A source or a type as JSON's bytes: a quoted string (escaped as Jackson escapes it), or null. */
  private static byte[] encoded(String text) {
    if (text == null) {
      return NULL;
    }
    byte[] json = ENCODED.get(text);
    if (json == null) {
      json = Json.encode(text).getBytes(StandardCharsets.UTF_8);
      if (ENCODED.size() < MAX_ENCODED) {
        ENCODED.put(text, json);
      }
    }
    return json;
  }

  private static int put(byte[] bytes, byte[] out, int at) {
    System.arraycopy(bytes, 0, out, at, bytes.length);
    return at + bytes.length;
  }

  private static int numberLength(long n) {
    if (n < 0) {
      return Long.toString(n).length(); // never for a sequence or a clock; kept exact all the same
    }
    int digits = 1;
    for (long rest = n / 10; rest > 0; rest /= 10) {
      digits++;
    }
    return digits;
  }

  /** A number's decimal digits, written from the last. */
  private static int putNumber(long n, byte[] out, int at) {
    if (n < 0) {
      return put(ascii(Long.toString(n)), out, at);
    }
    int end = at + numberLength(n);
    for (int i = end - 1; i >= at; i--) {
      out[i] = (byte) ('0' + n % 10);
      n /= 10;
    }
    return end;
  }
}
