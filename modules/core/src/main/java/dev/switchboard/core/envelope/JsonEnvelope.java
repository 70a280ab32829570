package dev.switchboard.core.envelope;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

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

  /** The data as text, decoded from its bytes. */
  public String dataText() {
    return dataUtf8.toString(StandardCharsets.UTF_8);
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
   * {@link #dataUtf8()} and a closing brace. Lets a writer size its buffer before it copies the data.
   * Written for every message a bridge client gets, so it builds no strings: names and the source come
   * from bytes encoded once, numbers are written digit by digit.
   */
  public Buffer appendHead(Buffer out) {
    char separator = '{';
    for (String name : heads()) {
      out.appendByte((byte) separator).appendBytes(quotedName(name));
      long n = number(name);
      if (n >= 0) {
        appendDigits(out, n);
      } else {
        out.appendBytes(scalar(head(name)));
      }
      separator = ',';
    }
    return out.appendBytes(DATA_NAME);
  }

  /** How many bytes {@link #appendHead} writes: lets a writer put the head straight into a frame it sizes first. */
  public int headLength() {
    int length = DATA_NAME.length;
    for (String name : heads()) {
      long n = number(name);
      length += 1 + quotedName(name).length + (n >= 0 ? digits(n) : scalar(head(name)).length);
    }
    return length;
  }

  /** The envelope's JSON alone. */
  public Buffer toBuffer() {
    return appendJson(Buffer.buffer(dataUtf8.length() + 96));
  }

  private static final byte[] DATA_NAME = ",\"data\":".getBytes(StandardCharsets.US_ASCII);
  private static final Map<String, byte[]> QUOTED_NAMES = HEAD_WITH_EPOCH.stream()
      .collect(Collectors.toUnmodifiableMap(n -> n, n -> ("\"" + n + "\":").getBytes(StandardCharsets.US_ASCII)));
  /**
   * Sources and types as JSON strings, encoded once each: there are as many as listeners and kinds.
   * Bounded all the same, past which a string is encoded each time.
   */
  private static final Map<String, byte[]> ENCODED = new ConcurrentHashMap<>();
  private static final int MAX_ENCODED = 4_096;

  private static byte[] quotedName(String name) {
    byte[] known = QUOTED_NAMES.get(name);
    return known != null ? known : (Json.encode(name) + ":").getBytes(StandardCharsets.UTF_8);
  }

  /** A head that is a number, unboxed (written for every frame); -1 for any other, or a negative one. */
  private long number(String name) {
    return switch (name) {
      case "seq" -> seq;
      case "ts" -> ts;
      case "epoch" -> epoch;
      default -> -1;
    };
  }

  /** Any other head value as JSON's bytes; a string (a source, a type) encoded once. */
  private static byte[] scalar(Object value) {
    if (!(value instanceof String s)) {
      return Json.encode(value).getBytes(StandardCharsets.UTF_8);
    }
    byte[] json = ENCODED.get(s);
    if (json == null) {
      json = Json.encode(s).getBytes(StandardCharsets.UTF_8); // escapes what needs escaping
      if (ENCODED.size() < MAX_ENCODED) {
        ENCODED.put(s, json);
      }
    }
    return json;
  }

  private static int digits(long n) {
    int digits = 1;
    for (long rest = n / 10; rest > 0; rest /= 10) {
      digits++;
    }
    return digits;
  }

  /** A non-negative number's decimal digits, written in place. */
  private static void appendDigits(Buffer out, long n) {
    int digits = digits(n);
    int at = out.length() + digits;
    for (int i = 1; i <= digits; i++) {
      out.setByte(at - i, (byte) ('0' + n % 10));
      n /= 10;
    }
  }

}
