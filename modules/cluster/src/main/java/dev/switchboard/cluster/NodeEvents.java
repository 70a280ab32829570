package dev.switchboard.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import dev.switchboard.core.Addresses;
import io.vertx.core.Context;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * Tells this node's verticles which Switchboard nodes are members, on {@link Addresses#CLUSTER_NODES}
 * (local), whenever that changes: a kind's owner-side part forgets at once what a node that left asked
 * for, instead of waiting for its requests to stop coming.
 */
final class NodeEvents implements MembershipListener {
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final Context context;
  private final HazelcastInstance hazelcast;
  private UUID registration;
  private MessageConsumer<JsonObject> now;

  NodeEvents(Context context, HazelcastInstance hazelcast) {
    this.context = context;
    this.hazelcast = hazelcast;
  }

  /** Call on the cluster node's context: the answer to {@link Addresses#CLUSTER_NODES_NOW} goes with it. */
  void start() {
    registration = hazelcast.getCluster().addMembershipListener(this);
    now = context.owner().eventBus().localConsumer(Addresses.CLUSTER_NODES_NOW,
        msg -> msg.reply(new JsonObject().put("nodes", new JsonArray(Members.names(hazelcast.getCluster().getMembers())))));
  }

  void stop() {
    if (now != null) {
      now.unregister();
    }
    if (registration != null && hazelcast.getLifecycleService().isRunning()) {
      hazelcast.getCluster().removeMembershipListener(registration);
    }
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    announce(event);
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    announce(event);
  }

  /** Called on a Hazelcast thread, with the members after the change: published on this node's loop. */
  private void announce(MembershipEvent event) {
    JsonObject nodes = new JsonObject().put("nodes", new JsonArray(Members.names(event.getMembers())));
    context.runOnContext(v -> context.owner().eventBus().publish(Addresses.CLUSTER_NODES, nodes, LOCAL));
  }
}
