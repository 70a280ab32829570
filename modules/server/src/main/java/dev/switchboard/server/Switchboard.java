package dev.switchboard.server;

import dev.switchboard.cluster.ClusterNode;
import dev.switchboard.cluster.ClusteredVertx;
import dev.switchboard.cluster.RouteRefreshingClusterManager;
import dev.switchboard.core.ConfigException;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import dev.switchboard.core.ControlException;
import dev.switchboard.core.ControlPlane;
import dev.switchboard.core.ListenerDefinition;
import dev.switchboard.core.Supervisor;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.status.StatusModule;
import dev.switchboard.server.config.SwitchboardConfig;
import dev.switchboard.server.http.HttpApi;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.http.HttpMethod;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.Match;
import io.vertx.micrometer.MatchType;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * One running Switchboard: a Vert.x instance with the demo simulators (if configured), the
 * supervisor, the status fan-out, the HTTP API and the user's own verticles, deployed in that order.
 */
public final class Switchboard {
  private static final Logger LOG = LoggerFactory.getLogger(Switchboard.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final Vertx vertx;
  /** The reload asked for last: the next waits for it. */
  private Future<?> lastReload = Future.succeededFuture();
  private final SwitchboardConfig config;
  /** This node's Hazelcast member, and its event bus's routes; both null in a single process. */
  private final HazelcastClusterManager clusterManager;
  private final RouteRefreshingClusterManager routes;
  private ClusterNode cluster;
  private HttpApi http;
  private Supervisor supervisor;
  private String supervisorId;
  /** Everything deployed: the readiness probe's answer. */
  private volatile boolean ready;
  /** This process's hold on its data directory, let go as Vert.x closes (its first verticle). */
  private final DataDirLock lock;

  private Switchboard(Vertx vertx, SwitchboardConfig config, ClusteredVertx.Node node, DataDirLock lock) {
    this.lock = lock;
    this.vertx = vertx;
    this.config = config;
    this.clusterManager = node == null ? null : node.clusterManager();
    this.routes = node == null ? null : node.routes();
  }

  /**
   * Vert.x tags its HTTP server meters with the request's method, and takes any token a client sends
   * as one: each new token would add series to /metrics for good. Only the known methods keep theirs.
   */
  private static Match otherHttpMethods() {
    String known = HttpMethod.values().stream().map(HttpMethod::name).collect(Collectors.joining("|"));
    return new Match().setDomain(MetricsDomain.HTTP_SERVER).setLabel(Label.HTTP_METHOD.toString())
        .setType(MatchType.REGEX).setValue("(?!(" + known + ")$).*").setAlias("OTHER");
  }

  /** Builds Vert.x and deploys everything. Fails (and closes Vert.x) if any part fails to start. */
  public static Future<Switchboard> start(SwitchboardConfig config) {
    DataDirLock lock;
    try {
      lock = DataDirLock.take(config.dataDir());
    } catch (IllegalStateException e) {
      return Future.failedFuture(e);
    }
    return start(config, lock).onFailure(err -> lock.close());
  }

  private static Future<Switchboard> start(SwitchboardConfig config, DataDirLock lock) {
    // One registry per instance: tests run several in one JVM, and registries are JVM-wide by name.
    String registry = "switchboard-" + INSTANCES.incrementAndGet();
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setRegistryName(registry)
        .setJvmMetricsEnabled(true)
        // Vert.x's event-bus meters cost a registry lookup per message and per consumer (5% of a
        // single stream's CPU in a profile), tagged by address; /metrics counts messages per listener.
        .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)
        .addLabelMatch(otherHttpMethods())
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    // Linux's epoll through Netty's native transport where it is on the classpath (linux-x86_64 in the
    // jar): fewer system calls and allocations per message than Java's NIO selector. Elsewhere NIO.
    options.setEventLoopPoolSize(config.eventLoops()).setPreferNativeTransport(true);
    Future<Switchboard> built = config.cluster().enabled()
        ? ClusteredVertx.start(config.cluster(), options).map(node -> new Switchboard(node.vertx(), config, node, lock))
        : Future.succeededFuture(new Switchboard(Vertx.builder().with(options).build(), config, null, lock));
    return built.onSuccess(app -> logThreads(app.vertx, config)).compose(app -> app.deploy(registry)
        .map(app)
        .recover(err -> app.vertx.close().transform(v -> Future.failedFuture(err))));
  }

  /** Says how many event loops run and on which transport: the two settings a performance report needs first. */
  private static void logThreads(Vertx vertx, SwitchboardConfig config) {
    if (vertx.isNativeTransportEnabled()) {
      LOG.info("{} event loop(s), native transport (epoll)", config.eventLoops());
    } else {
      Throwable why = vertx.unavailableNativeTransportCause();
      LOG.info("{} event loop(s), Java NIO transport (native epoll unavailable here: {})", config.eventLoops(),
          why == null ? "not on the classpath" : why.toString());
    }
  }

  private Future<Void> deploy(String registry) {
    Future<Void> chain = vertx.deployVerticle(lock.releasedOnClose()).mapEmpty();
    for (SwitchboardConfig.Simulator simulator : config.simulators()) {
      chain = chain.compose(v -> vertx.deployVerticle(simulator.verticle())
          .recover(err -> Future.failedFuture(new IllegalStateException("simulator " + simulator.type() + " failed to start: " + err.getMessage(), err)))
          .mapEmpty());
    }
    return chain
        .compose(v -> {
          // Listeners start last, once everything that consumes their messages (history, your verticles) is up.
          String node = clusterManager == null ? null : config.cluster().node();
          supervisor = new Supervisor(config.kinds(), config.listeners(),
              new Supervisor.Options(config.dataDir(), config.statusInterval(), config.env(), node)).holdListeners();
          return vertx.deployVerticle(supervisor);
        })
        .compose(id -> {
          supervisorId = id;
          if (clusterManager == null) {
            return Future.succeededFuture();
          }
          // Before the status module: in a cluster, this node's view of every listener is its status stream.
          cluster = new ClusterNode(config.cluster(), clusterManager.getHazelcastInstance(), routes, supervisor, config.kinds(),
              config.listeners(), config.dataDir(), config.env());
          return vertx.deployVerticle(cluster);
        })
        .compose(id -> {
          // After the supervisor: the fan-out starts from its snapshot.
          return vertx.deployVerticle(new StatusModule(config.status()));
        })
        .compose(id -> vertx.deployVerticle(new ListenerMetrics(registry, config.kinds(), cluster == null ? null : config.cluster().node())))
        .compose(id -> cluster == null ? Future.succeededFuture() : ClusterMetrics.register(registry, cluster))
        .compose(id -> {
          http = new HttpApi(config, registry, control(), this::reload, () -> ready && (cluster == null || cluster.ready()),
              () -> cluster == null ? new JsonObject().put("clustered", false) : cluster.facts().toJson());
          return vertx.deployVerticle(http);
        })
        .compose(id -> deployUserVerticles())
        .onSuccess(v -> {
          supervisor.startListeners();
          if (cluster != null) {
            cluster.startListeners();
          }
          ready = true;
        })
        .compose(v -> control().snapshot())
        .onSuccess(snapshot -> LOG.info("switchboard ready on http://{}:{}/ with {} listener(s)",
            config.http().host(), http.port(), snapshot.listeners().size()))
        .mapEmpty();
  }

  private Future<Void> deployUserVerticles() {
    Future<Void> chain = Future.succeededFuture();
    for (SwitchboardConfig.UserVerticle verticle : config.verticles()) {
      DeploymentOptions options = new DeploymentOptions().setConfig(verticle.config()).setInstances(verticle.instances());
      chain = chain.compose(v -> vertx.deployVerticle(verticle.className(), options)
          .recover(err -> Future.failedFuture(new IllegalStateException("verticle " + verticle.className() + " failed to start: " + err.getMessage(), err)))
          .mapEmpty());
    }
    return chain;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** The control plane every face of this process wraps. */
  public ControlPlane control() {
    return cluster == null ? supervisor : cluster.control();
  }

  /** The cluster manager (and so the Hazelcast member) of this node; null in a single process. */
  HazelcastClusterManager clusterManager() {
    return clusterManager;
  }

  /** This node's part of the cluster, or empty in a single process. */
  public java.util.Optional<ClusterNode> cluster() {
    return java.util.Optional.ofNullable(cluster);
  }

  /**
   * Reads the config file again and makes its listeners the defined ones, listener by listener
   * (SIGHUP, {@code POST /api/reload}). Only {@code listeners} is applied; other sections need a restart.
   */
  public synchronized Future<Map<String, String>> reload() {
    if (config.file().isEmpty()) {
      return Future.failedFuture(new ControlException(409, "this process was not started from a config file: nothing to reload"));
    }
    // One after the other (two SIGHUPs, or one and a POST): the file read last is the one applied last.
    Future<Map<String, String>> next = lastReload.transform(previous -> readAndApply(config.file().get()));
    lastReload = next;
    return next;
  }

  private Future<Map<String, String>> readAndApply(java.nio.file.Path file) {
    // Off the event loop: reading the file (and checking the data dir, loading kinds) is disk work.
    return vertx.executeBlocking(() -> new ConfigLoader(config.env(), config.kinds()).load(file))
        .recover(err -> Future.failedFuture(err instanceof ConfigException e
            ? new ControlException(400, "config error in " + file + ": " + e.getMessage() + "; nothing changed") : err))
        .compose(fresh -> {
          LOG.info("reloading the listeners of {}", file);
          return control().replaceAll(fresh.listeners().stream().map(ListenerDefinition::source).toList());
        })
        .onSuccess(outcomes -> LOG.info("reloaded {}: {}", file, outcomes));
  }

  /** The HTTP API's routes as its router has them, {@code "GET /api/listeners/:name"}: what docs/openapi.json describes. */
  public java.util.List<String> apiRoutes() {
    return http.apiRoutes();
  }

  /** The HTTP port actually bound (useful with port 0). */
  public int httpPort() {
    return http.port();
  }

  /**
   * Stops the supervisor first, so that every listener closes its socket with a close handshake
   * while everything else still runs, then closes Vert.x.
   */
  public Future<Void> stop() {
    ready = false; // a stopping process takes no new work
    // Every listener closes its connection first (and nothing redeploys meanwhile), then the supervisor goes.
    // In a cluster, each lease is released once its listener has closed: the next owner connects at once.
    Future<Void> leasesReleased = cluster == null ? Future.succeededFuture() : cluster.leave();
    Future<Void> listenersDown = supervisorId == null ? leasesReleased
        : leasesReleased.transform(ar -> supervisor.shutDown()).transform(ar -> vertx.undeploy(supervisorId));
    // Not a transform: that would complete on one of this Vert.x's event loops, which close() shuts down.
    Promise<Void> closed = Promise.promise();
    listenersDown.onComplete(ar -> vertx.close().onComplete(closed)); // the data directory goes with it (releasedOnClose)
    return closed.future();
  }
}
