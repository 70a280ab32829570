package dev.switchboard.market;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.BurstLog;
import dev.switchboard.core.ListenerSpec;
import dev.switchboard.core.ListenerStats;
import dev.switchboard.core.ListenerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The long-lived registry of who watches which symbol, deployed beside the listener (in a cluster, on
 * the node that owns it) and never restarted with it (design invariant 6): it outlives every connection
 * and hands the whole wanted set to each new one. Its clients:
 * <ul>
 *   <li>nodes: browsers watch by registering on {@code market.<name>.<channel>.<SYMBOL>} through the
 *   bridge of any node; each node's {@link NodeWatchers} reports that node's whole set, and the node
 *   counts here as one client. A node that leaves the cluster, or stops reporting, is forgotten;</li>
 *   <li>Java clients request {@code market.<name>.watch} / {@code .unwatch}. In a cluster their watches
 *   are also kept in a cluster-wide map, so that a new owner's registry restores them.</li>
 * </ul>
 * A registry that starts asks every node to report at once. Anything refused is explained: what the registry
 * refuses, to a Java client in the reply; what the upstream refuses later, and anything refused to a browser,
 * as an {@code error} envelope on the symbol's address.
 */
public class MarketSubscriptions extends VerticleBase {
  /** The node name of a single process, where there is one {@link NodeWatchers} and no cluster. */
  static final String SINGLE_NODE = "local";
  private static final String NODE = "node:";
  private static final String JAVA = "java:";
  /** How long one write of a Java client's watches to the cluster may take. */
  private static final long MAP_TIMEOUT_MS = 5_000;

  /** This registry, as its refusals name it: a node's report says which of them it had applied. */
  private final String registry = UUID.randomUUID().toString();
  private long refusals;
  /**
   * By refused watch, the nodes that watched it when the upstream refused it, and that refusal's number: a
   * report such a node built before the refusal reached it does not ask for the watch again. Each entry goes
   * once the node's report says it applied the refusal (or the node restarts, or is forgotten).
   */
  private final Map<Watch, Map<String, Long>> refusedFrom = new HashMap<>();

  /** The last report taken from a node, and when (nanoTime). */
  private record Reported(String boot, long seq, int clients, long refused, long at) {
  }

  private final ListenerSpec spec;
  private final ListenerStats stats;
  private final AlpacaSettings settings;
  private final NodeReport.Timing timing;
  private final MarketAddresses addresses;
  private final Demand demand;
  private final Logger log;
  private final BurstLog problems;
  private final Map<String, Reported> nodes = new HashMap<>();
  /**
   * The cluster's members as this node last heard ({@code switchboard.cluster.nodes}); null until it has.
   * A node that left is not heard again, even if its process lives on and still reaches this one.
   */
  private Set<String> members;
  /**
   * Complete once this registry has asked for the members (in a single process nobody answers, and every
   * node report is taken): a node cut off before this registry started is refused from its first report.
   */
  private final Promise<Void> membersAsked = Promise.promise();
  private UpstreamSync sync;
  private boolean statusPending;
  /** This node's name: its own watchers' refusals are counted in these stats already. */
  private String node;
  /**
   * Every Java client's watches, kept beside the registry so that a new one (another owner, or this listener
   * with a changed definition) takes them over: the cluster's map, or in a single process this process's.
   */
  private AsyncMap<String, JsonObject> javaWatches;
  /** Complete once the Java clients' watches are restored: watch and unwatch requests wait for it. */
  private Future<Void> restored = Future.succeededFuture();
  /** The tail of the writes to {@link #javaWatches}, one at a time, in order. */
  private Future<Void> writes = Future.succeededFuture();

  /** @param wanted the live view of the wanted set that connection instances read to filter data */
  public MarketSubscriptions(ListenerSpec spec, ListenerStats stats, AlpacaSettings settings, Set<Watch> wanted,
                             NodeReport.Timing timing) {
    this.spec = spec;
    this.stats = stats;
    this.settings = settings;
    this.timing = timing;
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
    node = config().getString(ListenerVerticle.NODE, SINGLE_NODE);
    Future<AsyncMap<String, JsonObject>> map = vertx.isClustered()
        ? vertx.sharedData().getAsyncMap(addresses.javaWatchesMap())
        : vertx.sharedData().getLocalAsyncMap(addresses.javaWatchesMap());
    return map.compose(m -> {
      javaWatches = m;
      restored = restoreJavaWatches();
      return listen();
    });
  }

  private Future<Void> listen() {
    var bus = vertx.eventBus();
    List<MessageConsumer<?>> consumers = List.of(
        bus.<JsonObject>localConsumer(addresses.sessions(), this::onSession),
        bus.<Object>consumer(addresses.nodeReports(), msg -> membersAsked.future().onComplete(v -> onNodeReport(msg))),
        bus.<JsonObject>localConsumer(Addresses.CLUSTER_NODES, msg -> onNodes(msg.body())),
        bus.<Object>consumer(addresses.watch(), msg -> restored.onComplete(v -> onWatch(msg))),
        bus.<Object>consumer(addresses.unwatch(), msg -> restored.onComplete(v -> onUnwatch(msg))),
        bus.<Object>consumer(addresses.health(), msg -> thisNodeNow().onComplete(v -> msg.reply(health()))));
    vertx.setPeriodic(timing.refresh().toMillis(), id -> forgetSilentNodes());
    // Every node tells this registry what its browsers watch now: a new owner starts from all of them.
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList())
        .compose(v -> askMembers())
        .onSuccess(v -> bus.publish(addresses.resend(), new JsonObject().put("node", node)))
        .mapEmpty();
  }

  /** The members now, unless a change was heard meanwhile (it is newer); nothing to learn in a single process. */
  private Future<Void> askMembers() {
    return vertx.eventBus().<JsonObject>request(Addresses.CLUSTER_NODES_NOW, new JsonObject(), new DeliveryOptions().setLocalOnly(true))
        .map(reply -> {
          if (members == null) {
            onNodes(reply.body());
          }
          return (Void) null;
        })
        .otherwiseEmpty()
        .onComplete(membersAsked);
  }

  // ---- connection instances -------------------------------------------------------------------

  /** Epoch millis when the current connection became ready; 0 while none is. */
  private long readyAt;

  /**
   * A new connection after an earlier one: the trades, quotes and bars sent in between were not
   * received. Said once on {@code market.<name>.gap}, with the window and the symbols that were watched.
   */
  private void announceGap() {
    long epoch = config().getLong(ListenerVerticle.EPOCH, 0L);
    // Kept in the stats, not here: this companion is replaced when the definition changes.
    ListenerStats.ConnectionEnd ended = stats.lastConnectionEnd();
    // In a cluster, the first stream under this owner: another node had it until a time this node does not know.
    boolean takenOver = epoch > 1 && (ended == null || ended.epoch() != epoch);
    if (ended == null && !takenOver) {
      return; // the first stream of this process: there was none to miss
    }
    JsonObject window = new JsonObject()
        .put("from", takenOver ? null : java.time.Instant.ofEpochMilli(ended.at()).toString())
        .put("to", java.time.Instant.ofEpochMilli(System.currentTimeMillis()).toString());
    stats.put("last_gap", window);
    String reason = takenOver
        ? "this node took the listener over (epoch " + epoch + "): market data sent between the two owners was not received"
        : "reconnected: market data sent in between was not received";
    vertx.eventBus().publish(addresses.gap(), new JsonObject()
        .put("seq", stats.nextSeq()).put("ts", System.currentTimeMillis()).put("source", spec.name())
        .put("type", "gap").put("data", window.copy().put("watched", demand.wanted().toJson()).put("reason", reason)));
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
          // Only a stream that flowed can have a gap; it may have died before it was found dead (by the heartbeat).
          stats.connectionEnded(report.getLong("heard_at", System.currentTimeMillis()),
              config().getLong(ListenerVerticle.EPOCH, 0L));
          readyAt = 0;
        }
        sync.ended(generation);
      }
      case "subscription" -> sync.unasked(generation, WatchSet.fromJson(report.getJsonObject("set")));
      default -> log.warn("unknown session report {}", report.getString("event"));
    }
  }

  // ---- nodes: each reports its browsers' whole set -----------------------------------------------

  private void onNodeReport(Message<Object> msg) {
    NodeReport report;
    try {
      report = NodeReport.fromJson(msg.body());
    } catch (IllegalArgumentException e) {
      problems.warn("node report refused: " + e.getMessage());
      msg.fail(400, e.getMessage());
      return;
    }
    if (members != null && !members.contains(report.node())) {
      // Its Hazelcast left (or was cut off) while its event bus still reaches this node: what it watches
      // must not come back. A node that has only just joined is heard once this node hears of it: it retries.
      problems.warn("node report from " + report.node() + " refused: it is not a member of the cluster");
      msg.fail(409, "node " + report.node() + " is not a member of the cluster");
      return;
    }
    take(report);
    msg.reply(new JsonObject().put("seq", report.seq()));
  }

  /**
   * This node's report, asked for now rather than waited for: health then shows whatever this node's
   * clients did before it was asked (their bridge activity reaches this node's watchers first).
   */
  private Future<Void> thisNodeNow() {
    DeliveryOptions options = new DeliveryOptions().setLocalOnly(true).setSendTimeout(1_000);
    return vertx.eventBus().request(addresses.reportNow(), null, options)
        .map(reply -> {
          take(NodeReport.fromJson(reply.body()));
          return (Void) null;
        })
        .otherwise(err -> null); // health answers anyway, with the last report taken
  }

  private void take(NodeReport report) {
    Reported before = nodes.get(report.node());
    boolean sameBoot = before != null && before.boot().equals(report.boot());
    if (sameBoot && report.seq() <= before.seq()) {
      return; // overtaken by a newer one: nothing to change
    }
    long newRefusals = report.refused() - (sameBoot ? before.refused() : 0);
    if (!report.node().equals(node) && newRefusals > 0) {
      MarketStatus.add(stats, MarketStatus.REFUSED, newRefusals); // this node's own are counted already
    }
    nodes.put(report.node(), new Reported(report.boot(), report.seq(), report.clients(), report.refused(), System.nanoTime()));
    String client = NODE + report.node();
    long applied = sameBoot ? report.forgotOf(registry) : Long.MAX_VALUE; // a new boot started after every refusal
    refusedFrom.values().forEach(byNode -> byNode.entrySet().removeIf(e -> e.getKey().equals(client) && e.getValue() <= applied));
    refusedFrom.values().removeIf(Map::isEmpty);
    Set<Watch> wanted = report.wanted().asSet().stream()
        .filter(w -> !refusedFrom.getOrDefault(w, Map.of()).containsKey(client)) // built before the refusal reached it
        .collect(Collectors.toSet());
    Demand.Change change = demand.replace(client, wanted);
    changed(change.becameWanted(), change.becameUnwanted());
  }

  /** A node that left the cluster watches nothing any more. */
  private void onNodes(JsonObject membership) {
    members = membership.getJsonArray("nodes", new JsonArray()).stream().map(String::valueOf)
        .collect(Collectors.toUnmodifiableSet());
    for (String gone : nodes.keySet().stream().filter(n -> !members.contains(n)).toList()) {
      forgetNode(gone, "it left the cluster");
    }
  }

  /** A node whose reports stopped (it died, or cannot reach this one) is forgotten after expireAfter. */
  private void forgetSilentNodes() {
    long now = System.nanoTime();
    long limit = timing.expireAfter().toNanos();
    for (String silent : nodes.entrySet().stream().filter(e -> now - e.getValue().at() > limit).map(Map.Entry::getKey).toList()) {
      forgetNode(silent, "no report for " + timing.expireAfter().toMillis() + " ms");
    }
  }

  private void forgetNode(String name, String why) {
    Reported last = nodes.remove(name);
    refusedFrom.values().forEach(byNode -> byNode.remove(NODE + name));
    refusedFrom.values().removeIf(Map::isEmpty);
    Demand.Change change = demand.replace(NODE + name, Set.of());
    if (!change.becameUnwanted().isEmpty() || last.clients() > 0) {
      log.info("node {}'s watches forgotten ({}): {} no longer wanted", name, why, change.becameUnwanted());
    }
    changed(change.becameWanted(), change.becameUnwanted());
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
    JsonObject answer = new JsonObject()
        .put("client", request.client())
        .put("channel", request.channel().wire())
        .put("symbols", new JsonArray(request.symbols()))
        .put("addresses", new JsonArray(watches.stream().map(addresses::data).toList()))
        .put("watching", demand.countOf(client));
    replyOnceKept(msg, request.client(), answer);
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
    replyOnceKept(msg, request.client(),
        new JsonObject().put("client", request.client()).put("released", released).put("watching", demand.countOf(client)));
  }

  /**
   * The answer waits until the client's watches are kept (in a cluster, in the cluster-wide map): a client that
   * was answered is restored by the next registry, the next owner's or this listener's after a definition change.
   */
  private void replyOnceKept(Message<Object> msg, String client, JsonObject answer) {
    keep(client).onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(answer);
      } else {
        msg.fail(503, "done on this node, but the cluster could not record it (" + ar.cause().getMessage()
            + "): another node taking the listener over would not know; ask again");
      }
    });
  }

  /** Writes the client's current watches to the map (removes it when it watches nothing). */
  private Future<Void> keep(String client) {
    // One write at a time, each of the state when it runs: the map ends as the registry is.
    writes = writes.transform(previous -> {
      Set<Watch> now = demand.of(JAVA + client);
      Future<Void> write = now.isEmpty() ? javaWatches.remove(client).mapEmpty() : javaWatches.put(client, WatchSet.of(now).toJson());
      return write.timeout(MAP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    });
    return writes;
  }

  /** A new registry (a new owner, or a changed definition) takes over the Java clients' watches; tried again until the map answers. */
  private Future<Void> restoreJavaWatches() {
    Promise<Void> done = Promise.promise();
    restoreJavaWatches(done);
    return done.future();
  }

  private void restoreJavaWatches(Promise<Void> done) {
    javaWatches.entries().timeout(MAP_TIMEOUT_MS, TimeUnit.MILLISECONDS).onComplete(ar -> {
      if (ar.failed()) {
        log.warn("the Java clients' watches could not be read ({}); trying again", ar.cause().getMessage());
        vertx.setTimer(timing.refresh().toMillis(), id -> restoreJavaWatches(done));
        return;
      }
      List<Watch> becameWanted = new ArrayList<>();
      ar.result().forEach((client, set) -> {
        try {
          becameWanted.addAll(demand.replace(JAVA + client, WatchSet.fromJson(set).asSet()).becameWanted());
        } catch (IllegalArgumentException e) {
          problems.warn("the kept watches of Java client '" + client + "' are not a set: " + e.getMessage());
        }
      });
      if (!ar.result().isEmpty()) {
        log.info("restored the watches of {} Java client(s): {}", ar.result().size(), WatchSet.of(becameWanted));
      }
      changed(becameWanted, List.of());
      done.complete();
    });
  }

  private void refuseJava(Message<Object> msg, int code, String message) {
    MarketStatus.bump(stats, MarketStatus.REFUSED);
    msg.fail(code, message);
  }

  // ---- upstream outcomes ----------------------------------------------------------------------

  /** The upstream would not take these (405 symbol limit...): every client that asked is told, and they are forgotten. */
  private void refuseUpstream(Collection<Watch> watches, String code, String message) {
    List<Watch> unwanted = new ArrayList<>();
    Set<String> javaClients = new TreeSet<>();
    long refusal = ++refusals;
    for (Watch watch : watches) {
      Set<String> clients = demand.drop(watch);
      clients.stream().filter(c -> c.startsWith(NODE))
          .forEach(c -> refusedFrom.computeIfAbsent(watch, w -> new HashMap<>()).put(c, refusal));
      clients.stream().filter(c -> c.startsWith(JAVA)).forEach(c -> javaClients.add(c.substring(JAVA.length())));
      if (!clients.isEmpty()) {
        unwanted.add(watch);
        MarketStatus.bump(stats, MarketStatus.REFUSED);
        vertx.eventBus().publish(addresses.data(watch), MarketMessages.errorEnvelope(stats.nextSeq(), spec.name(), code,
            "the upstream refused " + watch.channel().wire() + " of " + watch.symbol() + ": " + message, watch));
      }
    }
    if (!unwanted.isEmpty()) {
      log.warn("upstream refused {} ({} {}); the clients that asked were told", unwanted, code, message);
      // Every node's watchers forget them too, or their next report would ask again.
      vertx.eventBus().publish(addresses.forget(), new JsonObject().put("set", WatchSet.of(unwanted).toJson())
          .put("registry", registry).put("refusal", refusal));
    }
    javaClients.forEach(client -> keep(client).onFailure(err -> log.warn("could not record that Java client '{}'"
        + " no longer watches what the upstream refused: {}", client, err.getMessage())));
    changed(List.of(), unwanted);
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
    stats.put(MarketStatus.CLIENTS, clients());
    stats.put(MarketStatus.DRIFT, sync.drift());
  }

  /** Java clients, and every node's clients that watch something: a node counts its own. */
  private int clients() {
    return demand.clients(c -> c.startsWith(JAVA)) + nodes.values().stream().mapToInt(Reported::clients).sum();
  }

  /** The facts the field's health scripts print. */
  private JsonObject health() {
    return new JsonObject()
        .put("connected", sync.connected())
        .put("active_symbols", sync.upstream().toJson())
        .put("total_clients", clients())
        .put("wanted_symbols", demand.wanted().toJson());
  }
}
