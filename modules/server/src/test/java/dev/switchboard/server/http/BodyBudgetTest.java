package dev.switchboard.server.http;

import dev.switchboard.core.testing.Await;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bodies being read, all connections together, over real sockets: slow uploads cannot hold more than the budget. */
@ExtendWith(VertxExtension.class)
class BodyBudgetTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final long BUDGET = 100_000;
  private static final long LARGEST = 64 * 1024;

  private Server server;

  /** A budget, then a body handler and a route that answers what it read, as HttpApi mounts them. */
  static final class Server extends VerticleBase {
    final BodyBudget budget = new BodyBudget(BUDGET, LARGEST);
    HttpServer http;
    Context loop;

    @Override
    public Future<?> start() {
      loop = context;
      Router router = Router.router(vertx);
      router.route().handler(budget);
      router.route().handler(BodyHandler.create(false).setBodyLimit((int) LARGEST));
      router.post("/upload").handler(ctx -> ctx.response().end("read " + ctx.body().length()));
      router.get("/page").handler(ctx -> ctx.response().end("page"));
      http = vertx.createHttpServer().requestHandler(router);
      return http.listen(0, "127.0.0.1");
    }

    <T> T onLoop(Supplier<T> read) {
      Promise<T> value = Promise.promise();
      loop.runOnContext(v -> value.complete(read.get()));
      return value.future().await();
    }
  }

  @BeforeEach
  void setUp(Vertx vertx) {
    server = new Server();
    vertx.deployVerticle(server).await();
  }

  private Socket upload(String lengthHeader, String firstBytes) throws IOException {
    Socket socket = new Socket("127.0.0.1", server.http.actualPort());
    socket.setSoTimeout(10_000);
    socket.getOutputStream().write(("POST /upload HTTP/1.1\r\nHost: test\r\n" + lengthHeader + "\r\n\r\n" + firstBytes)
        .getBytes(StandardCharsets.US_ASCII));
    return socket;
  }

  private static String response(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] chunk = new byte[4096];
    for (int n; (n = in.read(chunk)) > 0; ) {
      got.write(chunk, 0, n);
      String text = got.toString(StandardCharsets.UTF_8);
      int head = text.indexOf("\r\n\r\n");
      int length = head < 0 ? -1 : contentLength(text.substring(0, head));
      if (head >= 0 && length >= 0 && got.size() >= head + 4 + length) {
        return text;
      }
    }
    return got.toString(StandardCharsets.UTF_8);
  }

  private static int contentLength(String head) {
    return head.lines().filter(l -> l.toLowerCase().startsWith("content-length:")).map(l -> Integer.parseInt(l.substring(15).trim()))
        .findFirst().orElse(-1);
  }

  private long claimed() {
    return server.onLoop(server.budget::claimed);
  }

  @Test
  @DisplayName("bodies being read claim their length until answered or cut: past the budget a request with a body gets 503 at once,"
      + " one that fits is read whole, one without a body is never refused, and what a cut connection claimed is given back")
  void slowUploadsHoldAtMostTheBudget() throws IOException {
    Socket slow = upload("Content-Length: 60000", "x".repeat(1_000));
    try {
      Await.until(WAIT, "the slow upload claims its length", () -> claimed() == 60_000);

      try (Socket over = upload("Content-Length: 50000", "x".repeat(1_000))) {
        String refused = response(over);
        assertTrue(refused.startsWith("HTTP/1.1 503"), refused);
        assertTrue(refused.toLowerCase().contains("retry-after: 1"), refused);
        String body = refused.substring(refused.indexOf("\r\n\r\n") + 4);
        assertEquals("the server is reading as many request bodies as it may; try again later", new JsonObject(body).getString("error"));
      }
      try (Socket chunked = upload("Transfer-Encoding: chunked", "")) {
        assertTrue(response(chunked).startsWith("HTTP/1.1 503"), "a body of unknown length claims the largest any route takes");
      }
      try (Socket fits = upload("Content-Length: 30000", "y".repeat(30_000))) {
        assertTrue(response(fits).endsWith("read 30000"), "read whole");
      }
      Await.until(WAIT, "what it claimed given back once answered", () -> claimed() == 60_000);
      try (Socket page = new Socket("127.0.0.1", server.http.actualPort())) {
        page.setSoTimeout(10_000);
        page.getOutputStream().write("GET /page HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertTrue(response(page).endsWith("page"), "no body: never refused");
      }
    } finally {
      slow.close(); // cut mid-body
    }
    Await.until(WAIT, "the cut upload's claim given back", () -> claimed() == 0);
    assertEquals(2L, (long) server.onLoop(server.budget::refused));
  }
}
