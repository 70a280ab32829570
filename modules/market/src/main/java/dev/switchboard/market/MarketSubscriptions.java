package dev.switchboard.market;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.BridgeActivity;
import dev.switchboard.core.BurstLog;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The long-lived registry of who watches which symbol, deployed once beside the listener and never
 * restarted with it (design invariant 6): it outlives every connection and hands the whole wanted
 * set to each new one. Browser clients watch by registering on {@code market.<name>.<channel>.<SYMBOL>}
 * through the bridge (followed on {@code switchboard.bridge.events}); Java clients request
 * {@code market.<name>.watch} / {@code .unwatch}. Anything refused is explained: to a Java client in
 * the reply, to a browser as an {@code error} envelope on the address it registered.
 */
public class MarketSubscriptions extends VerticleBase {
  private static final String BRIDGE = "bridge:";
  private static final String JAVA = "java:";

  private final ListenerSpec spec;
  private final ListenerStats stats;
  private final AlpacaSettings settings;
  private final MarketAddresses addresses;
  private final Demand demand;
  private final Logger log;
  private final BurstLog problems;
  private UpstreamSync sync;
  private boolean statusPending;

  /** @param wanted the live view of the wanted set that connection instances read to filter data */
  public MarketSubscriptions(ListenerSpec spec, ListenerStats stats, AlpacaSettings settings, Set<Watch> wanted) {
    this.spec = spec;
    this.stats = stats;
    this.settings = settings;
    this.addresses = new MarketAddresses(spec.name());
    this.demand = new Demand(wanted);
    this.log = LoggerFactory.getLogger("switchboard.listener." + spec.name() + ".subscriptions");
    this.problems = new BurstLog(log, 10_000);
  }

  @Override
  public Future<?> start() {
    sync = new UpstreamSync(vertx, addresses, demand, settings.unsubscribeLinger(),
        settings.subscriptionTimeout().plusSeconds(1), log, new UpstreamSync.Events() {
          @Override
          public void refused(Collection<Watch> watches, String code, String message) {
            refuseUpstream(watches, code, message);
          }

          @Override
          public void changed() {
            showStatus();
          }
        });
    MarketStatus.initCounters(stats);
    writeStatus();
    var bus = vertx.eventBus();
    List<MessageConsumer<?>> consumers = List.of(
        bus.<BridgeActivity>localConsumer(Addresses.BRIDGE_EVENTS, msg -> onBridge(msg.body())),
        bus.<JsonObject>localConsumer(addresses.sessions(), this::onSession),
        bus.<Object>consumer(addresses.watch(), this::onWatch),
        bus.<Object>consumer(addresses.unwatch(), this::onUnwatch),
        bus.<Object>consumer(addresses.health(), msg -> msg.reply(health())));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList());
  }

  // ---- connection instances -------------------------------------------------------------------

  /** Epoch millis when the last connection that was ready ended; 0 before one did. */
  private long lastEndedAt;
  /** Epoch millis when the current connection became ready; 0 while none is. */
  private long readyAt;

  /**
   * A new connection after an earlier one: the trades, quotes and bars sent in between were not
   * received. Said once on {@code market.<name>.gap}, with the window and the symbols that were watched.
   */
  private void announceGap() {
    if (lastEndedAt == 0) {
      return;
    }
    JsonObject window = new JsonObject()
        .put("from", java.time.Instant.ofEpochMilli(lastEndedAt).toString())
        .put("to", java.time.Instant.now().toString());
    stats.put("last_gap", window);
    vertx.eventBus().publish(addresses.gap(), new JsonObject()
        .put("seq", stats.nextSeq()).put("ts", System.currentTimeMillis()).put("source", spec.name())
        .put("type", "gap").put("data", window.copy().put("watched", demand.wanted().toJson())
            .put("reason", "reconnected: market data sent in between was not received")));
  }

  private void onSession(Message<JsonObject> msg) {
    JsonObject report = msg.body();
    long generation = report.getLong("generation", 0L);
    switch (report.getString("event", "")) {
      case "ready" -> {
        announceGap();
        readyAt = System.currentTimeMillis();
        sync.ready(generation);
      }
      case "ended" -> {
        if (readyAt != 0) {
          lastEndedAt = System.currentTimeMillis(); // only a stream that flowed can have a gap
          readyAt = 0;
        }
        sync.ended(generation);
      }
      case "subscription" -> sync.unasked(generation, WatchSet.fromJson(report.getJsonObject("set")));
      default -> log.warn("unknown session report {}", report.getString("event"));
    }
  }

  // ---- browser clients, through the bridge ----------------------------------------------------

  private void onBridge(BridgeActivity activity) {
    if (activity.socket() == null) {
      problems.warn("bridge activity without a socket id ignored: " + activity);
      return;
    }
    String client = BRIDGE + activity.socket();
    switch (activity.kind()) {
      case REGISTER -> addresses.parseData(activity.address()).ifPresent(raw -> onRegister(client, activity.address(), raw));
      case UNREGISTER -> addresses.parseData(activity.address()).ifPresent(raw -> {
        Watch watch = new Watch(raw.channel(), raw.symbol());
        if (demand.remove(client, watch)) {
          changed(List.of(), List.of(watch));
        } else {
          showStatus();
        }
      });
      case SOCKET_CLOSED -> changed(List.of(), demand.release(client));
      case SOCKET_CREATED -> { }
    }
  }

  private void onRegister(String client, String address, MarketAddresses.RawWatch raw) {
    String symbol;
    try {
      symbol = Symbols.requireCanonical(raw.symbol());
    } catch (IllegalArgumentException e) {
      refuseBridge(address, null, "invalid_symbol", e.getMessage() + "; register on " + addresses.data(raw.channel(), "<SYMBOL>"));
      return;
    }
    Watch watch = new Watch(raw.channel(), symbol);
    if (demand.holds(client, watch)) {
      return;
    }
    if (demand.countOf(client) >= settings.maxSymbolsPerClient()) {
      refuseBridge(address, watch, "client_limit", "this client already watches " + demand.countOf(client)
          + " symbols; the limit is " + settings.maxSymbolsPerClient());
      return;
    }
    changed(demand.add(client, watch) ? List.of(watch) : List.of(), List.of());
  }

  private void refuseBridge(String address, Watch watch, String code, String message) {
    MarketStatus.bump(stats, MarketStatus.REFUSED);
    problems.warn("bridge registration on " + address + " refused: " + message);
    // Someone else watching it legitimately would get this error too: tell only an otherwise silent address.
    if (watch == null || !demand.wanted(watch)) {
      publishError(address, code, message, watch);
    }
  }

  // ---- Java clients ---------------------------------------------------------------------------

  private void onWatch(Message<Object> msg) {
    WatchRequest request;
    try {
      request = WatchRequest.forWatch(msg.body());
    } catch (IllegalArgumentException e) {
      refuseJava(msg, 400, e.getMessage());
      return;
    }
    String client = JAVA + request.client();
    List<Watch> watches = request.symbols().stream().map(s -> new Watch(request.channel(), s)).toList();
    long added = watches.stream().filter(w -> !demand.holds(client, w)).count();
    if (demand.countOf(client) + added > settings.maxSymbolsPerClient()) {
      refuseJava(msg, 429, "client '" + request.client() + "' would watch " + (demand.countOf(client) + added)
          + " symbols; the limit is " + settings.maxSymbolsPerClient() + " (nothing was watched)");
      return;
    }
    List<Watch> becameWanted = new ArrayList<>();
    watches.forEach(w -> {
      if (demand.add(client, w)) {
        becameWanted.add(w);
      }
    });
    changed(becameWanted, List.of());
    msg.reply(new JsonObject()
        .put("client", request.client())
        .put("channel", request.channel().wire())
        .put("symbols", new JsonArray(request.symbols()))
        .put("addresses", new JsonArray(watches.stream().map(addresses::data).toList()))
        .put("watching", demand.countOf(client)));
  }

  private void onUnwatch(Message<Object> msg) {
    WatchRequest request;
    try {
      request = WatchRequest.forUnwatch(msg.body());
    } catch (IllegalArgumentException e) {
      refuseJava(msg, 400, e.getMessage());
      return;
    }
    String client = JAVA + request.client();
    List<Watch> watches = request.symbols() != null
        ? request.symbols().stream().map(s -> new Watch(request.channel(), s)).toList()
        : demand.of(client).stream().filter(w -> request.channel() == null || w.channel() == request.channel()).toList();
    List<Watch> becameUnwanted = new ArrayList<>();
    int released = 0;
    for (Watch w : watches) {
      if (demand.holds(client, w)) {
        released++;
        if (demand.remove(client, w)) {
          becameUnwanted.add(w);
        }
      }
    }
    changed(List.of(), becameUnwanted);
    msg.reply(new JsonObject().put("client", request.client()).put("released", released).put("watching", demand.countOf(client)));
  }

  private void refuseJava(Message<Object> msg, int code, String message) {
    MarketStatus.bump(stats, MarketStatus.REFUSED);
    msg.fail(code, message);
  }

  // ---- upstream outcomes ----------------------------------------------------------------------

  /** The upstream would not take these (405 symbol limit...): every client that asked is told, and they are forgotten. */
  private void refuseUpstream(Collection<Watch> watches, String code, String message) {
    List<Watch> unwanted = new ArrayList<>();
    for (Watch watch : watches) {
      Set<String> clients = demand.drop(watch);
      if (!clients.isEmpty()) {
        unwanted.add(watch);
        MarketStatus.bump(stats, MarketStatus.REFUSED);
        publishError(addresses.data(watch), code, "the upstream refused " + watch.channel().wire() + " of "
            + watch.symbol() + ": " + message, watch);
      }
    }
    if (!unwanted.isEmpty()) {
      log.warn("upstream refused {} ({} {}); the clients that asked were told", unwanted, code, message);
    }
    changed(List.of(), unwanted);
  }

  private void publishError(String address, String code, String message, Watch watch) {
    JsonObject data = new JsonObject().put("code", code).put("message", message);
    if (watch != null) {
      data.put("channel", watch.channel().wire()).put("symbol", watch.symbol());
    }
    vertx.eventBus().publish(address, new JsonObject()
        .put("seq", stats.nextSeq())
        .put("ts", System.currentTimeMillis())
        .put("source", spec.name())
        .put("type", "error")
        .put("data", data));
  }

  // ---- status ---------------------------------------------------------------------------------

  private void changed(Collection<Watch> becameWanted, Collection<Watch> becameUnwanted) {
    if (!becameWanted.isEmpty() || !becameUnwanted.isEmpty()) {
      sync.wantedChanged(becameWanted, becameUnwanted);
    }
    showStatus();
  }

  /** Status is written once per event-loop turn, so that a burst (a socket closing with 100 symbols) costs one update. */
  private void showStatus() {
    if (statusPending) {
      return;
    }
    statusPending = true;
    context.runOnContext(v -> {
      statusPending = false;
      writeStatus();
    });
  }

  private void writeStatus() {
    stats.put(MarketStatus.CONNECTED, sync.connected());
    stats.put(MarketStatus.ACTIVE, sync.upstream().toJson());
    stats.put(MarketStatus.WANTED, demand.wanted().toJson());
    stats.put(MarketStatus.CLIENTS, demand.clients());
    stats.put(MarketStatus.DRIFT, sync.drift());
  }

  /** The facts the field's health scripts print. */
  private JsonObject health() {
    return new JsonObject()
        .put("connected", sync.connected())
        .put("active_symbols", sync.upstream().toJson())
        .put("total_clients", demand.clients())
        .put("wanted_symbols", demand.wanted().toJson());
  }
}
