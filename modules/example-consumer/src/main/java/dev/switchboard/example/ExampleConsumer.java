package dev.switchboard.example;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Your own Vert.x application, in a process of its own, joined to a Switchboard cluster. It joins as a
 * Hazelcast <em>lite member</em>: it holds no partition of the cluster's maps, and only members that are
 * Switchboard nodes count toward the majority, so starting or stopping it never changes who may own a
 * listener. Once joined, the event bus is one: {@link FeedConsumer} consumes
 * {@code upstream.<listener>.message} and sends on {@code upstream.<listener>.send}, wherever the
 * listener runs now.
 *
 * <pre>
 * java -cp "$CLASSPATH" dev.switchboard.example.ExampleConsumer \
 *   --cluster switchboard --members 10.0.0.1:5701,10.0.0.2:5701,10.0.0.3:5701 \
 *   --host 10.0.0.9 --port 5701 --listener feed --send-every 5s [--heartbeat 1s --max-silence 5s]
 * </pre>
 */
public final class ExampleConsumer {
  private static final Logger LOG = LoggerFactory.getLogger(ExampleConsumer.class);

  /**
   * @param cluster   the Switchboard nodes' {@code cluster.name}
   * @param members   the Switchboard nodes' {@code cluster.members}, {@code host:port} each
   * @param host      this machine's address the nodes can reach (Hazelcast and the event bus bind it)
   * @param port      this process's Hazelcast port
   * @param listener  the generic feed listener to consume
   * @param sendEvery how often a message is sent to the feed's upstream
   * @param heartbeat  the nodes' {@code cluster.heartbeat}: how often this process tells them it is alive
   * @param maxSilence the nodes' {@code cluster.maxSilence}: how long this process waits for one of theirs
   */
  public record Options(String cluster, List<String> members, String host, int port, String listener, Duration sendEvery,
                        Duration heartbeat, Duration maxSilence) {
  }

  private static final String USAGE = "usage: --cluster NAME --members HOST:PORT,... --host HOST --port PORT --listener NAME"
      + " [--send-every 5s] [--heartbeat 1s] [--max-silence 5s]";
  private static final List<String> REQUIRED = List.of("cluster", "members", "host", "port", "listener");
  private static final List<String> OPTIONAL = List.of("send-every", "heartbeat", "max-silence");

  private ExampleConsumer() {
  }

  public static void main(String[] args) {
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("example-consumer: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    Vertx vertx;
    try {
      vertx = start(options).toCompletionStage().toCompletableFuture().join();
    } catch (java.util.concurrent.CompletionException e) {
      System.err.println("example-consumer: could not start: " + e.getCause());
      System.exit(1);
      return;
    }
    // Leave the cluster in order on SIGTERM: the nodes drop this member's registrations at once.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("did not leave the cluster cleanly: {}", e.toString());
      }
    }, "example-consumer-shutdown"));
  }

  /** Joins the cluster, then deploys the consumer. */
  public static Future<Vertx> start(Options options) {
    VertxOptions vertxOptions = new VertxOptions()
        .setEventBusOptions(new EventBusOptions().setHost(options.host()).setPort(0)); // any free port, advertised
    return Future.succeededFuture(options).map(o -> new HazelcastClusterManager(hazelcastConfig(o)))
        .compose(manager -> Vertx.builder().with(vertxOptions).withClusterManager(manager).buildClustered())
        .compose(vertx -> vertx.deployVerticle(new FeedConsumer(options.listener(), options.sendEvery()), new DeploymentOptions())
            .map(id -> {
              LOG.info("joined cluster '{}' as a lite member on {}:{}; consuming upstream.{}.message",
                  options.cluster(), options.host(), options.port(), options.listener());
              return vertx;
            })
            // Not left a member of the cluster with nothing deployed: it leaves, then the start fails.
            .recover(err -> vertx.close().transform(closed -> Future.<Vertx>failedFuture(err))));
  }

  /**
   * The Switchboard nodes' own settings where they must agree (cluster name, TCP-IP join with the
   * listed members, no multicast, heartbeats), as a lite member, with no Switchboard node attribute.
   */
  static Config hazelcastConfig(Options options) {
    Config config = ConfigUtil.loadConfig(); // Vert.x's own structures keep their settings
    config.setClusterName(options.cluster());
    config.setLiteMember(true);
    config.setInstanceName("example-consumer-" + ProcessHandle.current().pid());
    // The advanced network's member endpoint, as the nodes use: Hazelcast's default network spins an
    // I/O thread on a connection to a frozen node (Hazelcast issue #26473, docs/cluster.md).
    // Its socket defaults differ from the default network's; these keep the latter's.
    ServerSocketEndpointConfig member = new ServerSocketEndpointConfig();
    member.setPort(options.port()).setPortAutoIncrement(false).setReuseAddress(true)
        .setPublicAddress(options.host() + ":" + options.port())
        .setSocketConnectTimeoutSeconds(10).setSocketLingerSeconds(-1);
    member.getInterfaces().setEnabled(true).addInterface(options.host());
    config.getAdvancedNetworkConfig().setEnabled(true).setMemberEndpointConfig(member);
    config.setProperty("hazelcast.socket.server.bind.any", "false"); // listen on that interface only, not on every one
    JoinConfig join = config.getAdvancedNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(options.members());
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    // The nodes drop a member they have not heard from for their maxSilence: with Hazelcast's default
    // (a heartbeat every 5 s) this process would be dropped within seconds, and receive nothing after.
    // And, as they do, it merges back within maxSilence after a partition, not after 5 minutes.
    long silence = options.maxSilence().toSeconds();
    config.setProperty("hazelcast.heartbeat.interval.seconds", String.valueOf(options.heartbeat().toSeconds()));
    config.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(silence));
    config.setProperty("hazelcast.merge.first.run.delay.seconds", String.valueOf(Math.max(5, silence)));
    config.setProperty("hazelcast.merge.next.run.delay.seconds", String.valueOf(Math.max(5, silence)));
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.shutdownhook.enabled", "false"); // our hook closes Vert.x, which leaves in order
    return config;
  }

  static Options parse(String[] args) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got " + Arrays.toString(args));
      }
      String name = args[i].substring(2);
      if (!REQUIRED.contains(name) && !OPTIONAL.contains(name)) {
        throw new IllegalArgumentException("unknown option --" + name); // a typo must not leave a default in place
      }
      values.put(name, args[++i]);
    }
    for (String required : REQUIRED) {
      if (!values.containsKey(required)) {
        throw new IllegalArgumentException("--" + required + " is required");
      }
    }
    int port = port(values.get("port"));
    Duration heartbeat = wholeSeconds("heartbeat", duration("heartbeat", values.getOrDefault("heartbeat", "1s")));
    Duration maxSilence = wholeSeconds("max-silence", duration("max-silence", values.getOrDefault("max-silence", "5s")));
    if (maxSilence.compareTo(heartbeat.multipliedBy(2)) < 0) {
      throw new IllegalArgumentException("--max-silence must be at least twice --heartbeat, as the nodes' cluster settings are");
    }
    return new Options(values.get("cluster"), List.of(values.get("members").split(",")), values.get("host"), port,
        values.get("listener"), duration("send-every", values.getOrDefault("send-every", "5s")), heartbeat, maxSilence);
  }

  private static int port(String text) {
    try {
      int port = Integer.parseInt(text);
      if (port >= 1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new IllegalArgumentException("--port must be a number from 1 to 65535, not '" + text + "'");
  }

  /** Hazelcast counts heartbeats in whole seconds, as the nodes' settings do. */
  private static Duration wholeSeconds(String option, Duration d) {
    if (d.toMillis() % 1000 != 0) {
      throw new IllegalArgumentException("--" + option + " must be whole seconds (1s, 5s), not " + d.toMillis() + " ms");
    }
    return d;
  }

  /** {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}: at least 1 ms. */
  static Duration duration(String option, String text) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})(ms|s|m|h)").matcher(text.trim());
    long amount = m.matches() ? Long.parseLong(m.group(1)) : 0;
    if (amount > 0) {
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        default -> Duration.ofHours(amount);
      };
    }
    throw new IllegalArgumentException("--" + option + " must be a whole number above 0 and ms, s, m or h (250ms, 5s), not '" + text + "'");
  }
}
