package dev.switchboard.core.envelope;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.jackson.JacksonCodec;

import java.io.IOException;

/**
 * Checks that a text is one JSON object or array, without building it. The parser has Vert.x's
 * features and limits (nesting, number length: the constraints are taken from a parser of Vert.x's
 * own factory), so whatever passes here is what {@code new JsonObject(text)} or
 * {@code new JsonArray(text)} would accept, with one difference on the strict side: no comments.
 * Vert.x's parser allows C-style comments and drops them; forwarding such a text as it is would hand
 * a browser's {@code JSON.parse} something it refuses. So a {@code false} here only means "not plain
 * JSON": the caller parses it the usual way, which decides whether it is malformed.
 * <p>
 * One checker reads every message of one listener, with one parser: Jackson's non-blocking parser,
 * fed each message's bytes where they are, reads one root value after another and keeps its
 * contexts, so a check allocates nothing (a new parser per message allocated 808 bytes for a
 * 330-byte message, a quarter of what one stream allocated per message). After anything but one
 * whole container and blanks, the parser is dropped and the next check starts a new one.
 * Not thread-safe: one per listener instance, used on its event loop.
 */
public final class StrictJson {
  /**
   * Vert.x's factory but for two things: comments are refused, and field names are not interned
   * ({@code String.intern}, a JVM-wide table, was 40% of this check in a profile). They are still
   * canonicalized: a name the factory's symbol table has seen is not built again. The table is
   * Jackson's, bounded (a table grown past its limit is dropped) and guarded against hash floods.
   */
  private static final JsonFactory FACTORY;
  /**
   * How deep an upstream's JSON may nest: a few levels below Vert.x's own limit. Deeper, it could be read,
   * but not written again inside the envelope, a history reply and a bridge frame, each a level more: a
   * history that kept it could answer no request for its address.
   */
  public static final int MAX_DEPTH;

  static {
    try (JsonParser vertx = JacksonCodec.createParser("{}")) {
      MAX_DEPTH = vertx.streamReadConstraints().getMaxNestingDepth() - 8;
      FACTORY = JsonFactory.builder()
          .streamReadConstraints(vertx.streamReadConstraints().rebuild().maxNestingDepth(MAX_DEPTH).build())
          .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
          .disable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
          .build();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private JsonParser parser;
  /** Bytes fed to {@link #parser} before the current message: where the message starts in its input. */
  private long fed;

  /**
   * True if {@code utf8}, the UTF-8 bytes of a text (already checked to be valid UTF-8), is exactly one
   * JSON object or array, without comments. The bytes are read where they are: no text is decoded.
   */
  public boolean isPlainContainer(Buffer utf8) {
    int length = utf8.length();
    int end = lastNonBlank(utf8) + 1;
    // A skipped string is checked (quotes, escapes, control characters) but not measured against the
    // longest string allowed; a text of fewer bytes than that limit cannot hold a longer string.
    if (end == 0 || length > FACTORY.streamReadConstraints().getMaxStringLength()) {
      return false;
    }
    ByteBuf bytes = BufferBytes.readOnly(utf8);
    try {
      if (parser == null) {
        parser = FACTORY.createNonBlockingByteArrayParser();
        fed = 0;
      }
      long start = fed;
      ByteArrayFeeder feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
      if (bytes.hasArray()) {
        int offset = bytes.arrayOffset() + bytes.readerIndex();
        feeder.feedInput(bytes.array(), offset, offset + length);
      } else {
        feeder.feedInput(utf8.getBytes(), 0, length);
      }
      fed += length;
      JsonToken root = parser.nextToken();
      if (root != JsonToken.START_OBJECT && root != JsonToken.START_ARRAY) {
        return discard();
      }
      for (int depth = 1; depth > 0; ) {
        JsonToken token = parser.nextToken();
        if (token == null || token == JsonToken.NOT_AVAILABLE) {
          return discard(); // the text ends inside the value
        }
        if (token.isStructStart()) {
          depth++;
        } else if (token.isStructEnd()) {
          depth--;
        }
      }
      // The root value must end at the last byte that is not blank: nothing after it, as Vert.x requires.
      // (A token after it could also be the start of a longer one, which the parser would wait for.)
      if (parser.currentLocation().getByteOffset() - start != end) {
        return discard();
      }
      return parser.nextToken() == JsonToken.NOT_AVAILABLE || discard(); // reads the trailing blanks
    } catch (IOException | RuntimeException e) {
      return discard();
    }
  }

  /** How deep {@code text} nests its objects and arrays, strings skipped: what {@link #MAX_DEPTH} bounds. */
  public static int nestingDepth(String text) {
    int depth = 0;
    int deepest = 0;
    boolean inString = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++; // the escaped character, a quote included
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        deepest = Math.max(deepest, ++depth);
      } else if (c == '}' || c == ']') {
        depth--;
      }
    }
    return deepest;
  }

  private boolean discard() {
    JsonParser broken = parser;
    parser = null;
    try {
      if (broken != null) {
        broken.close();
      }
    } catch (IOException e) {
      // nothing was open but memory
    }
    return false;
  }

  /** The index of the last byte that is not {@link #isBlank blank}; -1 if none. */
  private static int lastNonBlank(Buffer utf8) {
    for (int i = utf8.length() - 1; i >= 0; i--) {
      if (!isBlank(utf8.getByte(i))) {
        return i;
      }
    }
    return -1;
  }

  /** JSON's whitespace: space, tab, line feed, carriage return. */
  static boolean isBlank(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }
}
