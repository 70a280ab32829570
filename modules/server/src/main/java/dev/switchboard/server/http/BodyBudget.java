package dev.switchboard.server.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Bounds the request bodies read at once, all connections together. Each body is bounded by its route, and a slow
 * one by the request timeout; but thousands of connections that each send most of a body and then trickle the rest
 * would hold thousands of bodies for that long. A request with a body claims its {@code Content-Length} (or the
 * largest body any route takes, when it gives none) until its answer ends or its connection closes; past the
 * budget, it is answered 503 at once, its body unread. Touched on the HTTP server's event loop only.
 */
final class BodyBudget implements Handler<RoutingContext> {
  private final long maxBytes;
  private final long largestBody;
  private long claimed;
  private long refused;

  /**
   * @param maxBytes    what all bodies being read may claim together
   * @param largestBody the largest body any route takes: what a body of unknown length claims
   */
  BodyBudget(long maxBytes, long largestBody) {
    this.maxBytes = maxBytes;
    this.largestBody = largestBody;
  }

  /** An eighth of the heap, as the bridge's clients' unfinished messages may hold: what the rest of the heap can spare. */
  static long forHeap(long maxHeapBytes) {
    return maxHeapBytes / 8;
  }

  @Override
  public void handle(RoutingContext ctx) {
    long claim = claimOf(ctx.request());
    if (claim == 0) {
      ctx.next();
      return;
    }
    if (claimed + claim > maxBytes) {
      refused++;
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1").putHeader(HttpHeaders.CONNECTION, "close");
      HttpApi.error(ctx, 503, "the server is reading as many request bodies as it may; try again later");
      return;
    }
    claimed += claim;
    boolean[] given = {false};
    // Once: vertx-web calls it when the answer ends, and when the connection closes before that.
    ctx.addEndHandler(ar -> {
      if (!given[0]) {
        given[0] = true;
        claimed -= claim;
      }
    });
    ctx.next();
  }

  private long claimOf(HttpServerRequest request) {
    if (request.headers().contains(HttpHeaders.UPGRADE)) {
      return 0; // a WebSocket's: no body is read, and its answer never ends the way a request's does
    }
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null) {
      try {
        return Math.max(0, Math.min(Long.parseLong(length.trim()), largestBody));
      } catch (NumberFormatException e) {
        return largestBody; // refused further on; until then, counted at the most
      }
    }
    return request.headers().contains(HttpHeaders.TRANSFER_ENCODING) ? largestBody : 0;
  }

  /** Bytes claimed now by the bodies being read. */
  long claimed() {
    return claimed;
  }

  /** Requests answered 503 because the budget was spent. */
  long refused() {
    return refused;
  }
}
