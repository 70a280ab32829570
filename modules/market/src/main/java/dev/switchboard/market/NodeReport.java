package dev.switchboard.market;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * What one node's {@link NodeWatchers} tell the registry, wherever the listener runs: the node's whole
 * wanted set (never a delta, so a lost or repeated report cannot leave anything behind), how many of
 * its clients hold it, and how many of their requests it refused so far.
 *
 * @param boot    one per {@link NodeWatchers} instance: {@code seq} counts within it
 * @param seq     grows by one per report; an older one than the last taken is stale
 * @param refused refusals since {@code boot}, for the owner's {@code refused_requests}
 * @param forgot  by registry (one per {@link MarketSubscriptions} instance), the number of the last upstream refusal
 *                this node had applied when it built the report: a report built before a refusal reached the node
 *                does not ask for the refused symbols again; null from a node of an older version, which does not
 *                say (its reports are taken as they are, as before)
 */
record NodeReport(String node, String boot, long seq, WatchSet wanted, int clients, long refused, Map<String, Long> forgot) {

  NodeReport(String node, String boot, long seq, WatchSet wanted, int clients, long refused) {
    this(node, boot, seq, wanted, clients, refused, Map.of());
  }

  /** The number of the last refusal of {@code registry} this node had applied; 0 for none; every one for an older node. */
  long forgotOf(String registry) {
    return forgot == null ? Long.MAX_VALUE : forgot.getOrDefault(registry, 0L);
  }

  /**
   * How reports flow.
   *
   * @param debounce    a change is reported this long after it, with whatever else changed meanwhile
   * @param refresh     the set is reported again this often, changed or not
   * @param retry       the first retry of an undelivered report (no owner yet); doubles up to {@code refresh}
   * @param expireAfter a node not heard from for this long is forgotten (it died without a word)
   */
  record Timing(Duration debounce, Duration refresh, Duration retry, Duration expireAfter) {
    static final Timing DEFAULT = new Timing(Duration.ofMillis(20), Duration.ofSeconds(2), Duration.ofMillis(250), Duration.ofSeconds(7));
  }

  JsonObject toJson() {
    return new JsonObject().put("node", node).put("boot", boot).put("seq", seq).put("wanted", wanted.toJson())
        .put("clients", clients).put("refused", refused).put("forgot", forgot == null ? null : new JsonObject(new HashMap<>(forgot)));
  }

  /** @throws IllegalArgumentException when {@code json} is not a report, or names a symbol that is not canonical */
  static NodeReport fromJson(Object body) {
    if (!(body instanceof JsonObject json) || !(json.getValue("node") instanceof String node)
        || !(json.getValue("boot") instanceof String boot) || !(json.getValue("seq") instanceof Number seq)
        || !(json.getValue("wanted") instanceof JsonObject wanted)
        || !(json.getValue("clients", 0) instanceof Number clients) || !(json.getValue("refused", 0L) instanceof Number refused)) {
      throw new IllegalArgumentException("a node report is {node, boot, seq, wanted, clients, refused}, seq, clients and refused numbers");
    }
    WatchSet set = WatchSet.fromJson(wanted);
    // From another process: its symbols are checked as a browser's are, or they would reach the upstream unchecked.
    set.asSet().forEach(watch -> Symbols.requireCanonical(watch.symbol()));
    if (!(json.getValue("forgot") instanceof JsonObject byRegistry)) { // a node of an older version
      return new NodeReport(node, boot, seq.longValue(), set, clients.intValue(), refused.longValue(), null);
    }
    Map<String, Long> forgot = new HashMap<>();
    byRegistry.forEach(e -> {
      if (!(e.getValue() instanceof Number n)) {
        throw new IllegalArgumentException("a node report's \"forgot\" maps registries to numbers");
      }
      forgot.put(e.getKey(), n.longValue());
    });
    return new NodeReport(node, boot, seq.longValue(), set, clients.intValue(), refused.longValue(), Map.copyOf(forgot));
  }
}
