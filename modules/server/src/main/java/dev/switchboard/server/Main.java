package dev.switchboard.server;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.server.config.ConfigSchema;
import dev.switchboard.server.logging.JournalStream;
import dev.switchboard.server.logging.LoggingSetup;
import dev.switchboard.server.config.SwitchboardConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * {@code java -jar switchboard.jar [config.json]}, or {@code bin/switchboard}. Exit codes: 2 for a bad
 * command line or config (with one line naming the field), 1 when the process cannot start, 0 after
 * SIGTERM or SIGINT once every listener has closed its socket cleanly. {@code --check}, {@code --version}
 * and {@code --schema} answer and exit without starting anything.
 */
public final class Main {
  public static final int BAD_CONFIG = 2;
  public static final int CANNOT_START = 1;
  static final String DEFAULT_CONFIG = "conf/switchboard.json";

  private Main() {
  }

  /**
   * Not a static field: that would set logging up as the class loads, before main() handles the
   * signals, and for that second a SIGHUP (a reload right after a start) would end the process.
   */
  private static Logger log() {
    return LoggerFactory.getLogger(Main.class);
  }

  public static void main(String[] args) {
    // Every signal is handled from the first moment: the JVM's own action would end a process that is
    // still starting. One that arrives during the start is acted on once the start is done.
    AtomicReference<Switchboard> running = new AtomicReference<>();
    // SIGHUP, as daemons do: apply the config file's listeners, leaving the others' connections alone
    // (after the start: the file may have changed since the start read it).
    OnceStarted hup = new OnceStarted("SIGHUP", running, Main::reload);
    // SIGTERM and SIGINT ourselves (not in a shutdown hook), so that a clean stop exits with 0.
    OnceStarted term = new OnceStarted("SIGTERM", running, app -> shutDown(app, "SIGTERM"));
    OnceStarted interrupt = new OnceStarted("SIGINT", running, app -> shutDown(app, "SIGINT"));
    SignalHandler before = Signal.handle(new Signal("HUP"), sig -> hup.signalled());
    Signal.handle(new Signal("TERM"), sig -> term.signalled());
    Signal.handle(new Signal("INT"), sig -> interrupt.signalled());
    Starting result = start(args, System.out, JournalStream.errors(System.err));
    if (result.exitCode() != 0 || result.app() == null) {
      System.exit(result.exitCode());
    }
    Switchboard app = result.app();
    if (before == SignalHandler.SIG_IGN) {
      // Started with SIGHUP ignored (nohup does that): the JVM then keeps it ignored, whatever we ask.
      log().warn("SIGHUP is ignored in this process (started under nohup?), so it cannot reload the config: use POST /api/reload");
    }
    running.set(app);
    term.started(app);
    interrupt.started(app);
    hup.started(app);
  }

  /** A signal's action on the running process; one that comes during the start is done once started. */
  private static final class OnceStarted {
    private final String signal;
    private final AtomicReference<Switchboard> running;
    private final Consumer<Switchboard> action;
    private final AtomicBoolean pending = new AtomicBoolean();

    OnceStarted(String signal, AtomicReference<Switchboard> running, Consumer<Switchboard> action) {
      this.signal = signal;
      this.running = running;
      this.action = action;
    }

    void signalled() {
      Switchboard app = running.get();
      if (app == null) {
        pending.set(true);
        app = running.get(); // the start may have ended meanwhile: then one of us takes the flag
        if (app == null || !pending.compareAndSet(true, false)) {
          log().info("{} during the start: acted on once started", signal);
          return;
        }
      }
      action.accept(app);
    }

    /** The start is done: a signal that came during it is acted on now. */
    void started(Switchboard app) {
      if (pending.compareAndSet(true, false)) {
        action.accept(app);
      }
    }
  }

  private static void reload(Switchboard app) {
    app.reload()
        .onSuccess(outcomes -> LoggerFactory.getLogger("switchboard.audit").info("[*] reload by SIGHUP: {}", outcomes))
        .onFailure(err -> log().error("SIGHUP: reload failed: {}", err.getMessage()));
  }

  /** What starting produced: a running app, or the exit code to end with. */
  record Starting(Switchboard app, int exitCode) {
  }

  static Starting start(String[] args, PrintStream out, PrintStream err) {
    if (args.length > 0 && args[0].startsWith("-")) {
      return new Starting(null, command(args, out, err));
    }
    if (args.length > 1) {
      err.println("usage: java -jar switchboard.jar [config.json]");
      return new Starting(null, BAD_CONFIG);
    }
    Path file = Path.of(args.length == 1 ? args[0] : DEFAULT_CONFIG);
    SwitchboardConfig config = load(file, err);
    if (config == null) {
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

  /** The options: each answers and exits without starting anything. Returns the exit code. */
  private static int command(String[] args, PrintStream out, PrintStream err) {
    String option = args[0];
    if (option.equals("--check") && args.length <= 2) {
      // The same loader and environment as a start, so that a config that passes here starts (an
      // upgrade checks the new version against the old config before stopping the old process).
      Path file = Path.of(args.length == 2 ? args[1] : DEFAULT_CONFIG);
      SwitchboardConfig config = load(file, err);
      if (config == null) {
        return BAD_CONFIG;
      }
      out.println("switchboard: " + file + " is valid (" + config.listeners().size() + " listener(s) in the file)");
      return 0;
    }
    if (args.length == 1) {
      switch (option) {
        case "-h", "--help" -> {
          out.println("usage: java -jar switchboard.jar [config.json]   (default: " + DEFAULT_CONFIG + ")");
          out.println("       java -jar switchboard.jar --check [config.json]   (validate it as a start would, start nothing: exit 0, or 2 and the error)");
          out.println("       java -jar switchboard.jar --version");
          out.println("       java -jar switchboard.jar --schema        (the config file's JSON Schema, for the kinds on the classpath)");
          out.println("bin/switchboard takes the same arguments.");
          return 0;
        }
        case "--version" -> {
          out.println("switchboard " + version());
          return 0;
        }
        case "--schema" -> {
          out.println(ConfigSchema.of(ListenerKinds.discover()).encodePrettily());
          return 0;
        }
        default -> {
        }
      }
    }
    err.println("usage: java -jar switchboard.jar [config.json] | --check [config.json] | --version | --schema | --help");
    return BAD_CONFIG;
  }

  /** The config, or null after one line on {@code err} naming the field. */
  private static SwitchboardConfig load(Path file, PrintStream err) {
    try {
      return new ConfigLoader(System.getenv()).load(file);
    } catch (ConfigException e) {
      err.println("switchboard: config error in " + file + ": " + e.getMessage());
      return null;
    }
  }

  /** The jar manifest's Implementation-Version (set by the server POM); classes run outside the jar have none. */
  static String version() {
    String version = Main.class.getPackage().getImplementationVersion();
    return version == null ? "(unknown: not run from switchboard.jar)" : version;
  }

  private static void shutDown(Switchboard app, String signal) {
    log().info("{}: stopping every listener", signal);
    try {
      app.stop().await(30, TimeUnit.SECONDS);
      log().info("stopped cleanly");
      System.exit(0);
    } catch (Exception e) {
      log().error("unclean stop: {}", e.toString());
      System.exit(CANNOT_START);
    }
  }
}
