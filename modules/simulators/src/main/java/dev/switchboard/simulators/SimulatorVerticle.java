package dev.switchboard.simulators;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * What every simulator has: a count of its connections (the tests' proof of "never two at once"),
 * commands that may be called from any thread but run on the simulator's event loop, and an HTTP
 * admin API that answers every call at once, whatever the command does to the clients.
 */
public abstract class SimulatorVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(SimulatorVerticle.class);
  private final AtomicInteger concurrent = new AtomicInteger();
  private final AtomicInteger maxConcurrent = new AtomicInteger();
  private final AtomicLong total = new AtomicLong();
  /** The relay in front of the server, through which faults are done to the clients' TCP connections; null until it listens. */
  protected volatile TcpGate gate;

  /** Counts a new connection; returns its number, from 1. */
  protected final long connectionOpened() {
    maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
    return total.incrementAndGet();
  }

  protected final void connectionClosed() {
    concurrent.decrementAndGet();
  }

  /** Runs {@code action} on this simulator's event loop; its failure (or exception) fails the result. */
  protected final <T> Future<T> onLoop(Supplier<Future<T>> action) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      try {
        action.get().onComplete(promise);
      } catch (RuntimeException e) {
        promise.fail(e);
      }
    });
    return promise.future();
  }

  protected final Future<Void> onLoopRun(Runnable action) {
    return onLoop(() -> {
      action.run();
      return Future.succeededFuture();
    });
  }

  /** What the simulator reports about itself, also the answer to every admin command. */
  public abstract JsonObject stats();

  /**
   * Takes an admin request's connection out of what the simulator does to its clients: the gate in
   * front leaves it alone when it freezes or cuts them, so that the call that asked for it answers.
   * Every admin request comes here first. {@code gate} may be null (down: nothing to spare).
   */
  protected static void spareAdminConnection(HttpServerRequest req, TcpGate gate) {
    if (gate != null) {
      gate.spare(req.remoteAddress().port());
    }
  }

  /**
   * What a live proxy in front of a frozen server sends: an unasked pong on {@code ws} every
   * {@code everyMs}, until the socket closes. The server behind it answers nothing any more.
   */
  public static void pongLikeAProxy(Vertx vertx, ServerWebSocket ws, long everyMs) {
    vertx.setPeriodic(everyMs, id -> {
      if (ws.isClosed()) {
        vertx.cancelTimer(id);
      } else {
        ws.writePong(Buffer.buffer());
      }
    });
  }

  /**
   * Runs an admin command and answers it once done; {@code command} answers null when it answered
   * itself, and throws IllegalArgumentException for a parameter it refuses (400, with the reason).
   */
  protected final void runAdmin(HttpServerRequest req, Supplier<Future<?>> command) {
    Future<?> done;
    try {
      done = command.get();
    } catch (IllegalArgumentException e) {
      req.response().setStatusCode(400).end(e.getMessage() + "\n");
      return;
    }
    if (done != null) {
      answerAdmin(req, done);
    }
  }

  /** Answers an admin command once it is done: the stats as JSON, or 500 with what went wrong. */
  protected final void answerAdmin(HttpServerRequest req, Future<?> done) {
    done.onComplete(ar -> {
      if (ar.succeeded()) {
        req.response().putHeader("content-type", "application/json").end(stats().encode());
      } else {
        req.response().setStatusCode(500).end(String.valueOf(ar.cause().getMessage()));
      }
    });
  }

  /**
   * For a command that closes the port the answer would travel on (down, restart): answers at once with
   * the stats as they are, closes that connection, and runs {@code command} once the gate has passed the
   * answer on and closed it too. Waiting for the close makes "the answer is out" a fact, not a guess.
   */
  protected final void answerAdminThen(HttpServerRequest req, TcpGate gate, Supplier<Future<?>> command) {
    Future<Void> answered = gate == null ? Future.succeededFuture() : gate.whenClosed(req.remoteAddress().port());
    req.response().putHeader("content-type", "application/json").putHeader("connection", "close").end(stats().encode())
        .onComplete(ar -> req.connection().close());
    answered.onComplete(ar -> onLoop(() -> command.get().<Void>mapEmpty())
        .onFailure(err -> LOG.error("{}: admin command {} failed", getClass().getSimpleName(), req.path(), err)));
  }

  /**
   * The most bytes an admin command may have a simulator send at once: past any listener's limit, and
   * still far from the heap of the process the simulators share with Switchboard in the demo.
   */
  protected static final int MAX_ADMIN_BYTES = 64 * 1024 * 1024;

  /**
   * A whole-number query parameter of an admin command, {@code fallback} when absent; anything but a
   * number from {@code min} to {@code max} is refused with an IllegalArgumentException (a 400).
   */
  protected static int intParam(HttpServerRequest req, String name, int fallback, int min, int max) {
    String text = req.getParam(name);
    if (text == null) {
      return fallback;
    }
    try {
      int value = Integer.parseInt(text.trim());
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // refused below, with the range
    }
    throw new IllegalArgumentException("query parameter '" + name + "' must be a whole number from " + min + " to " + max
        + ", not '" + text + "'");
  }

  public int concurrentConnections() {
    return concurrent.get();
  }

  public int maxConcurrentConnections() {
    return maxConcurrent.get();
  }

  /** Forgets the highest concurrency seen, so that a test can watch a new period. */
  public void resetMaxConcurrent() {
    maxConcurrent.set(concurrent.get());
  }

  public long totalConnections() {
    return total.get();
  }

  /** TCP connections still open through the simulator's relay (a closing one counts until it is gone). */
  public int openTcpConnections() {
    TcpGate current = gate;
    return current == null ? 0 : current.liveConnections();
  }

  /** Exactly this many connections, and none still closing underneath: what a test waits for before it counts. */
  public boolean settledAt(int connections) {
    return concurrentConnections() == connections && openTcpConnections() == connections;
  }
}
