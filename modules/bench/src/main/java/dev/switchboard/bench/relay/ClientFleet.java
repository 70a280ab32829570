package dev.switchboard.bench.relay;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * M Vert.x bridge clients on a relay's WebSocket endpoint (e.g. {@code /eventbus/websocket}). Each registers
 * on one address and pings every 5 s, as {@code vertx-eventbus.js} does. Each message carries the
 * generator's {@code gseq} and {@code gt}: the fleet counts deliveries (seqs new to their client),
 * and, in each round's {@link MeasuringWindow}, duplicates (a seq of the window not above the last
 * one seen by that client), distinct seqs (for loss) and the latency from send to receive.
 */
final class ClientFleet implements Clients {
  private static final byte[] SEQ_KEY = "\"gseq\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TIME_KEY = "\"gt\":".getBytes(StandardCharsets.US_ASCII);

  private final Vertx vertx;
  private final WebSocketClient client;
  private final List<Member> members = new ArrayList<>();
  private final LongAdder delivered = new LongAdder();
  private volatile MeasuringWindow window = MeasuringWindow.NONE;
  private long pinger = -1;

  ClientFleet(Vertx vertx, int size) {
    this.vertx = vertx;
    this.client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxConnections(size + 16)
        .setMaxFrameSize(1 << 20)
        .setMaxMessageSize(1 << 22));
    for (int i = 0; i < size; i++) {
      members.add(new Member());
    }
  }

  /** Connects every client (50 at a time) and registers each on {@code address}. */
  @Override
  public Future<Void> connect(int port, String path, String address) {
    String register = "{\"type\":\"register\",\"address\":\"" + address + "\"}";
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < members.size(); from += 50) {
      List<Member> batch = members.subList(from, Math.min(members.size(), from + 50));
      chain = chain.compose(v -> Future.all(batch.stream().map(m -> m.connect(port, path, register)).toList()).mapEmpty());
    }
    return chain.onSuccess(v -> pinger = vertx.setPeriodic(5_000, id -> members.forEach(Member::ping)));
  }

  @Override
  public boolean allReceiving() {
    return members.stream().allMatch(m -> m.tally.last() > 0);
  }

  @Override
  public long connectedCount() {
    return members.stream().filter(m -> m.socket != null && !m.socket.isClosed()).count();
  }

  @Override
  public void openWindow(long first) {
    window = new MeasuringWindow(first);
  }

  @Override
  public void closeWindow(long last) {
    window.close(last);
  }

  @Override
  public long delivered() {
    return delivered.sum();
  }

  @Override
  public long duplicates() {
    return window.duplicates();
  }

  @Override
  public long missing() {
    MeasuringWindow w = window;
    return members.stream().mapToLong(m -> w.expectedPerClient() - m.tally.inWindow(w)).sum();
  }

  @Override
  public long lowestLast() {
    return members.stream().mapToLong(m -> m.tally.last()).min().orElse(0);
  }

  @Override
  public LatencyHistogram latencies() {
    return window.latencies();
  }

  @Override
  public String kind() {
    return "java";
  }

  @Override
  public Future<Void> close() {
    if (pinger >= 0) {
      vertx.cancelTimer(pinger);
    }
    return client.close();
  }

  /** One client; its tally is touched only on its connection's event loop. */
  private final class Member {
    private volatile WebSocket socket;
    private final ClientTally tally = new ClientTally();

    Future<Void> connect(int port, String path, String register) {
      return client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(path))
          .map(ws -> {
            socket = ws;
            ws.handler(this::onData);
            ws.writeTextMessage(register);
            return null;
          });
    }

    void ping() {
      WebSocket ws = socket;
      if (ws != null && !ws.isClosed()) {
        ws.writeTextMessage("{\"type\":\"ping\"}");
      }
    }

    private void onData(Buffer data) {
      long now = System.nanoTime();
      long seq = numberAfter(data, SEQ_KEY);
      long sentAt = numberAfter(data, TIME_KEY);
      if (seq >= 0 && tally.receive(seq, now - sentAt, window)) {
        delivered.increment(); // a duplicate is no delivery: a relay must not gain deliveries/s by repeating itself
      }
    }
  }

  /** The non-negative integer after the last occurrence of {@code key}, or -1. */
  static long numberAfter(Buffer data, byte[] key) {
    for (int i = data.length() - key.length; i >= 0; i--) {
      if (matches(data, i, key)) {
        long value = 0;
        int j = i + key.length;
        boolean any = false;
        while (j < data.length()) {
          byte b = data.getByte(j);
          if (b < '0' || b > '9') {
            break;
          }
          value = value * 10 + (b - '0');
          any = true;
          j++;
        }
        return any ? value : -1;
      }
    }
    return -1;
  }

  private static boolean matches(Buffer data, int at, byte[] key) {
    for (int k = 0; k < key.length; k++) {
      if (data.getByte(at + k) != key[k]) {
        return false;
      }
    }
    return true;
  }
}
