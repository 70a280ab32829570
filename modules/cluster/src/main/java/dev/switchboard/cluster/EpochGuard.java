package dev.switchboard.cluster;

import dev.switchboard.core.ListenerVerticle;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The epoch on the data path, for every kind alike, as two event-bus interceptors:
 * <ul>
 *   <li>outbound, on the owner: whatever a listener instance sends or publishes carries its listener's
 *   name and epoch (headers, and an {@code epoch} field in a JSON envelope), and is dropped when this
 *   node no longer holds that lease in time ({@link Ownership#valid}): a node that wakes from a pause
 *   publishes nothing under its old epoch, even before its timers have run;</li>
 *   <li>inbound, on every node: a message of an epoch older than the newest this node has seen for that
 *   listener is dropped, so no consumer here ever sees a stale owner's data.</li>
 * </ul>
 */
final class EpochGuard {
  static final String LISTENER_HEADER = "switchboard-listener";
  static final String EPOCH_HEADER = "switchboard-epoch";
  private static final Logger LOG = LoggerFactory.getLogger(EpochGuard.class);

  private final Ownership ownership;
  private final Map<String, Long> newest = new ConcurrentHashMap<>();
  private final AtomicLong droppedOutbound = new AtomicLong();
  private final AtomicLong droppedInbound = new AtomicLong();

  EpochGuard(Ownership ownership) {
    this.ownership = ownership;
  }

  void install(EventBus bus) {
    bus.addOutboundInterceptor(this::outbound);
    bus.addInboundInterceptor(this::inbound);
  }

  /** Messages a stale owner tried to send, dropped here. */
  long droppedOutbound() {
    return droppedOutbound.get();
  }

  /** Messages of an older epoch that arrived here, dropped. */
  long droppedInbound() {
    return droppedInbound.get();
  }

  /** The newest epoch seen here for {@code listener}, from any source; 0 when none. */
  long newest(String listener) {
    return newest.getOrDefault(listener, 0L);
  }

  /** Notes an epoch seen elsewhere (a status): true if it is not older than the newest seen. */
  boolean current(String listener, long epoch) {
    ownership.saw(listener, epoch);
    return newest.merge(listener, epoch, Math::max) <= epoch;
  }

  private <T> void outbound(DeliveryContext<T> ctx) {
    Context context = Vertx.currentContext();
    JsonObject config = context == null ? null : context.config();
    if (config == null || !(config.getValue(ListenerVerticle.EPOCH) instanceof Number n) || n.longValue() == 0
        || !(config.getValue(ListenerVerticle.LISTENER) instanceof String listener)) {
      ctx.next();
      return;
    }
    long epoch = n.longValue();
    if (!ownership.valid(listener, epoch)) {
      if (droppedOutbound.incrementAndGet() % 1_000 == 1) {
        LOG.warn("[{}] dropped a message to {} sent under epoch {}, which this node no longer holds", listener, ctx.message().address(), epoch);
      }
      return;
    }
    ctx.message().headers().set(LISTENER_HEADER, listener).set(EPOCH_HEADER, Long.toString(epoch));
    if (ctx.body() instanceof JsonObject envelope && envelope.containsKey("seq")) {
      envelope.put("epoch", epoch);
    }
    ctx.next();
  }

  private <T> void inbound(DeliveryContext<T> ctx) {
    String listener = ctx.message().headers().get(LISTENER_HEADER);
    String epochText = listener == null ? null : ctx.message().headers().get(EPOCH_HEADER);
    if (epochText == null) {
      ctx.next();
      return;
    }
    long epoch;
    try {
      epoch = Long.parseLong(epochText);
    } catch (NumberFormatException e) { // only this guard writes the header: this message is not a listener's
      droppedInbound.incrementAndGet();
      return;
    }
    if (!current(listener, epoch)) {
      droppedInbound.incrementAndGet();
      return;
    }
    ctx.next();
  }
}
