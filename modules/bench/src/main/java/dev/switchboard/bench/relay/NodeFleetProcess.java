package dev.switchboard.bench.relay;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Node {@code ws} clients in one Node process ({@code node-relay/fleet.js}): one frame per 'message'
 * event and a {@code JSON.parse} of each, as a browser or a Node application reads. The process
 * reports its delivery count every 2 ms on stdout and answers {@code stats} and {@code histogram} on
 * stdin; its CPU is not the relay's (each runs in its own process). {@link NodeFleet} runs several.
 */
final class NodeFleetProcess implements Clients {
  private final Path script;
  private final int size;
  private final Path log;
  private Process process;
  private Writer commands;
  private volatile long delivered;
  private volatile JsonObject lastStats = new JsonObject();
  private final Promise<Void> connected = Promise.promise();
  private volatile CompletableFuture<String> answer;

  NodeFleetProcess(Path script, int size, Path log) {
    this.script = script;
    this.size = size;
    this.log = log;
  }

  @Override
  public Future<Void> connect(int port, String path, String address) {
    try {
      process = new ProcessBuilder(List.of("node", script.toString(), Integer.toString(port), path, address, Integer.toString(size)))
          .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
    } catch (IOException e) {
      return Future.failedFuture(e);
    }
    commands = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(this::read, "node-fleet-reader");
    reader.setDaemon(true);
    reader.start();
    return connected.future();
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith("d ")) {
          delivered = Long.parseLong(line.substring(2));
        } else if (line.startsWith("connected ")) {
          connected.tryComplete();
        } else if (line.startsWith("stats ") || line.startsWith("histogram")) {
          CompletableFuture<String> waiting = answer;
          if (waiting != null) {
            waiting.complete(line);
          }
        }
      }
    } catch (IOException ignored) {
      // the process ended
    }
    connected.tryFail("the Node fleet exited before it connected; see " + log);
  }

  /** Sends one command and waits for its answer line. */
  private synchronized String ask(String command) {
    answer = new CompletableFuture<>();
    try {
      commands.write(command + "\n");
      commands.flush();
      return answer.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("Node fleet did not answer '" + command + "'; see " + log, e);
    }
  }

  private synchronized void tell(String command) {
    try {
      commands.write(command + "\n");
      commands.flush();
    } catch (IOException e) {
      throw new IllegalStateException("Node fleet is gone; see " + log, e);
    }
  }

  private JsonObject stats() {
    lastStats = new JsonObject(ask("stats").substring("stats ".length()));
    return lastStats;
  }

  @Override
  public boolean allReceiving() {
    return stats().getBoolean("allReceiving");
  }

  @Override
  public long connectedCount() {
    return stats().getLong("connected");
  }

  @Override
  public void openWindow(long first) {
    tell("window " + first);
  }

  @Override
  public void closeWindow(long last) {
    tell("close " + last);
  }

  @Override
  public long delivered() {
    return delivered;
  }

  @Override
  public long duplicates() {
    return stats().getLong("duplicates");
  }

  @Override
  public long missing() {
    return stats().getLong("missing");
  }

  @Override
  public long lowestLast() {
    return stats().getLong("lowestLast");
  }

  @Override
  public LatencyHistogram latencies() {
    LatencyHistogram histogram = new LatencyHistogram();
    String line = ask("histogram");
    for (String pair : line.substring("histogram".length()).trim().split(" ")) {
      if (!pair.isEmpty()) {
        int colon = pair.indexOf(':');
        histogram.record(Integer.parseInt(pair.substring(0, colon)), Long.parseLong(pair.substring(colon + 1)));
      }
    }
    return histogram;
  }

  @Override
  public String kind() {
    return "node";
  }

  @Override
  public Future<Void> close() {
    if (process != null && process.isAlive()) {
      try {
        tell("exit");
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (RuntimeException | InterruptedException e) {
        process.destroyForcibly();
      }
    }
    return Future.succeededFuture();
  }
}
