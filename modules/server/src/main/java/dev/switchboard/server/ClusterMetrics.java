package dev.switchboard.server;

import dev.switchboard.cluster.ClusterNode;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Future;
import io.vertx.micrometer.backends.BackendRegistries;

/** The cluster as this node sees it, on {@code /metrics}: {@code switchboard_cluster_*}, labelled with the node. */
final class ClusterMetrics {
  private ClusterMetrics() {
  }

  static Future<Void> register(String registryName, ClusterNode cluster) {
    MeterRegistry registry = BackendRegistries.getNow(registryName);
    if (registry == null) {
      return Future.succeededFuture();
    }
    Tags tags = Tags.of("node", cluster.facts().node());
    Gauge.builder("switchboard_cluster_nodes", cluster, c -> c.facts().nodes().size())
        .description("Switchboard nodes that are members of the cluster now, as this node sees it").tags(tags).register(registry);
    Gauge.builder("switchboard_cluster_majority_present", cluster, c -> c.facts().majorityPresent() ? 1 : 0)
        .description("1 while a majority of the configured Switchboard nodes is present and heard from (nothing runs without one)").tags(tags).register(registry);
    Gauge.builder("switchboard_cluster_safe", cluster, c -> c.facts().safe() ? 1 : 0)
        .description("1 while every partition of the cluster's state has its backup and none migrates: another node may stop")
        .tags(tags).register(registry);
    Gauge.builder("switchboard_cluster_leases_held", cluster, c -> c.facts().leasesHeld())
        .description("listeners this node owns (holds the lease of)").tags(tags).register(registry);
    FunctionCounter.builder("switchboard_cluster_takeovers", cluster, c -> c.facts().takeovers())
        .description("leases this node took over from an owner that stopped renewing").tags(tags).register(registry);
    FunctionCounter.builder("switchboard_cluster_fenced", cluster, c -> c.facts().fenced())
        .description("times this node stopped a listener because it could not renew its lease, or heard from no majority, in time").tags(tags).register(registry);
    FunctionCounter.builder("switchboard_cluster_stale_messages_dropped", cluster, c -> c.facts().staleDropped())
        .description("messages under a replaced owner's epoch dropped here").tags(tags).register(registry);
    FunctionCounter.builder("switchboard_cluster_routes_mended", cluster, c -> c.facts().routesMended())
        .description("event-bus routes found stale (a registration report lost) and mended by a refresh, this node's"
            + " consumers and entry that the registry lost and a refresh put back, and its registrations with no consumer"
            + " that a refresh took out").tags(tags).register(registry);
    return Future.succeededFuture();
  }
}
