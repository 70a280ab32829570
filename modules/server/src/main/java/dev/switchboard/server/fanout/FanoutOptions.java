package dev.switchboard.server.fanout;

/**
 * @param maxQueuedBytes      per client: bytes queued by the fan-out path and not yet handed to the
 *                            socket; past this the {@code slowClients} policy applies
 * @param slowClients         what to do with a client whose queue is full
 * @param maxBatch            most messages in one frame for a client that asked for batches ({@code ?batch=true})
 * @param pingTimeoutMs       a client that sends nothing for this long (a pong to the server's pings, sent every
 *                            third of this, is enough, as is a bridge {@code ping}) is closed
 * @param maxFrameBytes       largest message a client may send
 * @param replyTimeoutMs      how long a client's request waits for its reply
 * @param maxHandlersPerSocket registrations plus requests awaiting a reply, per client
 * @param sockJsHeartbeatMs   how often SockJS clients get a heartbeat frame, so that proxies keep the connection
 */
public record FanoutOptions(int maxQueuedBytes, SlowClientPolicy slowClients, int maxBatch, long pingTimeoutMs, int maxFrameBytes,
                            long replyTimeoutMs, int maxHandlersPerSocket, long sockJsHeartbeatMs) {

  public FanoutOptions {
    if (maxQueuedBytes < 1024) {
      throw new IllegalArgumentException("maxQueuedBytes must be at least 1024, not " + maxQueuedBytes);
    }
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be at least 1, not " + maxBatch);
    }
    if (pingTimeoutMs < 100) {
      throw new IllegalArgumentException("pingTimeoutMs must be at least 100, not " + pingTimeoutMs);
    }
    if (maxFrameBytes < 125) {
      throw new IllegalArgumentException("maxFrameBytes must be at least 125, not " + maxFrameBytes);
    }
    if (replyTimeoutMs < 1) {
      throw new IllegalArgumentException("replyTimeoutMs must be at least 1, not " + replyTimeoutMs);
    }
    if (maxHandlersPerSocket < 1) {
      throw new IllegalArgumentException("maxHandlersPerSocket must be at least 1, not " + maxHandlersPerSocket);
    }
    if (sockJsHeartbeatMs < 10) {
      throw new IllegalArgumentException("sockJsHeartbeatMs must be at least 10, not " + sockJsHeartbeatMs);
    }
    if (slowClients == null) {
      throw new IllegalArgumentException("slowClients is required");
    }
  }

  /**
   * 4 MB per client, disconnect when full, 64 messages a batch; a 60 s ping timeout, 64 KB messages,
   * 30 s replies and 500 handlers, a heartbeat every 25 s, as the SockJS bridge's defaults.
   */
  public static FanoutOptions defaults() {
    return new FanoutOptions(4 * 1024 * 1024, SlowClientPolicy.DISCONNECT, 64, 60_000, 65_536, 30_000, 500, 25_000);
  }

  public FanoutOptions withMaxQueuedBytes(int bytes) {
    return new FanoutOptions(bytes, slowClients, maxBatch, pingTimeoutMs, maxFrameBytes, replyTimeoutMs, maxHandlersPerSocket, sockJsHeartbeatMs);
  }

  public FanoutOptions withSlowClients(SlowClientPolicy policy) {
    return new FanoutOptions(maxQueuedBytes, policy, maxBatch, pingTimeoutMs, maxFrameBytes, replyTimeoutMs, maxHandlersPerSocket, sockJsHeartbeatMs);
  }

  public FanoutOptions withPingTimeoutMs(long millis) {
    return new FanoutOptions(maxQueuedBytes, slowClients, maxBatch, millis, maxFrameBytes, replyTimeoutMs, maxHandlersPerSocket, sockJsHeartbeatMs);
  }

  public FanoutOptions withSockJsHeartbeatMs(long millis) {
    return new FanoutOptions(maxQueuedBytes, slowClients, maxBatch, pingTimeoutMs, maxFrameBytes, replyTimeoutMs, maxHandlersPerSocket, millis);
  }

  public FanoutOptions withMaxHandlersPerSocket(int handlers) {
    return new FanoutOptions(maxQueuedBytes, slowClients, maxBatch, pingTimeoutMs, maxFrameBytes, replyTimeoutMs, handlers, sockJsHeartbeatMs);
  }
}
