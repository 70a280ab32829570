package dev.switchboard.core;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Corrupt msgpack from an upstream is refused as malformed, whatever its headers claim: never an Error. */
class MsgpackTest {
  private static Object decode(int... bytes) {
    byte[] data = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      data[i] = (byte) bytes[i];
    }
    return Msgpack.decode(Buffer.buffer(data), Instant::toString);
  }

  @Test
  void aHeaderThatClaimsMoreThanTheFrameHoldsIsRefused() {
    int[][] frames = {
        {0xdd, 0x7f, 0xff, 0xff, 0xff},       // array32 of 2^31-1 values
        {0xdf, 0x7f, 0xff, 0xff, 0xff},       // map32
        {0xc6, 0x7f, 0xff, 0xff, 0xff},       // bin32
        {0xdb, 0x7f, 0xff, 0xff, 0xff},       // str32
        {0xc9, 0x7f, 0xff, 0xff, 0xff, 0x01}, // ext32
        {0x81, 0xdb, 0x7f, 0xff, 0xff, 0xff}, // a map key of str32
        {0x93, 0x01, 0x02},                   // three values, two there
    };
    for (int[] frame : frames) {
      assertThrows(IllegalArgumentException.class, () -> decode(frame));
    }
  }

  @Test
  void nestingPastTheLimitIsRefusedBeforeTheStackRunsOut() {
    int[] deep = new int[100_001];
    java.util.Arrays.fill(deep, 0x91); // an array of one array of one array...
    deep[deep.length - 1] = 0xc0;
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> decode(deep));
    assertTrue(refused.getMessage().contains("nested deeper than"), refused.getMessage());

    int[] atTheLimit = new int[Msgpack.Decoder.MAX_DEPTH + 1];
    java.util.Arrays.fill(atTheLimit, 0x91);
    atTheLimit[atTheLimit.length - 1] = 0xc0;
    Object value = decode(atTheLimit);
    int levels = 0;
    while (value instanceof JsonArray array) {
      value = array.getValue(0);
      levels++;
    }
    assertEquals(Msgpack.Decoder.MAX_DEPTH, levels);
  }

  @Test
  void wholeValuesRoundTrip() {
    JsonObject message = new JsonObject().put("T", "t").put("S", "AAPL").put("p", 187.5).put("s", 100)
        .put("c", new JsonArray().add("@").add("I")).put("name", "a key longer than seven bytes").put("t", "2026-12-03T09:30:00.000000001Z");
    Object back = Msgpack.decode(Msgpack.encode(new JsonArray().add(message), Set.of("t")), Instant::toString);
    assertEquals(new JsonArray().add(message), back);
  }
}
