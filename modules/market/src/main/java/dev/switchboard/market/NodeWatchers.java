package dev.switchboard.market;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.BridgeActivity;
import dev.switchboard.core.BurstLog;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.ListenerVerticle;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The browsers of this node that watch one market listener's symbols. Deployed on every node, whoever
 * owns the listener (in a single process, beside the registry): it follows the bridge here
 * ({@code switchboard.bridge.events}), checks each registration (a canonical symbol, the per-client
 * limit, refusals told on the address as an {@code error} envelope, to this node's clients only) and
 * sends the registry ({@link MarketSubscriptions}, where the listener runs) this node's whole wanted set
 * as one {@link NodeReport}: after a change (debounced), every {@code refresh} whether it changed or not,
 * and at once when a registry that has just started asks. The registry counts this node as one client,
 * so it never needs to know another node's sockets, and a node that dies simply stops reporting.
 */
public class NodeWatchers extends VerticleBase {
  private static final String BRIDGE = "bridge:";
  /** Errors about this node's registrations go to this node's clients only. */
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final ListenerSpec spec;
  private final ListenerStats stats;
  private final AlpacaSettings settings;
  private final NodeReport.Timing timing;
  private final MarketAddresses addresses;
  private final Demand demand = new Demand(new HashSet<>());
  private final String boot = UUID.randomUUID().toString();
  private final Logger log;
  private final BurstLog problems;
  private String node;
  private long seq;
  private long refused;
  private long debounceTimer = -1;
  private long retryTimer = -1;
  private int failures;
  private boolean sending;
  /** Something changed while a report was on its way: another one follows it. */
  private boolean again;
  /** Bridge events that came while the registrations were being taken over; null once they are. */
  private List<BridgeActivity> beforeTakeOver = new ArrayList<>();
  /** The last set the registry took: what a leaving node takes back. */
  private WatchSet delivered = WatchSet.EMPTY;
  /**
   * Clients refused over the per-client limit while another client here watched the same symbol: not told then
   * (the error would reach that other client too, on the shared address), told once nobody here watches it.
   */
  private final Map<Watch, Set<String>> untold = new HashMap<>();
  /** By registry, the number of the last upstream refusal applied here (a few registries: owners change). */
  private final Map<String, Long> forgot = new LinkedHashMap<>();

  public NodeWatchers(ListenerSpec spec, ListenerStats stats, AlpacaSettings settings, NodeReport.Timing timing) {
    this.spec = spec;
    this.stats = stats;
    this.settings = settings;
    this.timing = timing;
    this.addresses = new MarketAddresses(spec.name());
    this.log = LoggerFactory.getLogger("switchboard.listener." + spec.name() + ".watchers");
    this.problems = new BurstLog(log, 10_000);
  }

  @Override
  public Future<?> start() {
    node = config().getString(ListenerVerticle.NODE, MarketSubscriptions.SINGLE_NODE);
    var bus = vertx.eventBus();
    List<MessageConsumer<?>> consumers = List.of(
        bus.<BridgeActivity>localConsumer(Addresses.BRIDGE_EVENTS, msg -> {
          if (beforeTakeOver != null) {
            beforeTakeOver.add(msg.body()); // applied after the registrations taken over, in order
          } else {
            onBridge(msg.body());
          }
        }),
        bus.consumer(addresses.resend(), msg -> report()),
        bus.localConsumer(addresses.reportNow(), msg -> msg.reply(taken(nextReport()).toJson())),
        bus.<JsonObject>consumer(addresses.forget(), msg -> forget(msg.body())));
    vertx.setPeriodic(timing.refresh().toMillis(), id -> report());
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).compose(v -> takeOverRegistrations());
  }

  /**
   * The browsers that registered before this instance started (its listener's definition changed while they
   * watched) are watching still: their registrations are taken from the bridge's own record, in the order they
   * came (a symbol that was not valid is not told again). Bridge events that arrive meanwhile wait, and are
   * applied after them, in order: an unregister is never overtaken by the registration it undoes.
   */
  private Future<Void> takeOverRegistrations() {
    DeliveryOptions local = new DeliveryOptions().setLocalOnly(true).setSendTimeout(5_000);
    return vertx.eventBus().<JsonArray>request(Addresses.BRIDGE_REGISTRATIONS, spec.name(), local)
        .map(reply -> {
          for (Object o : reply.body()) {
            if (o instanceof JsonObject r) {
              String client = BRIDGE + r.getString("socket");
              addresses.parseData(r.getString("address")).ifPresent(raw -> onRegister(client, r.getString("address"), raw, false));
            }
          }
          return (Void) null;
        })
        .otherwise(err -> {
          if (err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
            log.debug("no bridge registrations to take over: no bridge in this process");
          } else {
            log.warn("the browsers' registrations could not be taken over ({}): they count again once they register anew",
                err.getMessage());
          }
          return null;
        })
        .onComplete(ar -> {
          List<BridgeActivity> waiting = beforeTakeOver;
          beforeTakeOver = null;
          waiting.forEach(this::onBridge);
        });
  }

  /** Leaving (the listener is removed or changed, or the node stops): the registry forgets this node's set now. */
  @Override
  public Future<?> stop() {
    if (delivered.isEmpty()) {
      return Future.succeededFuture();
    }
    NodeReport last = new NodeReport(node, boot, ++seq, WatchSet.EMPTY, 0, refused, Map.copyOf(forgot));
    return vertx.eventBus().request(addresses.nodeReports(), last.toJson(), new DeliveryOptions().setSendTimeout(1_000))
        .otherwiseEmpty();
  }

  // ---- the bridge on this node ------------------------------------------------------------------

  private void onBridge(BridgeActivity activity) {
    if (activity.socket() == null) {
      problems.warn("bridge activity without a socket id ignored: " + activity);
      return;
    }
    String client = BRIDGE + activity.socket();
    switch (activity.kind()) {
      case REGISTER -> addresses.parseData(activity.address()).ifPresent(raw -> onRegister(client, activity.address(), raw, true));
      case UNREGISTER -> addresses.parseData(activity.address()).ifPresent(raw -> {
        Watch watch = new Watch(raw.channel(), raw.symbol());
        forgetUntold(client, watch);
        if (demand.holds(client, watch)) {
          if (demand.remove(client, watch)) {
            tellUntold(List.of(watch));
          }
          changed();
        }
      });
      case SOCKET_CLOSED -> {
        untold.values().forEach(clients -> clients.remove(client));
        untold.values().removeIf(Set::isEmpty);
        if (demand.countOf(client) > 0) {
          tellUntold(demand.release(client));
          changed();
        }
      }
      case SOCKET_CREATED -> { }
    }
  }

  /** @param tellInvalid whether a symbol that is not valid is told (not for a registration taken over: told once already) */
  private void onRegister(String client, String address, MarketAddresses.RawWatch raw, boolean tellInvalid) {
    String symbol;
    try {
      symbol = Symbols.requireCanonical(raw.symbol());
    } catch (IllegalArgumentException e) {
      if (tellInvalid) {
        refuse(address, null, "invalid_symbol", e.getMessage() + "; register on " + addresses.data(raw.channel(), "<SYMBOL>"));
      }
      return;
    }
    Watch watch = new Watch(raw.channel(), symbol);
    if (demand.holds(client, watch)) {
      return;
    }
    if (demand.countOf(client) >= settings.maxSymbolsPerClient()) {
      if (demand.isWanted(watch)) {
        untold.computeIfAbsent(watch, w -> new HashSet<>()).add(client);
      }
      refuse(address, watch, "client_limit", "this client already watches " + demand.countOf(client)
          + " symbols; the limit is " + settings.maxSymbolsPerClient());
      return;
    }
    demand.add(client, watch);
    changed(); // a new symbol, or one more client: either shows at the owner
  }

  private void refuse(String address, Watch watch, String code, String message) {
    refused++;
    MarketStatus.bump(stats, MarketStatus.REFUSED);
    problems.warn("bridge registration on " + address + " refused: " + message);
    // Someone else here watching it legitimately would get this error too: tell only an otherwise silent address.
    if (watch == null || !demand.isWanted(watch)) {
      vertx.eventBus().publish(address, MarketMessages.errorEnvelope(stats.nextSeq(), spec.name(), code, message, watch), LOCAL);
    }
    changed(); // the refusal count travels with the set
  }

  private void forgetUntold(String client, Watch watch) {
    Set<String> clients = untold.get(watch);
    if (clients != null && clients.remove(client) && clients.isEmpty()) {
      untold.remove(watch);
    }
  }

  /** Nobody here watches these any more: the clients refused over their limit meanwhile are told now. */
  private void tellUntold(List<Watch> unwanted) {
    for (Watch watch : unwanted) {
      if (untold.remove(watch) != null) {
        vertx.eventBus().publish(addresses.data(watch), MarketMessages.errorEnvelope(stats.nextSeq(), spec.name(), "client_limit",
            "refused when this client registered: it was over the per-client limit of " + settings.maxSymbolsPerClient()
                + " symbols; no other browser here watches it any more", watch), LOCAL);
      }
    }
  }

  /**
   * The upstream refused these: the registry has told every client on their addresses; they are no longer watched
   * here. The next report says that this refusal was applied, so that the registry tells it from one built before.
   */
  private void forget(JsonObject refusal) {
    boolean any = false;
    for (Watch watch : WatchSet.fromJson(refusal.getJsonObject("set")).asSet()) {
      untold.remove(watch); // the registry told every client on the address
      any |= !demand.drop(watch).isEmpty();
    }
    if (refusal.getValue("registry") instanceof String registry && refusal.getValue("refusal") instanceof Number number) {
      long before = forgot.getOrDefault(registry, 0L);
      forgot.remove(registry); // re-inserted last: the eldest registries go first
      forgot.put(registry, Math.max(before, number.longValue()));
      if (forgot.size() > 4) {
        forgot.remove(forgot.keySet().iterator().next());
      }
      any = true;
    }
    if (any) {
      changed();
    }
  }

  // ---- reports to the registry ------------------------------------------------------------------

  private void changed() {
    if (debounceTimer < 0) {
      debounceTimer = vertx.setTimer(Math.max(1, timing.debounce().toMillis()), id -> {
        debounceTimer = -1;
        report();
      });
    }
  }

  private NodeReport nextReport() {
    return new NodeReport(node, boot, ++seq, demand.wanted(), demand.clients(), refused, Map.copyOf(forgot));
  }

  private NodeReport taken(NodeReport report) {
    if (report.seq() == seq) {
      delivered = report.wanted();
    }
    return report;
  }

  /** Sends this node's whole set now, or right after the report on its way. */
  private void report() {
    if (sending) {
      again = true;
      return;
    }
    if (retryTimer >= 0) {
      vertx.cancelTimer(retryTimer);
      retryTimer = -1;
    }
    sending = true;
    again = false;
    NodeReport report = nextReport();
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timing.refresh().toMillis());
    vertx.eventBus().request(addresses.nodeReports(), report.toJson(), options).onComplete(ar -> {
      sending = false;
      if (ar.succeeded()) {
        failures = 0;
        taken(report);
        if (again) {
          report();
        }
      } else {
        // No registry yet (between owners), or it is not reachable: again soon, then at the refresh pace.
        long delay = Math.min(timing.refresh().toMillis(), timing.retry().toMillis() << Math.min(failures++, 10));
        log.debug("report {} not delivered ({}); again in {} ms", report.seq(), ar.cause().getMessage(), delay);
        retryTimer = vertx.setTimer(Math.max(1, delay), id -> {
          retryTimer = -1;
          report();
        });
      }
    });
  }
}
