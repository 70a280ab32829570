package dev.switchboard.simulators.homeassistant;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;

import java.time.Duration;

/**
 * How the Home Assistant simulator serves. The limits default to Home Assistant's own values; tests
 * shrink them so that a slow client or a dead peer shows up in milliseconds.
 *
 * @param port               0 for any free port
 * @param token              the one access token {@code auth} accepts
 * @param ratePerSecond      state changes per second made by the home itself; 0 changes nothing on its own
 * @param authTimeout        how long a new connection may take to send {@code auth}
 * @param pingInterval       how often WebSocket ping frames go to each client (HA: 55 s)
 * @param pongTimeout        how long a client may take to answer one before it is cut (HA: half the interval)
 * @param maxPending         outgoing messages queued for one client at which it is cancelled (HA: 4096)
 * @param pendingPeak        a queue above this for {@code pendingPeakTime} also cancels it (HA: 1024 for 10 s)
 * @param asyncResultDelay   delay before the results of async commands (call_service, get_services), so
 *                           that results of later commands overtake them, as they can on a busy server
 * @param seed               seed of the home's random changes; 0 picks one
 */
public record HomeAssistantSimulatorOptions(
    String host,
    int port,
    String token,
    String haVersion,
    int lights,
    int sensors,
    int switches,
    double ratePerSecond,
    Duration authTimeout,
    Duration pingInterval,
    Duration pongTimeout,
    int maxPending,
    int pendingPeak,
    Duration pendingPeakTime,
    Duration asyncResultDelay,
    long seed) {

  public static final String DEMO_TOKEN = "switchboard-demo-token";

  public HomeAssistantSimulatorOptions {
    if (pendingPeak >= maxPending) {
      throw new IllegalArgumentException("pendingPeak (" + pendingPeak + ") must be below maxPending (" + maxPending + ")");
    }
  }

  public static HomeAssistantSimulatorOptions defaults() {
    return new HomeAssistantSimulatorOptions("127.0.0.1", 0, DEMO_TOKEN, "2025.1.0", 4, 4, 2, 0,
        Duration.ofSeconds(10), Duration.ofSeconds(55), Duration.ofMillis(27_500), 4096, 1024, Duration.ofSeconds(10),
        Duration.ZERO, 0);
  }

  public HomeAssistantSimulatorOptions withPort(int port) {
    return new HomeAssistantSimulatorOptions(host, port, token, haVersion, lights, sensors, switches, ratePerSecond,
        authTimeout, pingInterval, pongTimeout, maxPending, pendingPeak, pendingPeakTime, asyncResultDelay, seed);
  }

  public HomeAssistantSimulatorOptions withToken(String token) {
    return new HomeAssistantSimulatorOptions(host, port, token, haVersion, lights, sensors, switches, ratePerSecond,
        authTimeout, pingInterval, pongTimeout, maxPending, pendingPeak, pendingPeakTime, asyncResultDelay, seed);
  }

  public HomeAssistantSimulatorOptions withRate(double ratePerSecond) {
    return new HomeAssistantSimulatorOptions(host, port, token, haVersion, lights, sensors, switches, ratePerSecond,
        authTimeout, pingInterval, pongTimeout, maxPending, pendingPeak, pendingPeakTime, asyncResultDelay, seed);
  }

  public HomeAssistantSimulatorOptions withEntities(int lights, int sensors, int switches) {
    return new HomeAssistantSimulatorOptions(host, port, token, haVersion, lights, sensors, switches, ratePerSecond,
        authTimeout, pingInterval, pongTimeout, maxPending, pendingPeak, pendingPeakTime, asyncResultDelay, seed);
  }

  public HomeAssistantSimulatorOptions withAuthTimeout(Duration authTimeout) {
    return new HomeAssistantSimulatorOptions(host, port, token, haVersion, lights, sensors, switches, ratePerSecond,
        authTimeout, pingInterval, pongTimeout, maxPending, pendingPeak, pendingPeakTime, asyncResultDelay, seed);
  }

  public HomeAssistantSimulatorOptions withPing(Duration pingInterval, Duration pongTimeout) {
    return new HomeAssistantSimulatorOptions(host, port, token, haVersion, lights, sensors, switches, ratePerSecond,
        authTimeout, pingInterval, pongTimeout, maxPending, pendingPeak, pendingPeakTime, asyncResultDelay, seed);
  }

  public HomeAssistantSimulatorOptions withPendingLimits(int maxPending, int pendingPeak, Duration pendingPeakTime) {
    return new HomeAssistantSimulatorOptions(host, port, token, haVersion, lights, sensors, switches, ratePerSecond,
        authTimeout, pingInterval, pongTimeout, maxPending, pendingPeak, pendingPeakTime, asyncResultDelay, seed);
  }

  public HomeAssistantSimulatorOptions withAsyncResultDelay(Duration asyncResultDelay) {
    return new HomeAssistantSimulatorOptions(host, port, token, haVersion, lights, sensors, switches, ratePerSecond,
        authTimeout, pingInterval, pongTimeout, maxPending, pendingPeak, pendingPeakTime, asyncResultDelay, seed);
  }

  public HomeAssistantSimulatorOptions withSeed(long seed) {
    return new HomeAssistantSimulatorOptions(host, port, token, haVersion, lights, sensors, switches, ratePerSecond,
        authTimeout, pingInterval, pongTimeout, maxPending, pendingPeak, pendingPeakTime, asyncResultDelay, seed);
  }

  /** {@code simulators.homeassistant} in the config; the demo serves on 127.0.0.1:8123. */
  public static HomeAssistantSimulatorOptions from(ConfigSection s) {
    HomeAssistantSimulatorOptions d = defaults();
    ConfigSection entities = s.section("entities");
    int lights = entities.integer("lights", 6, 0, 10_000);
    int sensors = entities.integer("sensors", 6, 0, 10_000);
    int switches = entities.integer("switches", 3, 0, 10_000);
    entities.finish();
    Duration pingInterval = s.duration("pingInterval", d.pingInterval);
    if (pingInterval.isZero()) {
      throw new ConfigException(s.field("pingInterval"), "must be longer than zero");
    }
    HomeAssistantSimulatorOptions options = new HomeAssistantSimulatorOptions(
        s.optionalString("host", d.host),
        s.integer("port", 8123, 0, 65_535),
        s.optionalString("token", d.token),
        s.optionalString("haVersion", d.haVersion),
        lights, sensors, switches,
        s.decimal("ratePerSecond", 2, 0, 1_000_000),
        d.authTimeout, pingInterval, pingInterval.dividedBy(2),
        d.maxPending, d.pendingPeak, d.pendingPeakTime, d.asyncResultDelay, 0);
    s.finish();
    return options;
  }
}
