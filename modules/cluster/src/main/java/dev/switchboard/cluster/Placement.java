package dev.switchboard.cluster;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Comparator;
import java.util.zip.CRC32C;

/**
 * Which node should own a listener: rendezvous (highest random weight) hashing over the live nodes. Each
 * node gets about the same share, and a node joining or leaving changes the first choice only of the
 * listeners that rank it first.
 */
public final class Placement {
  private Placement() {
  }

  /** The node that ranks first for {@code listener} among {@code nodes}; null when there are none. */
  public static String first(String listener, Collection<String> nodes) {
    return nodes.stream().max(Comparator.comparingLong((String node) -> weight(node, listener)).thenComparing(n -> n)).orElse(null);
  }

  private static long weight(String node, String listener) {
    CRC32C crc = new CRC32C();
    crc.update((node + '\u0000' + listener).getBytes(StandardCharsets.UTF_8));
    long x = crc.getValue() * 0x9E3779B97F4A7C15L; // spread the 32 bits over 64
    return x ^ (x >>> 29);
  }
}
