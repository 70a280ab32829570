package dev.switchboard.market;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A Java client's request on {@code market.<name>.watch} or {@code .unwatch}, validated.
 *
 * @param channel null on an unwatch meaning every channel
 * @param symbols canonical; null on an unwatch meaning every symbol
 */
record WatchRequest(String client, Channel channel, List<String> symbols) {
  static final int MAX_CLIENT_LENGTH = 100;
  private static final Set<String> FIELDS = Set.of("client", "channel", "symbols");

  /** {@code {client, channel, symbols}}, all required. */
  static WatchRequest forWatch(Object body) {
    JsonObject json = object(body, "a watch request is a JSON object {\"client\": ..., \"channel\": ..., \"symbols\": [...]}");
    return new WatchRequest(client(json), channel(json, true), symbols(json, true));
  }

  /** {@code {client, channel?, symbols?}}: without symbols, everything of that client (on that channel). */
  static WatchRequest forUnwatch(Object body) {
    JsonObject json = object(body, "an unwatch request is a JSON object {\"client\": ..., \"channel\"?: ..., \"symbols\"?: [...]}");
    Channel channel = channel(json, false);
    List<String> symbols = symbols(json, false);
    if (symbols != null && channel == null) {
      throw new IllegalArgumentException("\"symbols\" needs a \"channel\" (" + Channel.names() + ")");
    }
    return new WatchRequest(client(json), channel, symbols);
  }

  private static JsonObject object(Object body, String shape) {
    if (!(body instanceof JsonObject json)) {
      throw new IllegalArgumentException(shape);
    }
    for (String field : json.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw new IllegalArgumentException("unknown field \"" + field + "\"; " + shape);
      }
    }
    return json;
  }

  private static String client(JsonObject json) {
    if (!(json.getValue("client") instanceof String client) || client.isBlank()) {
      throw new IllegalArgumentException("\"client\" must be a non-empty string naming the watcher (e.g. the verticle)");
    }
    if (client.length() > MAX_CLIENT_LENGTH) {
      throw new IllegalArgumentException("\"client\" must be at most " + MAX_CLIENT_LENGTH + " characters");
    }
    return client;
  }

  private static Channel channel(JsonObject json, boolean required) {
    Object value = json.getValue("channel");
    if (value == null && !required) {
      return null;
    }
    if (!(value instanceof String name)) {
      throw new IllegalArgumentException("\"channel\" must be one of " + Channel.names());
    }
    return Channel.of(name).orElseThrow(() ->
        new IllegalArgumentException("unknown channel \"" + name + "\"; use one of " + Channel.names()));
  }

  private static List<String> symbols(JsonObject json, boolean required) {
    Object value = json.getValue("symbols");
    if (value == null && !required) {
      return null;
    }
    List<Object> raw = new ArrayList<>();
    if (value instanceof String single) {
      raw.add(single);
    } else if (value instanceof JsonArray array && !array.isEmpty()) {
      array.forEach(raw::add);
    } else {
      throw new IllegalArgumentException("\"symbols\" must be a non-empty array of symbols (e.g. [\"AAPL\", \"MSFT\"]), or one symbol");
    }
    Set<String> out = new LinkedHashSet<>();
    List<String> problems = new ArrayList<>();
    for (Object symbol : raw) {
      try {
        out.add(Symbols.normalize(symbol));
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems) + " (nothing was watched or unwatched)");
    }
    return List.copyOf(out);
  }
}
