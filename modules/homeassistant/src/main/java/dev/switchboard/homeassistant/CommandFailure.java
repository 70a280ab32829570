package dev.switchboard.homeassistant;

import io.vertx.core.json.JsonObject;

/**
 * A command that did not succeed: Home Assistant's error ({@code code} such as {@code not_found},
 * {@code unauthorized}), or no answer in time ({@code timeout}), or no connection ({@code not_connected}).
 */
final class CommandFailure extends RuntimeException {
  private final String code;

  CommandFailure(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  static CommandFailure of(JsonObject error) {
    if (error == null) {
      return new CommandFailure("unknown_error", "Home Assistant answered success: false without an error");
    }
    return new CommandFailure(String.valueOf(error.getValue("code")), String.valueOf(error.getValue("message")));
  }

  String code() {
    return code;
  }

  @Override
  public String toString() {
    return code + ": " + getMessage();
  }
}
