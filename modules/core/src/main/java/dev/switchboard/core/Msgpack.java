package dev.switchboard.core;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.msgpack.core.ExtensionTypeHeader;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.core.buffer.ArrayBufferInput;
import org.msgpack.value.ValueType;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * MessagePack to and from the values of Vert.x JSON (JsonObject, JsonArray, String, numbers, booleans,
 * null), for upstreams that speak it: maps keep their key order (a peer may depend on which key comes
 * first), and timestamps travel as the Timestamp extension (type -1), since that is what msgpack peers
 * decode into their own date type.
 */
public final class Msgpack {
  private Msgpack() {
  }

  /**
   * One value as msgpack. A string under one of {@code timestampKeys} (an RFC 3339 time) is written as
   * a Timestamp extension, and so is an {@link Instant} anywhere.
   *
   * @throws IllegalArgumentException for a value JSON cannot hold, or a timestamp string that is not a time
   */
  public static Buffer encode(Object value, Set<String> timestampKeys) {
    try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
      pack(packer, value, false, timestampKeys);
      return Buffer.buffer(packer.toByteArray());
    } catch (IOException e) {
      throw new IllegalStateException("msgpack into memory cannot fail", e);
    }
  }

  private static void pack(MessagePacker p, Object value, boolean timestamp, Set<String> timestampKeys) throws IOException {
    if (value == null) {
      p.packNil();
    } else if (value instanceof JsonObject object) {
      pack(p, object.getMap(), false, timestampKeys);
    } else if (value instanceof JsonArray array) {
      pack(p, array.getList(), false, timestampKeys);
    } else if (value instanceof Map<?, ?> map) {
      // The raw map, not the JsonObject's iterator: that one turns Instants and byte[] into strings.
      p.packMapHeader(map.size());
      for (Map.Entry<?, ?> field : map.entrySet()) {
        String key = String.valueOf(field.getKey());
        p.packString(key);
        pack(p, field.getValue(), timestampKeys.contains(key), timestampKeys);
      }
    } else if (value instanceof List<?> list) {
      p.packArrayHeader(list.size());
      for (Object item : list) {
        pack(p, item, false, timestampKeys);
      }
    } else if (value instanceof String text) {
      if (timestamp) {
        try {
          p.packTimestamp(Instant.parse(text));
        } catch (DateTimeException e) {
          throw new IllegalArgumentException("not an RFC 3339 time: " + text, e);
        }
      } else {
        p.packString(text);
      }
    } else if (value instanceof Instant instant) {
      p.packTimestamp(instant);
    } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      p.packLong(((Number) value).longValue());
    } else if (value instanceof BigInteger big) {
      p.packBigInteger(big);
    } else if (value instanceof Number number) {
      p.packDouble(number.doubleValue());
    } else if (value instanceof Boolean bool) {
      p.packBoolean(bool);
    } else if (value instanceof byte[] bytes) {
      p.packBinaryHeader(bytes.length);
      p.writePayload(bytes);
    } else {
      throw new IllegalArgumentException("no msgpack for a " + value.getClass().getName());
    }
  }

  /**
   * The one value a message holds, as Vert.x JSON (see {@link Decoder#decode}); a decoder of its own:
   * for one message now and then. A stream of them goes faster through one {@link Decoder}.
   */
  public static Object decode(Buffer data, Function<Instant, Object> timestamp) {
    return new Decoder(timestamp).decode(data);
  }

  /**
   * Decodes message after message, for one thread (a listener's event loop): it reuses its unpacker, and
   * keeps the short map keys it has seen ("T", "S", "bp"...) so that a stream of small maps with the same
   * keys does not make a new String per key, as Jackson's symbol table spares the JSON path.
   */
  public static final class Decoder {
    private static final int KEY_SLOTS = 256;
    /** Arrays and maps inside each other at most this deep, as Jackson's default for JSON. */
    static final int MAX_DEPTH = 1000;
    /** What a header's size may reserve at once; a larger array or map grows as its values are read. */
    private static final int MOST_RESERVED = 256;
    private final Function<Instant, Object> timestamp;
    private final ArrayBufferInput input = new ArrayBufferInput(new byte[0]);
    private final MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(input);
    private final byte[] keyBytes = new byte[7];
    private final long[] keyCodes = new long[KEY_SLOTS];
    private final String[] keys = new String[KEY_SLOTS];
    private int length;
    private int depth;

    /** @param timestamp what a Timestamp extension becomes (an RFC 3339 string, the Instant itself...) */
    public Decoder(Function<Instant, Object> timestamp) {
      this.timestamp = timestamp;
    }

    /**
     * The one value {@code data} holds: maps become JsonObjects (string keys only), arrays JsonArrays,
     * integers Integer or Long (BigInteger past Long), floats Double, binary and unknown extensions
     * byte[], and each Timestamp extension whatever {@code timestamp} makes of it.
     *
     * @throws IllegalArgumentException when the bytes are not one whole msgpack value, nest deeper than
     *                                  {@value #MAX_DEPTH}, or a header claims more than the bytes hold
     */
    public Object decode(Buffer data) {
      try {
        length = data.length();
        depth = 0;
        input.reset(data.getBytes());
        unpacker.reset(input);
        Object value = unpack();
        if (unpacker.hasNext()) {
          throw new IllegalArgumentException("more than one msgpack value in " + data.length() + " bytes");
        }
        return value;
      } catch (IOException | MessagePackException e) {
        throw new IllegalArgumentException("not msgpack (" + e.getMessage() + ")", e);
      }
    }

    private Object unpack() throws IOException {
      MessageUnpacker u = unpacker;
      MessageFormat format = u.getNextFormat();
      switch (format.getValueType()) {
        case NIL -> {
          u.unpackNil();
          return null;
        }
        case BOOLEAN -> {
          return u.unpackBoolean();
        }
        case INTEGER -> {
          if (format == MessageFormat.UINT64) {
            BigInteger big = u.unpackBigInteger();
            return big.bitLength() < 64 ? (Object) big.longValue() : big;
          }
          long n = u.unpackLong();
          return n == (int) n ? (Object) (int) n : (Object) n;
        }
        case FLOAT -> {
          return u.unpackDouble();
        }
        case STRING -> {
          return u.unpackString();
        }
        case BINARY -> {
          return u.readPayload(claimed(u.unpackBinaryHeader(), 1));
        }
        case ARRAY -> {
          int size = claimed(u.unpackArrayHeader(), 1);
          JsonArray array = new JsonArray(new ArrayList<>(Math.min(size, MOST_RESERVED)));
          nest();
          for (int i = 0; i < size; i++) {
            array.add(unpack());
          }
          depth--;
          return array;
        }
        case MAP -> {
          int size = claimed(u.unpackMapHeader(), 2);
          JsonObject object = new JsonObject(new LinkedHashMap<>(Math.min(size, MOST_RESERVED) * 4 / 3 + 1));
          nest();
          for (int i = 0; i < size; i++) {
            String key = key();
            object.put(key, unpack());
          }
          depth--;
          return object;
        }
        case EXTENSION -> {
          ExtensionTypeHeader header = u.unpackExtensionTypeHeader();
          return header.isTimestampType() ? timestamp.apply(u.unpackTimestamp(header)) : u.readPayload(claimed(header.getLength(), 1));
        }
        default -> throw new IllegalArgumentException("unknown msgpack format " + format);
      }
    }

    /**
     * A size read from a header (values of at least {@code bytesEach} bytes), refused when the bytes left
     * cannot hold it: five corrupt bytes could otherwise claim gigabytes.
     */
    private int claimed(int size, int bytesEach) {
      long left = length - unpacker.getTotalReadBytes();
      if ((long) size * bytesEach > left) {
        throw new IllegalArgumentException("a header claims " + size + (bytesEach == 1 ? "" : " pairs of") + " values or bytes, and "
            + left + " bytes are left");
      }
      return size;
    }

    /** One level deeper; refused past {@link #MAX_DEPTH}, before the stack runs out. */
    private void nest() {
      if (++depth > MAX_DEPTH) {
        throw new IllegalArgumentException("arrays and maps nested deeper than " + MAX_DEPTH);
      }
    }

    /** A map key: a short one (up to 7 bytes) from the keys seen before, when it was. */
    private String key() throws IOException {
      if (unpacker.getNextFormat().getValueType() != ValueType.STRING) {
        throw new IllegalArgumentException("a map key that is not a string");
      }
      int length = unpacker.unpackRawStringHeader();
      if (length == 0) {
        return "";
      }
      if (length > keyBytes.length) {
        return new String(unpacker.readPayload(claimed(length, 1)), StandardCharsets.UTF_8);
      }
      unpacker.readPayload(keyBytes, 0, length);
      long code = length;
      for (int i = 0; i < length; i++) {
        code = code << 8 | (keyBytes[i] & 0xff);
      }
      int slot = (int) ((code * 0x9E3779B97F4A7C15L) >>> 56);
      for (int probe = 0; probe < KEY_SLOTS; probe++, slot = (slot + 1) & (KEY_SLOTS - 1)) {
        if (keyCodes[slot] == code) {
          return keys[slot];
        }
        if (keys[slot] == null) {
          keyCodes[slot] = code;
          return keys[slot] = new String(keyBytes, 0, length, StandardCharsets.UTF_8);
        }
      }
      return new String(keyBytes, 0, length, StandardCharsets.UTF_8); // the table is full: an upstream of many keys
    }
  }
}
