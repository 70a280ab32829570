package dev.switchboard.core.envelope;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import io.vertx.core.json.jackson.JacksonCodec;

import java.io.IOException;

/**
 * Checks that a text is one JSON object or array, without building it. The parser has Vert.x's
 * features and limits (nesting, number length: the constraints are taken from a parser of Vert.x's
 * own factory), so whatever passes here is what {@code new JsonObject(text)} or
 * {@code new JsonArray(text)} would accept, with one difference on the strict side: no comments. Vert.x's parser allows C-style comments and drops them; forwarding
 * such a text as it is would hand a browser's {@code JSON.parse} something it refuses. So a
 * {@code false} here only means "not plain JSON": the caller parses it the usual way, which decides
 * whether it is malformed.
 */
public final class StrictJson {
  /**
   * Vert.x's factory but for two things: comments are refused, and field names are not canonicalized
   * (interned in a symbol table for the objects a parse builds; nothing is built here, and in a
   * profile it was 40% of this check).
   */
  private static final JsonFactory FACTORY;

  static {
    try (JsonParser vertx = JacksonCodec.createParser("{}")) {
      FACTORY = JsonFactory.builder()
          .streamReadConstraints(vertx.streamReadConstraints())
          .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
          .disable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
          .build();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private StrictJson() {
  }

  /** True if {@code text} is exactly one JSON object or array, without comments. */
  public static boolean isPlainContainer(String text) {
    try (JsonParser parser = FACTORY.createParser(text)) {
      // A skipped string is checked (quotes, escapes, control characters) but not measured against the
      // longest string allowed; a text shorter than that limit cannot hold a longer string.
      if (text.length() > parser.streamReadConstraints().getMaxStringLength()) {
        return false;
      }
      JsonToken root = parser.nextToken();
      if (root != JsonToken.START_OBJECT && root != JsonToken.START_ARRAY) {
        return false;
      }
      parser.skipChildren();
      return parser.nextToken() == null; // nothing after the root value, as Vert.x requires
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
