package dev.switchboard.bench.relay;

import dev.switchboard.server.Switchboard;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.server.fanout.FanoutEndpoint;
import dev.switchboard.server.fanout.FanoutOptions;
import dev.switchboard.server.fanout.OutboundRules;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Switchboard as the fat jar runs it, plus the fan-out endpoint served at
 * {@code /eventbus/websocket} on a second port: what {@code HttpApi} serves once it mounts the
 * fan-out path. {@code java -cp switchboard-bench.jar dev.switchboard.bench.relay.FanoutRelay <config.json> <port>}
 */
public final class FanoutRelay {
  private FanoutRelay() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: FanoutRelay <config.json> <port>");
      System.exit(2);
    }
    Switchboard app = Switchboard.start(new ConfigLoader(System.getenv()).load(Path.of(args[0]))).await(60, TimeUnit.SECONDS);
    int port = Integer.parseInt(args[1]);
    app.vertx().deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        FanoutEndpoint endpoint = new FanoutEndpoint(vertx, OutboundRules.switchboardDefaults(), FanoutOptions.defaults());
        return vertx.createHttpServer().requestHandler(request -> {
          if (request.path().equals("/eventbus/websocket")) {
            endpoint.handle(request);
          } else {
            request.response().setStatusCode(404).end();
          }
        }).listen(port, "127.0.0.1");
      }
    }).await(10, TimeUnit.SECONDS);
    System.out.println("fan-out endpoint on " + port);
  }
}
