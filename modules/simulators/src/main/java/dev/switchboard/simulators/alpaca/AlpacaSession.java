package dev.switchboard.simulators.alpaca;

import dev.switchboard.core.Msgpack;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One client connection, speaking the Alpaca stream protocol: welcome, auth (by message, before or
 * after the welcome, or by headers), subscribe/unsubscribe answered with the full set, and data for
 * what is subscribed. Frames are JSON text, or msgpack binary when the upgrade asked for it with
 * {@code Content-Type: application/msgpack} (as every official SDK does); the client's own messages
 * may come either way. Runs on the simulator's event loop only.
 */
final class AlpacaSession {
  /** At most 20 characters, as the market listener allows (its Symbols.MAX_LENGTH). */
  static final Pattern SYMBOL = Pattern.compile("[A-Z0-9][A-Z0-9./-]{0,19}");
  private static final int MAX_BATCH = 100;
  /**
   * On the stock endpoints, every this many trades of a symbol that trade is corrected, and halfway between, one is
   * cancelled (each right after it, in the same frame): Alpaca sends both with every trades subscription, unasked.
   */
  static final int CORRECT_EVERY = 40;
  /** In msgpack, {@code t} is a Timestamp extension: alpaca-py calls {@code to_datetime()} on it, the Go SDK {@code DecodeTime()}. */
  private static final Set<String> TIMESTAMP_KEYS = Set.of("t");

  final int id;
  final AlpacaEndpoint endpoint;
  final ServerWebSocket ws;
  private final AlpacaSimulator simulator;
  private final AlpacaSimulatorOptions options;
  private final Vertx vertx;
  private final MultiMap upgradeHeaders;
  private final Map<String, LinkedHashSet<String>> subscriptions = new LinkedHashMap<>();
  /** "channel:symbol" -> until when data still comes after an unsubscribe. */
  private final Map<String, Long> late = new HashMap<>();
  private final List<Runnable> beforeWelcome = new ArrayList<>();
  /** Trades sent per symbol: when to send a correction or a cancel/error (stock endpoints only). */
  private final Map<String, Long> tradesSent = new HashMap<>();
  /** The upgrade asked for msgpack: every frame to this client is binary msgpack. */
  final boolean msgpack;
  private boolean welcomed;
  private boolean authenticated;
  private String key;
  boolean muted;
  private int unanswered;
  private Future<Void> answers = Future.succeededFuture();
  private long authTimer = -1;

  AlpacaSession(int id, AlpacaEndpoint endpoint, ServerWebSocket ws, MultiMap upgradeHeaders, AlpacaSimulator simulator,
                AlpacaSimulatorOptions options, Vertx vertx) {
    this.id = id;
    this.endpoint = endpoint;
    this.ws = ws;
    this.upgradeHeaders = upgradeHeaders;
    this.simulator = simulator;
    this.options = options;
    this.vertx = vertx;
    this.msgpack = String.valueOf(upgradeHeaders.get("Content-Type")).toLowerCase(java.util.Locale.ROOT).contains("application/msgpack");
    endpoint.channels().forEach(c -> subscriptions.put(c, new LinkedHashSet<>()));
  }

  void start() {
    ws.setWriteQueueMaxSize(options.maxOutboundBytes());
    ws.textMessageHandler(text -> {
      simulator.clientFrame(false);
      received(() -> onText(text));
    });
    ws.binaryMessageHandler(bytes -> {
      simulator.clientFrame(true);
      received(() -> onBinary(bytes));
    });
    if (options.authTimeout().toMillis() > 0) {
      authTimer = vertx.setTimer(options.authTimeout().toMillis(), t -> {
        if (!authenticated && !ws.isClosed()) {
          error(404, "auth timeout");
          ws.close((short) 1008, "auth timeout");
        }
      });
    }
    if (options.welcomeDelay().isZero()) {
      welcome();
    } else {
      vertx.setTimer(options.welcomeDelay().toMillis(), t -> welcome());
    }
  }

  private void welcome() {
    if (ws.isClosed()) {
      return;
    }
    welcomed = true;
    control(new JsonObject().put("T", "success").put("msg", "connected"));
    String headerKey = upgradeHeaders.get("APCA-API-KEY-ID");
    String headerSecret = upgradeHeaders.get("APCA-API-SECRET-KEY");
    if (headerKey != null || headerSecret != null) {
      authenticate(headerKey, headerSecret);
    }
    List<Runnable> queued = List.copyOf(beforeWelcome);
    beforeWelcome.clear();
    queued.forEach(Runnable::run);
  }

  boolean authenticated() {
    return authenticated;
  }

  String key() {
    return key;
  }

  void ended() {
    if (authTimer >= 0) {
      vertx.cancelTimer(authTimer);
    }
  }

  // ---- client messages -------------------------------------------------------------------------

  private void received(Runnable handling) {
    if (welcomed) {
      handling.run();
    } else {
      beforeWelcome.add(handling); // answered in order once "connected" is out, as a client sending auth on open expects
    }
  }

  private void onText(String text) {
    JsonObject message;
    try {
      message = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      error(400, "invalid syntax");
      return;
    }
    onMessage(message);
  }

  private void onBinary(Buffer bytes) {
    Object message;
    try {
      message = Msgpack.decode(bytes, instant -> instant);
    } catch (IllegalArgumentException e) {
      error(400, "invalid syntax");
      return;
    }
    if (message instanceof JsonObject object) {
      onMessage(object);
    } else {
      error(400, "invalid syntax");
    }
  }

  private void onMessage(JsonObject message) {
    Object action = message.getValue("action");
    if ("auth".equals(action)) {
      onAuth(message);
    } else if ("subscribe".equals(action) || "unsubscribe".equals(action)) {
      onChange((String) action, message);
    } else {
      error(400, "invalid syntax");
    }
  }

  private void onAuth(JsonObject message) {
    if (authenticated) {
      error(403, "already authenticated");
      return;
    }
    Object k = message.getValue("key");
    Object s = message.getValue("secret");
    authenticate(k instanceof String ks ? ks : null, s instanceof String ss ? ss : null);
  }

  private void authenticate(String key, String secret) {
    AlpacaError refusal = simulator.authorize(this, key, secret);
    if (refusal != null) {
      error(refusal.code(), refusal.message());
      if (refusal.code() == 406 && options.closeAfter406()) {
        ws.close((short) 1008, "connection limit exceeded");
      }
      return;
    }
    authenticated = true;
    this.key = key;
    if (authTimer >= 0) {
      vertx.cancelTimer(authTimer);
      authTimer = -1;
    }
    control(new JsonObject().put("T", "success").put("msg", "authenticated"));
  }

  private void onChange(String action, JsonObject request) {
    simulator.recordChange(new SubscriptionChange(id, endpoint.feed(), System.currentTimeMillis(), action, request.copy(), unanswered > 0));
    unanswered++;
    Duration delay = simulator.ackDelay();
    answers = answers
        .compose(v -> delay.isZero() ? Future.<Void>succeededFuture() : vertx.timer(delay.toMillis()).mapEmpty())
        .andThen(v -> {
          unanswered--;
          if (!ws.isClosed()) {
            answer(action, request);
          }
        });
  }

  private void answer(String action, JsonObject request) {
    if (!authenticated) {
      error(401, "not authenticated");
      return;
    }
    AlpacaError failure = simulator.nextChangeFailure();
    if (failure != null) {
      error(failure.code(), failure.message());
      return;
    }
    Map<String, List<String>> asked = new LinkedHashMap<>();
    for (String field : request.fieldNames()) {
      if (field.equals("action") || AlpacaEndpoint.AUTOMATIC.contains(field)) {
        continue;
      }
      if (endpoint.belongsElsewhere(field)) {
        error(410, "invalid subscribe action for this feed");
        return;
      }
      if (!endpoint.channels().contains(field) || !(request.getValue(field) instanceof JsonArray symbols)) {
        error(400, "invalid syntax");
        return;
      }
      List<String> list = new ArrayList<>();
      for (Object symbol : symbols) {
        if (!(symbol instanceof String s) || !(s.equals("*") || SYMBOL.matcher(s).matches()) || simulator.badlyFormatted(s)) {
          error(400, "invalid syntax");
          return;
        }
        list.add(s);
      }
      asked.put(field, list);
    }
    if (action.equals("subscribe")) {
      Map<String, LinkedHashSet<String>> next = copy(subscriptions);
      asked.forEach((channel, symbols) -> next.get(channel).addAll(symbols));
      if (options.symbolLimit() > 0 && count(next) > options.symbolLimit()) {
        error(405, "symbol limit exceeded"); // atomic: the set stays as it was
        return;
      }
      asked.forEach((channel, symbols) -> symbols.forEach(s -> late.remove(channel + ":" + s)));
      subscriptions.clear();
      subscriptions.putAll(next);
    } else {
      long until = System.currentTimeMillis() + options.lateDelivery().toMillis();
      asked.forEach((channel, symbols) -> symbols.forEach(s -> {
        if (subscriptions.get(channel).remove(s) && !options.lateDelivery().isZero()) {
          late.put(channel + ":" + s, until);
        }
      }));
    }
    control(subscriptionAnswer());
  }

  private int count(Map<String, LinkedHashSet<String>> set) {
    if (options.countPairs()) {
      return set.values().stream().mapToInt(s -> (int) s.stream().filter(x -> !x.equals("*")).count()).sum();
    }
    Set<String> distinct = new LinkedHashSet<>();
    set.values().forEach(distinct::addAll);
    distinct.remove("*");
    return distinct.size();
  }

  private static Map<String, LinkedHashSet<String>> copy(Map<String, LinkedHashSet<String>> set) {
    Map<String, LinkedHashSet<String>> out = new LinkedHashMap<>();
    set.forEach((k, v) -> out.put(k, new LinkedHashSet<>(v)));
    return out;
  }

  /** The full current set, every key of the endpoint present; corrections and cancelErrors mirror trades. */
  JsonObject subscriptionAnswer() {
    JsonObject answer = new JsonObject().put("T", "subscription");
    for (String key : endpoint.answerKeys()) {
      Set<String> symbols = AlpacaEndpoint.AUTOMATIC.contains(key) ? subscriptions.get("trades") : subscriptions.get(key);
      answer.put(key, new JsonArray(new ArrayList<>(symbols)));
    }
    subscriptions.forEach((channel, symbols) -> {
      if (!answer.containsKey(channel) && !symbols.isEmpty()) {
        answer.put(channel, new JsonArray(new ArrayList<>(symbols)));
      }
    });
    return answer;
  }

  /** A snapshot of what this session is subscribed to, per channel. */
  Map<String, List<String>> subscriptions() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    subscriptions.forEach((channel, symbols) -> out.put(channel, List.copyOf(symbols)));
    return out;
  }

  /** Forgets a subscription without telling the client: the next answer shows it gone. */
  void lose(String channel, String symbol) {
    LinkedHashSet<String> symbols = subscriptions.get(channel);
    if (symbols != null) {
      symbols.remove(symbol);
    }
  }

  // ---- data -------------------------------------------------------------------------------------

  void tick(MarketDataGenerator data) {
    if (!authenticated || muted || ws.isClosed()) {
      return;
    }
    JsonArray batch = new JsonArray();
    for (String symbol : symbolsFor("trades")) {
      JsonObject trade = data.trade(symbol, endpoint.crypto());
      batch.add(trade);
      if (!endpoint.crypto()) {
        long n = tradesSent.merge(symbol, 1L, Long::sum);
        if (n % CORRECT_EVERY == 0) {
          batch.add(data.correction(trade));
        } else if (n % CORRECT_EVERY == CORRECT_EVERY / 2) {
          batch.add(data.cancelError(trade));
        }
      }
    }
    for (String symbol : symbolsFor("quotes")) {
      batch.add(data.quote(symbol, endpoint.crypto()));
    }
    writeData(batch);
  }

  void bars(MarketDataGenerator data) {
    if (!authenticated || muted || ws.isClosed()) {
      return;
    }
    JsonArray batch = new JsonArray();
    symbolsFor("bars").forEach(symbol -> batch.add(data.bar(symbol)));
    writeData(batch);
  }

  private Set<String> symbolsFor(String channel) {
    Set<String> out = new LinkedHashSet<>();
    Set<String> subscribed = subscriptions.get(channel);
    if (subscribed.contains("*")) {
      out.addAll(endpoint.universe(options.universe()));
    }
    subscribed.stream().filter(s -> !s.equals("*")).forEach(out::add);
    if (!late.isEmpty()) {
      long now = System.currentTimeMillis();
      late.values().removeIf(until -> until < now);
      String prefix = channel + ":";
      late.keySet().stream().filter(k -> k.startsWith(prefix)).forEach(k -> out.add(k.substring(prefix.length())));
    }
    return out;
  }

  /** Sends data messages, several to a frame, never mixed with control messages. */
  void writeData(JsonArray messages) {
    for (int from = 0; from < messages.size(); from += MAX_BATCH) {
      if (ws.isClosed()) {
        return;
      }
      if (ws.writeQueueFull()) {
        slowClient();
        return;
      }
      JsonArray frame = new JsonArray(messages.getList().subList(from, Math.min(messages.size(), from + MAX_BATCH)));
      write(frame);
      simulator.countData(frame.size());
    }
  }

  /** The client does not read fast enough: 407 (best effort), then the connection is closed. */
  void slowClient() {
    error(407, "slow client");
    ws.close((short) 1008, "slow client");
  }

  void control(JsonObject message) {
    if (!ws.isClosed()) {
      write(new JsonArray().add(message));
    }
  }

  /** One frame in this client's encoding. */
  void write(JsonArray frame) {
    if (msgpack) {
      ws.writeBinaryMessage(Msgpack.encode(frame, TIMESTAMP_KEYS));
    } else {
      ws.writeTextMessage(frame.encode());
    }
  }

  /** A frame that breaks off in the middle, in this client's encoding. */
  void writeMalformed() {
    if (msgpack) {
      Buffer whole = Msgpack.encode(new JsonArray().add(new JsonObject().put("T", "t").put("S", "AAPL")), TIMESTAMP_KEYS);
      ws.writeBinaryMessage(whole.getBuffer(0, whole.length() - 3));
    } else {
      ws.writeTextMessage("[{\"T\":\"t\",\"S\":");
    }
  }

  void error(int code, String message) {
    simulator.recordError(id, code);
    control(new JsonObject().put("T", "error").put("code", code).put("msg", message));
  }
}
