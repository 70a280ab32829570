package dev.switchboard.market;

import dev.switchboard.core.ListenerFailure;
import dev.switchboard.core.Secrets;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.ListenerVerticle;
import dev.switchboard.core.Msgpack;
import dev.switchboard.core.Rfc3339;
import dev.switchboard.core.WebSocketListener;
import dev.switchboard.core.UpstreamTls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * One connection to the Alpaca market-data stream: welcome, auth, then data. It publishes each
 * trade, quote and bar of a wanted symbol as an envelope on {@code market.<name>.<channel>.<SYMBOL>}
 * and drops the rest. It decides nothing about subscriptions: the long-lived registry
 * ({@link MarketSubscriptions}) sends it one change at a time, and it answers each with the
 * upstream's next {@code subscription} (or {@code error}) frame, since the protocol has no ids.
 * <p>
 * With {@code encoding: msgpack} it asks for msgpack frames and sends its own messages in msgpack, as
 * the official SDKs do; each frame is decoded into the same JSON it would have been, timestamps
 * ({@code t}, a Timestamp extension) into the RFC 3339 strings the JSON stream writes.
 */
public class AlpacaListener extends WebSocketListener {
  /** Error codes after which the connection is of no more use. */
  private static final Set<Integer> CONNECTION_ERRORS = Set.of(402, 404, 406, 407, 408, 409, 411, 500);
  /** The registry beside it: straight to its local consumer, in order with the replies (a clustered send asks the cluster first). */
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final AlpacaSettings settings;
  private final MarketAddresses addresses;
  private final Set<Watch> wanted;
  private final Promise<Void> authenticated = Promise.promise();
  private final Map<Channel, Long> lastData = new EnumMap<>(Channel.class);
  /** When the channel found mute went quiet (epoch millis); 0 unless this connection ended as stale. */
  private long mutedSince;
  private final Map<Channel, Long> activeSince = new EnumMap<>(Channel.class);
  private long generation;
  private boolean socketReady;
  private boolean welcomed;
  private boolean authSent;
  private boolean ready;
  private Message<JsonObject> pendingChange;
  private long changeTimer = -1;
  private WatchSet upstream = WatchSet.EMPTY;
  /** msgpack frames to JSON, t as the JSON stream writes it; this connection's event loop only. */
  private final Msgpack.Decoder msgpack = new Msgpack.Decoder(new Rfc3339()::write);

  /** @param wanted what somebody watches now, kept by the registry; read here to drop what nobody wants */
  public AlpacaListener(ListenerSpec spec, ListenerStats stats, AlpacaSettings settings, Set<Watch> wanted) {
    super(spec, stats);
    this.settings = settings;
    this.addresses = new MarketAddresses(spec.name());
    this.wanted = wanted;
  }

  @Override
  protected WebSocketConnectOptions connectOptions() {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setAbsoluteURI(settings.url().toString());
    if (settings.encoding() == AlpacaSettings.Encoding.MSGPACK) {
      options.addHeader("Content-Type", "application/msgpack"); // what the stream reads to choose binary frames
    }
    return options;
  }

  @Override
  protected int maxFrameSize() {
    return settings.maxFrameSize();
  }

  @Override
  protected UpstreamTls tls() {
    return settings.tls();
  }

  @Override
  protected Future<Void> handshake() {
    generation = config().getLong(ListenerVerticle.GENERATION, 0L);
    socketReady = true;
    sendAuthWhenWelcomed();
    return authenticated.future();
  }

  private void sendAuthWhenWelcomed() {
    // The Go SDK and alpaca-py wait for "connected" before the auth; so do we.
    if (socketReady && welcomed && !authSent) {
      authSent = true;
      send(new JsonObject().put("action", "auth").put("key", settings.key()).put("secret", settings.secret()))
          .onFailure(authenticated::tryFail);
    }
  }

  private Future<Void> send(JsonObject message) {
    return settings.encoding() == AlpacaSettings.Encoding.MSGPACK
        ? sendBinary(Msgpack.encode(message, Set.of()))
        : sendText(message.encode());
  }

  // ---- frames -----------------------------------------------------------------------------------

  @Override
  protected void onText(String text) {
    JsonArray frame;
    try {
      frame = new JsonArray(text);
    } catch (DecodeException | ClassCastException e) {
      malformed("not a JSON array: " + Secrets.excerpt(text));
      return;
    }
    onFrame(frame);
  }

  @Override
  protected void onBinary(Buffer data) {
    Object frame;
    try {
      frame = msgpack.decode(data);
    } catch (IllegalArgumentException e) {
      malformed("a binary frame of " + data.length() + " bytes: " + e.getMessage());
      return;
    }
    if (frame instanceof JsonArray array) {
      onFrame(array);
    } else {
      malformed("a msgpack frame that is not an array: " + Secrets.excerpt(String.valueOf(frame)));
    }
  }

  private void onFrame(JsonArray frame) {
    for (Object item : frame) {
      if (!(item instanceof JsonObject message)) {
        malformed("an element that is not an object: " + Secrets.excerpt(String.valueOf(item))); // not the whole frame, once per element
        continue;
      }
      if (!(message.getValue("T") instanceof String type)) {
        malformed("a message without a string \"T\": " + Secrets.excerpt(message.encode()));
        continue;
      }
      switch (type) {
        case "success" -> onSuccess(message);
        case "error" -> onError(message);
        case "subscription" -> onSubscription(message);
        default -> onData(type, message);
      }
    }
  }

  private void onSuccess(JsonObject message) {
    Object msg = message.getValue("msg");
    if ("connected".equals(msg)) {
      welcomed = true;
      sendAuthWhenWelcomed();
    } else if ("authenticated".equals(msg)) {
      onAuthenticated();
    } else {
      MarketStatus.bump(stats, MarketStatus.UNKNOWN_TYPES);
    }
  }

  private void onAuthenticated() {
    if (ready || ended()) {
      return;
    }
    ready = true;
    // Registered on this instance's context: undeploy removes it. The registry only talks to the
    // address of the generation that told it "ready", so an old instance can never be asked anything.
    vertx.eventBus().<JsonObject>localConsumer(addresses.connection(generation), this::onChangeRequest)
        .completion()
        .onSuccess(v -> {
          vertx.eventBus().send(addresses.sessions(), new JsonObject().put("event", "ready").put("generation", generation), LOCAL);
          startStalenessWatch();
          authenticated.tryComplete();
        })
        .onFailure(authenticated::tryFail);
  }

  private void onError(JsonObject message) {
    int code = message.getValue("code") instanceof Number n ? n.intValue() : -1;
    String text = message.getValue("msg") instanceof String s ? Secrets.excerpt(s) : "(no message)";
    if (!ready) {
      authenticated.tryFail(failure(code, text));
      return;
    }
    if (CONNECTION_ERRORS.contains(code)) {
      exit(failure(code, text));
    } else if (pendingChange != null) {
      // No ids in this protocol: the next answer after a change, whatever it is, is that change's answer.
      answerChange(null, code, text);
    } else {
      problems.warn("Alpaca error " + code + " (" + text + ") outside any subscription change");
    }
  }

  private void onSubscription(JsonObject message) {
    WatchSet answer;
    try {
      answer = WatchSet.fromJson(message);
    } catch (IllegalArgumentException e) {
      malformed("a subscription answer whose " + e.getMessage());
      return;
    }
    long now = System.currentTimeMillis();
    for (Channel channel : Channel.values()) {
      if (answer.hasChannel(channel) && !upstream.hasChannel(channel)) {
        activeSince.put(channel, now);
      }
    }
    upstream = answer;
    if (pendingChange != null) {
      answerChange(answer, 0, null);
    } else if (ready) {
      vertx.eventBus().send(addresses.sessions(), new JsonObject().put("event", "subscription")
          .put("generation", generation).put("set", answer.toJson()), LOCAL);
    }
  }

  private void onData(String type, JsonObject message) {
    MarketMessages.Kind kind = MarketMessages.kind(type);
    if (kind == null) {
      MarketStatus.bump(stats, MarketStatus.UNKNOWN_TYPES);
      return;
    }
    if (!(message.getValue("S") instanceof String symbol)) {
      malformed("a \"" + type + "\" message without a string \"S\"");
      return;
    }
    lastData.put(kind.channel(), System.currentTimeMillis());
    if (MarketMessages.hasUnknownFields(type, message)) {
      MarketStatus.bump(stats, MarketStatus.UNKNOWN_FIELDS);
    }
    Watch watch = new Watch(kind.channel(), symbol);
    if (!wanted.contains(watch)) {
      // Late deliveries after an unsubscribe are normal: nobody is listening, so nothing goes out.
      MarketStatus.bump(stats, MarketStatus.DROPPED);
      return;
    }
    vertx.eventBus().publish(addresses.data(watch), new JsonObject()
        .put("seq", stats.nextSeq())
        .put("ts", System.currentTimeMillis())
        .put("source", spec.name())
        .put("type", kind.envelopeType())
        .put("data", message));
  }

  // ---- subscription changes, one at a time --------------------------------------------------------

  private void onChangeRequest(Message<JsonObject> request) {
    if (pendingChange != null) {
      request.fail(409, "a subscription change is already in flight");
      return;
    }
    JsonObject change = request.body();
    pendingChange = request;
    long timeout = settings.subscriptionTimeout().toMillis();
    changeTimer = vertx.setTimer(timeout, t -> {
      changeTimer = -1;
      exit(ListenerFailure.retry("subscription_timeout", "no answer to a subscription change within " + timeout + " ms"));
    });
    send(change).onFailure(err -> answerChange(null, 503, err.getMessage()));
  }

  private void answerChange(WatchSet answer, int code, String text) {
    Message<JsonObject> request = pendingChange;
    pendingChange = null;
    if (changeTimer >= 0) {
      vertx.cancelTimer(changeTimer);
      changeTimer = -1;
    }
    if (request == null) {
      return;
    }
    if (answer != null) {
      request.reply(new JsonObject().put("subscription", answer.toJson()));
    } else {
      request.fail(code, text);
    }
  }

  @Override
  protected void onEnded() {
    // "ended" first: the registry then still holds the change in flight, and counts it as taken upstream;
    // the 503 after it finds the change gone and is ignored, where first it would have dropped the change.
    if (ready) {
      vertx.eventBus().send(addresses.sessions(), new JsonObject().put("event", "ended").put("generation", generation)
          .put("heard_at", mutedSince > 0 ? mutedSince : lastHeardAt()), LOCAL);
    }
    answerChange(null, 503, "the connection ended before the upstream answered");
  }

  // ---- liveness beyond ping/pong ------------------------------------------------------------------

  /** A stream that answers pings but sends no data for a subscribed channel is as good as dead. */
  private void startStalenessWatch() {
    if (settings.staleAfter().isEmpty()) {
      return;
    }
    long shortest = settings.staleAfter().values().stream().mapToLong(Duration::toMillis).min().orElseThrow();
    vertx.setPeriodic(Math.max(10, shortest / 4), id -> {
      long now = System.currentTimeMillis();
      settings.staleAfter().forEach((channel, limit) -> {
        if (ended() || !upstream.hasChannel(channel)) {
          return;
        }
        long since = Math.max(lastData.getOrDefault(channel, 0L), activeSince.getOrDefault(channel, now));
        if (now - since > limit.toMillis()) {
          // Pongs came since, but no data: what was lost starts at the last data, which the gap then says.
          mutedSince = since;
          exit(ListenerFailure.retry("stale", "no " + channel.wire() + " for " + (now - since)
              + " ms while subscribed (staleAfter " + limit.toMillis() + " ms): the stream went mute"));
        }
      });
    });
  }

  private ListenerFailure failure(int code, String text) {
    String message = "Alpaca error " + code + ": " + text;
    String c = String.valueOf(code);
    return switch (code) {
      case 402, 408, 409, 411 -> ListenerFailure.fatal(c, message);
      case 406 -> ListenerFailure.retryAfter(c, message + " (a dropped connection stays counted upstream for a while)",
          settings.connectionLimitBackoff());
      default -> ListenerFailure.retry(c, message);
    };
  }

}
