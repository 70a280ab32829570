package dev.switchboard.bench;

import dev.switchboard.core.Msgpack;
import dev.switchboard.core.Rfc3339;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
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

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One Alpaca data frame of {@code messages} trades and quotes, from the bytes the WebSocket hands over
 * to the JSON objects the listener routes, in each encoding: {@code json} is what the listener does with
 * a text frame (UTF-8 to a string, the U+FFFD check, Jackson into a JsonArray), {@code msgpack} what it
 * does with a binary one (its msgpack decoder into a JsonArray, each {@code t} Timestamp written as RFC 3339). The
 * rest of the path (routing, the envelope, the event bus) is the same for both and left out.
 *
 * <pre>java -cp modules/bench/target/switchboard-bench.jar org.openjdk.jmh.Main AlpacaDecode</pre>
 * <p>
 * On a machine others share, JMH's wall-clock times swing with their load. {@link #main} measures the
 * same work by this thread's CPU time instead, in alternating rounds, and prints the median of each:
 * <pre>java -cp modules/bench/target/switchboard-bench.jar dev.switchboard.bench.AlpacaDecodeBench [rounds] [messagesPerFrame]</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AlpacaDecodeBench {
  @Param({"1", "50"})
  public int messages;

  private Buffer jsonFrame;
  private Buffer msgpackFrame;
  /** As the listener holds them: one of each per connection. */
  private final Rfc3339 times = new Rfc3339();
  private final Msgpack.Decoder decoder = new Msgpack.Decoder(times::write);

  @Setup
  public void setUp() {
    JsonArray frame = new JsonArray();
    Instant t = Instant.parse("2026-11-22T15:51:44.208123456Z");
    for (int i = 0; i < messages; i++) {
      String time = Rfc3339.format(t.plusNanos(1_337L * i));
      frame.add(i % 2 == 0
          ? new JsonObject().put("T", "t").put("S", "AAPL").put("i", 52983525033527L + i).put("x", "V").put("p", 126.55 + i / 100.0)
              .put("s", 1 + i).put("t", time).put("c", new JsonArray().add("@").add("I")).put("z", "C")
          : new JsonObject().put("T", "q").put("S", "AMD").put("bx", "U").put("bp", 87.66).put("bs", 1).put("ax", "Q")
              .put("ap", 87.68).put("as", 4).put("t", time).put("c", new JsonArray().add("R")).put("z", "C"));
    }
    jsonFrame = Buffer.buffer(frame.encode());
    msgpackFrame = Msgpack.encode(frame, Set.of("t"));
  }

  @Benchmark
  public void json(Blackhole out) {
    String text = jsonFrame.toString(StandardCharsets.UTF_8);
    out.consume(text.indexOf('\uFFFD'));
    route(new JsonArray(text), out);
  }

  @Benchmark
  public void msgpack(Blackhole out) {
    route((JsonArray) decoder.decode(msgpackFrame), out);
  }

  /** Alternating rounds of each encoding, timed by this thread's CPU time; prints the medians per message. */
  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    AlpacaDecodeBench bench = new AlpacaDecodeBench();
    bench.messages = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    bench.setUp();
    Blackhole out = new Blackhole("Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    int frames = Math.max(1, 200_000 / bench.messages); // about 200,000 messages a round
    long[][] nanos = new long[2][rounds];
    for (int warmup = 0; warmup < 5; warmup++) {
      for (int i = 0; i < frames; i++) {
        bench.json(out);
        bench.msgpack(out);
      }
    }
    for (int r = 0; r < rounds; r++) {
      for (int encoding = 0; encoding < 2; encoding++) {
        long start = cpu.getCurrentThreadCpuTime();
        for (int i = 0; i < frames; i++) {
          if (encoding == 0) {
            bench.json(out);
          } else {
            bench.msgpack(out);
          }
        }
        nanos[encoding][r] = cpu.getCurrentThreadCpuTime() - start;
      }
    }
    long messagesPerRound = (long) frames * bench.messages;
    System.out.printf(Locale.ROOT, "Alpaca decoding, %d messages a frame, %d rounds of %,d messages, median CPU time per message:%n",
        bench.messages, rounds, messagesPerRound);
    for (int encoding = 0; encoding < 2; encoding++) {
      long[] sorted = nanos[encoding].clone();
      Arrays.sort(sorted);
      double perMessage = (double) sorted[rounds / 2] / messagesPerRound;
      System.out.printf(Locale.ROOT, "  %-7s %6.0f ns (%,.0f messages per CPU second; rounds from %.0f to %.0f ns)%n",
          encoding == 0 ? "json" : "msgpack", perMessage, 1e9 / perMessage,
          (double) sorted[0] / messagesPerRound, (double) sorted[rounds - 1] / messagesPerRound);
    }
  }

  /** What the listener reads of each message to route it. */
  private static void route(JsonArray frame, Blackhole out) {
    for (Object item : frame) {
      JsonObject message = (JsonObject) item;
      out.consume(message.getValue("T"));
      out.consume(message.getValue("S"));
    }
  }
}
