package dev.switchboard.core;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.vertx.core.json.DecodeException;

/**
 * What is wrong with a JSON text, said so that a person can fix it: where (line and column) and what, without the
 * parser's note on its source ({@code at [Source: REDACTED ...]}), which says nothing to the reader.
 */
public final class JsonSyntax {
  private JsonSyntax() {
  }

  /**
   * {@code line 2, column 10: Unrecognized token 'tru': ...} when {@code e} is (or was caused by) the parser's
   * error, else its message: a caller that catches more than {@link DecodeException} passes whatever it caught.
   */
  public static String describe(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof JsonProcessingException parse && parse.getLocation() != null) {
        JsonLocation at = parse.getLocation();
        return "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": " + parse.getOriginalMessage();
      }
    }
    return e.getMessage();
  }
}
