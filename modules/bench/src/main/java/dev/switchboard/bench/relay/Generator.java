package dev.switchboard.bench.relay;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;

import java.util.function.LongSupplier;

/**
 * The upstream of the relay benchmark: a WebSocket server at {@code /feed} that sends
 * {@code state_changed}-like JSON messages (about 330 bytes) to the relay, each carrying
 * {@code gseq} (1, 2, ...) and {@code gt} (System.nanoTime() at send; the clients live in the same
 * JVM, so they can subtract). It sends at a fixed rate, or, for "max", as fast as the relay
 * delivers: never more than {@code window} messages ahead of what the clients have received, so
 * that a relay which reads faster than it delivers cannot hide a queue in its memory.
 */
final class Generator extends VerticleBase {
  private static final String[] ENTITIES = new String[64];

  static {
    for (int i = 0; i < ENTITIES.length; i++) {
      ENTITIES[i] = String.format("sensor.bench_room_%02d_temperature", i);
    }
  }

  private HttpServer server;
  private final Promise<Void> relayConnected = Promise.promise();
  private ServerWebSocket relay;
  /** Connections the relay made to /feed so far: more than one in a round means its upstream dropped and came back. */
  private volatile int connections;
  private volatile long sent;
  private boolean sending;
  /** Which sendAtMax the pump belongs to: a pump of an earlier round still scheduled stops instead of running beside it. */
  private long pumpRound;
  private long timer = -1;

  @Override
  public Future<?> start() {
    return listen(0);
  }

  private Future<HttpServer> listen(int port) {
    // No compression: the relays under test should spend their CPU relaying, not inflating.
    server = vertx.createHttpServer(new HttpServerOptions()
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)).webSocketHandler(ws -> {
      if (!ws.path().equals("/feed")) {
        ws.close((short) 1008, "unknown path");
        return;
      }
      relay = ws;
      connections++; // on the event loop only
      ws.closeHandler(v -> {
        if (relay == ws) {
          relay = null;
        }
      });
      relayConnected.tryComplete();
    });
    return server.listen(port, "127.0.0.1");
  }

  /** The upstream dies: the server stops listening and the relay's connection drops. */
  Future<Void> kill() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      ServerWebSocket ws = relay;
      relay = null;
      Future<Void> closed = ws == null ? Future.succeededFuture() : ws.close((short) 1001, "upstream going away");
      closed.eventually(server::close).onComplete(ar -> done.complete());
    });
    return done.future();
  }

  /** The upstream comes back on the same port. */
  Future<Void> revive() {
    int port = server.actualPort();
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> listen(port).<Void>mapEmpty().onComplete(done));
    return done.future();
  }

  boolean relayPresent() {
    return relay != null;
  }

  /** How many times a relay has connected to /feed so far. */
  int connections() {
    return connections;
  }

  int port() {
    return server.actualPort();
  }

  Future<Void> relayConnected() {
    return relayConnected.future();
  }

  long sent() {
    return sent;
  }

  /**
   * Sends {@code ratePerSecond} messages a second until {@link #stopSending()}. While no relay is
   * connected nothing is sent and nothing is owed: the rate starts over when one connects.
   */
  Future<Void> sendAtRate(int ratePerSecond) {
    return onLoop(() -> {
      sending = true;
      long[] start = {System.nanoTime(), sent};
      timer = vertx.setPeriodic(2, id -> {
        if (relay == null) {
          start[0] = System.nanoTime();
          start[1] = sent;
          return;
        }
        long due = start[1] + (long) ((System.nanoTime() - start[0]) / 1e9 * ratePerSecond);
        while (sending && sent < due && relay != null) {
          sendOne();
        }
      });
    });
  }

  /** Sends as fast as the clients take it: at most {@code window} messages ahead of deliveries/M. */
  Future<Void> sendAtMax(int clients, int window, LongSupplier delivered) {
    return onLoop(() -> {
      sending = true;
      pump(++pumpRound, clients, window, delivered);
    });
  }

  private void pump(long round, int clients, int window, LongSupplier delivered) {
    if (!sending || round != pumpRound) {
      return;
    }
    long budget = (long) window * clients - (sent * clients - delivered.getAsLong());
    int burst = 0;
    while (relay != null && !relay.writeQueueFull() && budget >= clients && burst < 256) {
      sendOne();
      budget -= clients;
      burst++;
    }
    if (burst > 0) {
      vertx.runOnContext(v -> pump(round, clients, window, delivered));
    } else {
      vertx.setTimer(1, id -> pump(round, clients, window, delivered));
    }
  }

  /** Stops sending; the future holds the last seq sent. */
  Future<Long> stopSending() {
    Promise<Long> last = Promise.promise();
    context.runOnContext(v -> {
      sending = false;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
      last.complete(sent);
    });
    return last.future();
  }

  private void sendOne() {
    long seq = sent + 1;
    String entity = ENTITIES[(int) (seq % ENTITIES.length)];
    double value = 18 + (seq % 100) / 10.0;
    String text = "{\"event_type\":\"state_changed\",\"data\":{\"entity_id\":\"" + entity
        + "\",\"old_state\":{\"state\":\"" + (value - 0.1) + "\",\"attributes\":{\"unit_of_measurement\":\"C\",\"friendly_name\":\"Bench room\"}}"
        + ",\"new_state\":{\"state\":\"" + value + "\",\"attributes\":{\"unit_of_measurement\":\"C\",\"friendly_name\":\"Bench room\"}}}"
        + ",\"origin\":\"LOCAL\",\"time_fired\":\"2026-11-22T00:00:00.000000+00:00\",\"gseq\":" + seq + ",\"gt\":" + System.nanoTime() + "}";
    relay.writeTextMessage(text);
    sent = seq;
  }

  private Future<Void> onLoop(Runnable action) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      action.run();
      done.complete();
    });
    return done.future();
  }
}
