package dev.switchboard.server.fanout;

import dev.switchboard.core.envelope.BufferBytes;
import dev.switchboard.core.envelope.JsonEnvelope;
import dev.switchboard.core.envelope.StrictJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The hot path of one upstream message, without sockets: frame -> envelope -> what M clients get.
 * {@code checkAndEnvelope} and {@code fanoutBytes} are today's path (the frame's bytes checked by
 * {@link StrictJson} and passed on as they are); {@code parseAndEnvelope} and {@code fanout} the path
 * before it (parsed into a JsonObject, encoded again). {@code sockJsBridge} does what the SockJS bridge does per client (a copy of the
 * message for each client's consumer, a bridge frame encoded for each); {@code fanout} what the
 * fan-out path does (one copy, one encoding, one WebSocket frame, the same bytes queued M times).
 * In this package, beside the classes it measures (which are package-private), but in the bench
 * module: a regression shows up here without the full relay harness.
 *
 * <pre>java -cp modules/bench/target/switchboard-bench.jar org.openjdk.jmh.Main FanoutHotPath</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FanoutHotPathBench {
  private static final String ADDRESS = "upstream.bench.message";

  @Param({"1", "100"})
  public int clients;

  private String upstreamFrame;
  private Buffer upstreamBytes;
  private JsonObject envelope;
  private JsonEnvelope bytesEnvelope;
  private final StrictJson strictJson = new StrictJson();
  private final byte[] recPrefix = ("{\"type\":\"rec\",\"address\":\"" + ADDRESS + "\",\"body\":").getBytes(StandardCharsets.UTF_8);
  private long seq;

  @Setup
  public void setUp() {
    upstreamFrame = "{\"event_type\":\"state_changed\",\"data\":{\"entity_id\":\"sensor.bench_room_07_temperature\","
        + "\"old_state\":{\"state\":\"21.4\",\"attributes\":{\"unit_of_measurement\":\"C\",\"friendly_name\":\"Bench room\"}},"
        + "\"new_state\":{\"state\":\"21.5\",\"attributes\":{\"unit_of_measurement\":\"C\",\"friendly_name\":\"Bench room\"}}},"
        + "\"origin\":\"LOCAL\",\"time_fired\":\"2026-11-22T00:00:00.000000+00:00\",\"gseq\":123456,\"gt\":987654321}";
    upstreamBytes = Buffer.buffer(upstreamFrame);
    envelope = parseAndEnvelope();
    bytesEnvelope = checkAndEnvelope();
  }

  /** The WebSocket listener's check of every text frame, before the listener reads it: strict UTF-8 (RFC 6455). */
  @Benchmark
  public boolean utf8Check() {
    return BufferBytes.isUtf8(upstreamBytes);
  }

  /** What the upstream listener does with each frame today (FeedListener.onTextUtf8): check the bytes, wrap them. */
  @Benchmark
  public JsonEnvelope checkAndEnvelope() {
    if (!strictJson.isPlainContainer(upstreamBytes)) {
      throw new IllegalStateException("the bench's frame is plain JSON");
    }
    return new JsonEnvelope(++seq, System.currentTimeMillis(), "bench", "json", 0, upstreamBytes);
  }

  /** Per message, for M clients, as the fan-out path does today: one frame around the upstream's bytes, shared. */
  @Benchmark
  public void fanoutBytes(Blackhole out) {
    Delivery delivery = Delivery.ofEnvelope(ADDRESS, recPrefix, bytesEnvelope);
    for (int i = 0; i < clients; i++) {
      out.consume(delivery.frame());
    }
  }

  /** What the upstream listener did with each frame before it passed the bytes on: parse, build the envelope. */
  @Benchmark
  public JsonObject parseAndEnvelope() {
    return new JsonObject()
        .put("seq", ++seq)
        .put("ts", System.currentTimeMillis())
        .put("source", "bench")
        .put("type", "json")
        .put("data", new JsonObject(upstreamFrame));
  }

  /** Per message, for M clients, as the SockJS bridge: a copy per consumer, an encoding per client. */
  @Benchmark
  public void sockJsBridge(Blackhole out) {
    for (int i = 0; i < clients; i++) {
      JsonObject copy = envelope.copy();
      out.consume(new JsonObject().put("type", "rec").put("address", ADDRESS).put("body", copy).toBuffer());
    }
  }

  /** Per message, for M clients, as the fan-out path: one copy, one encoding, one frame, shared. */
  @Benchmark
  public void fanout(Blackhole out) {
    JsonObject copy = envelope.copy();
    Buffer payload = new JsonObject().put("type", "rec").put("address", ADDRESS).put("body", copy).toBuffer();
    Delivery delivery = Delivery.of(ADDRESS, payload);
    for (int i = 0; i < clients; i++) {
      out.consume(delivery.frame());
    }
  }
}
