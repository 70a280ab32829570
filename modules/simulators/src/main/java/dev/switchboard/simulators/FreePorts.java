package dev.switchboard.simulators;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports that are free now, for what must be told its port before it binds (a cluster's members
 * list). They are taken below the kernel's ephemeral range: a port that a {@code new ServerSocket(0)}
 * had handed out could be handed to another socket (an event bus on port 0) before its user binds it.
 */
public final class FreePorts {
  private static final int FROM = 20_000;
  private static final int SPAN = 10_000;

  private FreePorts() {
  }

  /** {@code n} distinct ports that could be bound on loopback just now. */
  public static int[] take(int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      while (out[i] == 0) {
        int candidate = FROM + ThreadLocalRandom.current().nextInt(SPAN);
        if (Arrays.stream(out).noneMatch(p -> p == candidate) && bindable(candidate)) {
          out[i] = candidate;
        }
      }
    }
    return out;
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException taken) {
      return false;
    }
  }
}
