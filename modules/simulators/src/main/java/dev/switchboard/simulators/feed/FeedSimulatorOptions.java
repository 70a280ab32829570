package dev.switchboard.simulators.feed;

import dev.switchboard.core.ConfigSection;
import dev.switchboard.simulators.SimulatorTls;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * How the generic feed simulator serves.
 *
 * @param port          0 for any free port
 * @param ratePerSecond messages per second sent to each connection; 0 sends nothing on its own
 * @param message       the JSON each message is made from; {@code n} and {@code sent_at} are added
 * @param tls           null to serve ws://; otherwise wss:// with this certificate
 */
public record FeedSimulatorOptions(String host, int port, String path, double ratePerSecond, JsonObject message,
                                   List<String> subprotocols, SimulatorTls tls) {

  public static FeedSimulatorOptions defaults() {
    return new FeedSimulatorOptions("127.0.0.1", 0, "/ws/projection_bpp", 0,
        new JsonObject().put("topic", "projection_bpp").put("payload", new JsonObject().put("unit", "bpp")), List.of(), null);
  }

  public FeedSimulatorOptions withPort(int port) {
    return new FeedSimulatorOptions(host, port, path, ratePerSecond, message, subprotocols, tls);
  }

  public FeedSimulatorOptions withRate(double ratePerSecond) {
    return new FeedSimulatorOptions(host, port, path, ratePerSecond, message, subprotocols, tls);
  }

  /** The WebSocket sub-protocols the server accepts (it picks the first the client offers). */
  public FeedSimulatorOptions withSubprotocols(List<String> subprotocols) {
    return new FeedSimulatorOptions(host, port, path, ratePerSecond, message, subprotocols, tls);
  }

  /** Serves wss:// with this certificate and key (PEM files). */
  public FeedSimulatorOptions withTls(java.nio.file.Path certificate, java.nio.file.Path key) {
    return new FeedSimulatorOptions(host, port, path, ratePerSecond, message, subprotocols,
        new SimulatorTls(certificate.toString(), key.toString()));
  }

  public static FeedSimulatorOptions from(ConfigSection s) {
    FeedSimulatorOptions d = defaults();
    Object message = s.any("message");
    if (message != null && !(message instanceof JsonObject)) {
      throw new dev.switchboard.core.ConfigException(s.field("message"), "must be a JSON object");
    }
    FeedSimulatorOptions options = new FeedSimulatorOptions(
        s.optionalString("host", d.host),
        s.integer("port", d.port, 0, 65_535),
        s.optionalString("path", d.path),
        s.decimal("ratePerSecond", 5, 0, 1_000_000),
        message == null ? d.message : (JsonObject) message,
        s.strings("subprotocols"),
        SimulatorTls.from(s));
    s.finish();
    return options;
  }
}
