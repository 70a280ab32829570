package dev.switchboard.simulators;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay in front of a simulator's real server, so that the simulator can misbehave below the
 * WebSocket layer: {@link #blackhole()} freezes the live connections (no pongs, no data, no close,
 * like a half-open connection behind a NAT), and {@link #refuse(boolean)} drops new ones at once.
 * Vert.x answers WebSocket pings by itself, so a real stall cannot be made above this layer.
 * <p>
 * A connection the backend calls {@link #spare spared} (a simulator's own admin requests) is left out
 * of what the gate does to the others: it is never frozen nor cut, so an admin call always answers.
 */
public final class TcpGate {
  private static final Logger LOG = LoggerFactory.getLogger(TcpGate.class);
  /** How long a given port that is taken is tried again, and how often. */
  private static final java.time.Duration REBIND_PATIENCE = java.time.Duration.ofSeconds(5);
  private static final long REBIND_RETRY_MS = 50;

  private final Vertx vertx;
  private final NetServer server;
  private final NetClient client;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private volatile int backendPort;
  private volatile boolean refusing;

  private TcpGate(Vertx vertx, int backendPort) {
    this.vertx = vertx;
    this.backendPort = backendPort;
    this.client = vertx.createNetClient();
    this.server = vertx.createNetServer(new NetServerOptions().setReuseAddress(true));
  }

  /**
   * Listens on {@code host:port} (0 for any free port) and relays to {@code 127.0.0.1:backendPort}. A
   * given port that is briefly taken is tried again for a few seconds: after a restart, a client that
   * kept dialling the closed port can hold it for a moment (on loopback, a connect to a closed port in
   * the ephemeral range may be given that very port as its own).
   */
  public static Future<TcpGate> open(Vertx vertx, String host, int port, int backendPort) {
    return open(vertx, host, port, backendPort, System.nanoTime() + REBIND_PATIENCE.toNanos());
  }

  private static Future<TcpGate> open(Vertx vertx, String host, int port, int backendPort, long giveUpAt) {
    TcpGate gate = new TcpGate(vertx, backendPort);
    return gate.server.connectHandler(gate::accept).listen(port, host).map(s -> gate).recover(err -> {
      gate.client.close();
      gate.server.close();
      if (port == 0 || !portTaken(err) || System.nanoTime() > giveUpAt) {
        return Future.failedFuture(err);
      }
      return vertx.timer(REBIND_RETRY_MS).compose(v -> open(vertx, host, port, backendPort, giveUpAt));
    });
  }

  /** Java's NIO says BindException; Netty's native transport an IOException with the system's message. */
  private static boolean portTaken(Throwable err) {
    return err instanceof java.net.BindException
        || (err instanceof java.io.IOException && String.valueOf(err.getMessage()).contains("Address already in use"));
  }

  public int port() {
    return server.actualPort();
  }

  /**
   * New connections go to {@code 127.0.0.1:port} from now on; live ones stay where they are. With
   * {@link #cutAll()}, a client is moved to another server behind the same address (a load balancer's failover).
   */
  public void retarget(int port) {
    backendPort = port;
  }

  public void refuse(boolean on) {
    refusing = on;
  }

  /** Freezes every live connection but the spared ones: bytes in both directions are dropped from now on. */
  public void blackhole() {
    links.stream().filter(link -> !link.spared).forEach(link -> link.blackholed = true);
  }

  /**
   * Stops reading what the backend sends on every live connection but the spared ones (and resumes it with
   * false): the backend's writes back up as they do to a client that reads too slowly, a busy browser tab's, while
   * the client's own bytes still reach the backend. Completes once every connection has it.
   */
  public Future<Void> hold(boolean on) {
    return Future.all(links.stream().filter(link -> !link.spared).map(link -> link.hold(on)).toList()).mapEmpty();
  }

  /** Closes every live connection but the spared ones abruptly (no WebSocket close frame). */
  public void cutAll() {
    links.stream().filter(link -> !link.spared).forEach(Link::close);
  }

  /**
   * Leaves the connection that reaches the backend from {@code backendPeerPort} out of {@link #blackhole()}
   * and {@link #cutAll()} from now on. Returns false when there is none (it did not come through the gate).
   */
  public boolean spare(int backendPeerPort) {
    Link link = link(backendPeerPort);
    if (link != null) {
      link.spared = true;
    }
    return link != null;
  }

  /** Completes once the connection that reaches the backend from {@code backendPeerPort} is closed (at once if there is none). */
  public Future<Void> whenClosed(int backendPeerPort) {
    Link link = link(backendPeerPort);
    return link == null ? Future.succeededFuture() : link.closed.future();
  }

  /**
   * Closes abruptly the one live connection that reaches the backend from {@code backendPeerPort}: the
   * remote port the backend server sees for it. Returns false when there is none.
   */
  public boolean cut(int backendPeerPort) {
    Link link = link(backendPeerPort);
    if (link != null) {
      link.close();
    }
    return link != null;
  }

  private Link link(int backendPeerPort) {
    return links.stream().filter(link -> link.back.localAddress().port() == backendPeerPort).findFirst().orElse(null);
  }

  public int liveConnections() {
    return links.size();
  }

  /** Stops listening and closes every connection, the spared ones too. */
  public Future<Void> close() {
    links.forEach(Link::close);
    return server.close().compose(v -> client.close());
  }

  private void accept(NetSocket front) {
    if (refusing) {
      front.close();
      return;
    }
    front.pause();
    client.connect(backendPort, "127.0.0.1").onComplete(ar -> {
      if (ar.failed()) {
        front.close();
        return;
      }
      Link link = new Link(front, ar.result(), vertx.getOrCreateContext());
      links.add(link);
      link.wire();
      front.resume();
    });
  }

  private final class Link {
    final NetSocket front;
    final NetSocket back;
    final Promise<Void> closed = Promise.promise();
    /** The context both sockets run on: where they are paused and resumed. */
    final Context context;
    volatile boolean blackholed;
    volatile boolean spared;
    /** Whether what the backend sends is not read (see {@link TcpGate#hold}); touched on {@link #context} only. */
    private boolean held;

    Link(NetSocket front, NetSocket back, Context context) {
      this.front = front;
      this.back = back;
      this.context = context;
    }

    Future<Void> hold(boolean on) {
      Promise<Void> done = Promise.promise();
      context.runOnContext(v -> {
        held = on;
        if (on) {
          back.pause();
        } else {
          back.resume();
        }
        done.complete();
      });
      return done.future();
    }

    void wire() {
      relay(front, back);
      relay(back, front);
      front.closeHandler(v -> close());
      back.closeHandler(v -> close());
      // A reset (a client's process killed, the cluster demo's kill -9) ends a link as a close does, and its close
      // handler follows: not an error to log (Vert.x logs one at ERROR when no handler takes it).
      front.exceptionHandler(err -> {
        LOG.debug("gate: the client side failed: {}", err.toString());
        close();
      });
      back.exceptionHandler(err -> {
        LOG.debug("gate: the server side failed: {}", err.toString());
        close();
      });
    }

    private void relay(NetSocket from, NetSocket to) {
      from.handler(data -> {
        if (blackholed) {
          return;
        }
        to.write(data);
        if (to.writeQueueFull()) {
          from.pause();
          to.drainHandler(v -> {
            if (from != back || !held) {
              from.resume();
            }
          });
        }
      });
    }

    void close() {
      if (links.remove(this)) {
        // Both closes flush what was already written: an answer relayed just before still arrives.
        Future.join(front.close(), back.close()).onComplete(ar -> closed.tryComplete());
      }
    }
  }
}
