package dev.switchboard.server;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.server.config.ConfigSchema;
import dev.switchboard.server.logging.LoggingSetup;
import dev.switchboard.server.config.SwitchboardConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar switchboard.jar [config.json]}. Exit codes: 2 for a bad command line or config
 * (with one line naming the field), 1 when the process cannot start, 0 after SIGTERM or SIGINT
 * once every listener has closed its socket cleanly.
 */
public final class Main {
  public static final int BAD_CONFIG = 2;
  public static final int CANNOT_START = 1;
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  public static void main(String[] args) {
    Starting result = start(args, System.out, System.err);
    if (result.exitCode() != 0 || result.app() == null) {
      System.exit(result.exitCode());
    }
    Switchboard app = result.app();
    // Handle the signals ourselves (not in a shutdown hook) so that a clean stop exits with 0.
    Signal.handle(new Signal("TERM"), sig -> shutDown(app, "SIGTERM"));
    Signal.handle(new Signal("INT"), sig -> shutDown(app, "SIGINT"));
    // SIGHUP, as daemons do: apply the config file's listeners, leaving the others' connections alone.
    Signal.handle(new Signal("HUP"), sig -> app.reload()
        .onSuccess(outcomes -> LoggerFactory.getLogger("switchboard.audit").info("[*] reload by SIGHUP: {}", outcomes))
        .onFailure(err -> LOG.error("SIGHUP: reload failed: {}", err.getMessage())));
  }

  /** What starting produced: a running app, or the exit code to end with. */
  record Starting(Switchboard app, int exitCode) {
  }

  static Starting start(String[] args, PrintStream out, PrintStream err) {
    if (args.length > 1 || (args.length == 1 && args[0].startsWith("-"))) {
      if (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
        out.println("usage: java -jar switchboard.jar [config.json]   (default: conf/switchboard.json)");
        out.println("       java -jar switchboard.jar --schema        (the config file's JSON Schema, for the kinds on the classpath)");
        return new Starting(null, 0);
      }
      if (args.length == 1 && args[0].equals("--schema")) {
        out.println(ConfigSchema.of(ListenerKinds.discover()).encodePrettily());
        return new Starting(null, 0);
      }
      err.println("usage: java -jar switchboard.jar [config.json]");
      return new Starting(null, BAD_CONFIG);
    }
    Path file = Path.of(args.length == 1 ? args[0] : "conf/switchboard.json");
    SwitchboardConfig config;
    try {
      config = new ConfigLoader(System.getenv()).load(file);
    } catch (ConfigException e) {
      err.println("switchboard: config error in " + file + ": " + e.getMessage());
      return new Starting(null, BAD_CONFIG);
    }
    LoggingSetup.apply(config.logging());
    try {
      return new Starting(Switchboard.start(config).await(60, TimeUnit.SECONDS), 0);
    } catch (Exception e) {
      err.println("switchboard: cannot start: " + e.getMessage());
      return new Starting(null, CANNOT_START);
    }
  }

  private static void shutDown(Switchboard app, String signal) {
    LOG.info("{}: stopping every listener", signal);
    try {
      app.stop().await(30, TimeUnit.SECONDS);
      LOG.info("stopped cleanly");
      System.exit(0);
    } catch (Exception e) {
      LOG.error("unclean stop: {}", e.toString());
      System.exit(CANNOT_START);
    }
  }
}
