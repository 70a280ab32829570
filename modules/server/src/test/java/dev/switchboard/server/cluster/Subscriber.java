package dev.switchboard.server.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A consumer of {@code upstream.<listener>.message} on one node, through its {@code /subscribe}
 * WebSocket: every envelope as it arrived, and what the stream promises about epochs and the feed
 * simulator's message numbers ({@code data.n}).
 */
final class Subscriber implements AutoCloseable {
  /** One envelope as it arrived; {@code n} is the feed's message number, -1 for a gap envelope. */
  record Received(long epoch, String type, long n, long at) {
  }

  private final WebSocketClient client;
  private final WebSocket ws;
  private final List<Received> received = new ArrayList<>();
  private final List<String> problems = new ArrayList<>();

  Subscriber(Vertx vertx, int port, String listener) throws java.util.concurrent.TimeoutException {
    client = vertx.createWebSocketClient();
    ws = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/subscribe?address=upstream." + listener + ".message")).await(10, TimeUnit.SECONDS);
    ws.textMessageHandler(text -> {
      JsonObject envelope = new JsonObject(text);
      synchronized (this) {
        if (!(envelope.getValue("epoch") instanceof Number epoch)) {
          problems.add("an envelope without an epoch: " + text);
          return;
        }
        String type = envelope.getString("type");
        JsonObject data = envelope.getValue("data") instanceof JsonObject d ? d : new JsonObject();
        received.add(new Received(epoch.longValue(), type, "gap".equals(type) ? -1 : data.getLong("n", -2L), System.nanoTime()));
      }
    });
  }

  synchronized List<Received> received() {
    return List.copyOf(received);
  }

  synchronized int count() {
    return received.size();
  }

  /** How many envelopes of {@code epoch} (or newer) arrived. */
  synchronized long countFrom(long epoch) {
    return received.stream().filter(r -> r.epoch >= epoch).count();
  }

  /** What arrived, for a failure message: how many envelopes of each epoch, and how long ago the last one. */
  synchronized String summary() {
    Map<Long, Long> byEpoch = new TreeMap<>();
    received.forEach(r -> byEpoch.merge(r.epoch, 1L, Long::sum));
    String last = received.isEmpty() ? "nothing yet"
        : "the last " + (System.nanoTime() - received.get(received.size() - 1).at) / 1_000_000 + " ms ago";
    return received.size() + " envelopes, by epoch " + byEpoch + ", " + last;
  }

  /**
   * What breaks the stream's promises, empty when nothing does: an envelope without an epoch, an epoch
   * lower than one that came before it (an old owner's message after the new owner's first), and a feed
   * message number seen twice (one upstream message delivered by two owners).
   */
  synchronized List<String> violations() {
    List<String> out = new ArrayList<>(problems);
    long highest = 0;
    Map<Long, Long> seen = new HashMap<>();
    for (int i = 0; i < received.size(); i++) {
      Received r = received.get(i);
      if (r.epoch < highest) {
        out.add("envelope " + i + " has epoch " + r.epoch + " after epoch " + highest + " (n=" + r.n + ")");
      }
      highest = Math.max(highest, r.epoch);
      if (r.n >= 0) {
        Long before = seen.put(r.n, r.epoch);
        if (before != null) {
          out.add("message n=" + r.n + " arrived twice (epochs " + before + " and " + r.epoch + ")");
        }
      }
    }
    return out.size() > 20 ? out.subList(0, 20) : out;
  }

  @Override
  public void close() {
    ws.close();
    client.close();
  }
}
