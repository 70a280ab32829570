package dev.switchboard.bench.relay;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a {@link RelayBench} run was asked to do, checked before anything starts: a misspelt option
 * or relay fails at once with what is wrong, instead of running the whole 14-minute matrix.
 */
record RelayBenchOptions(Path jar, Path benchDir, List<RelayBench.Scenario> scenarios, List<String> relays,
                         String clients, int fleetProcesses, List<String> jvmOptions, int seconds, int warmup,
                         int repeat, Integer eventLoops, boolean threads, boolean check, boolean help) {

  static final String USAGE = """
      usage: java -cp switchboard-bench.jar dev.switchboard.bench.relay.RelayBench [options]
        --scenarios 1@max,1@1000,...   M@rate or M@max, M clients (default: the whole matrix, %s)
        --relays node-ws,node-red,python,switchboard   (default; also switchboard-jar, switchboard-subscribe)
               switchboard: through bin/switchboard, the README's launch (the launcher's JVM defaults),
                            clients on the bridge's raw endpoint (a bridge frame around each envelope)
               switchboard-jar: java [--jvm flags] -jar switchboard.jar, clients on the same endpoint
               switchboard-subscribe: the launcher, clients on /subscribe?format=data (each frame the
                            upstream's message as it came, as node-red sends it)
        --seconds 5        measured per round
        --warmup 2         sending before each round is measured (until every client has a message)
        --repeat 1         rounds per row, each relay in turn (each relay starts fresh once per row and
                           is kept for its rounds); the table has the median of each column
        --clients node     node: Node ws clients, one frame per event, JSON.parse each; java: Vert.x clients
        --fleet-processes 2   Node processes the node clients are spread over
        --jvm "-Xmx256m"   JVM options of switchboard-jar (default none)
        --jar modules/server/target/switchboard.jar
        --bench-dir modules/bench   where the peers and the Node client fleet are (node-relay/, node-red/,
                           python-relay/)
        --event-loops 4    Switchboard's eventLoops (default: the product's, one)
        --threads          after each round, each relay's CPU by thread name
        --check            check the options and exit, running nothing (exit 2 and the reason if wrong)
        --help             this text
      """.formatted(RelayBench.MATRIX);

  static final List<String> RELAYS = List.of("node-ws", "node-red", "python", "switchboard", "switchboard-jar",
      "switchboard-subscribe");
  private static final Set<String> FLAGS = Set.of("threads", "check", "help");
  private static final Set<String> NAMES = Set.of("jar", "bench-dir", "scenarios", "relays", "clients",
      "fleet-processes", "jvm", "seconds", "warmup", "repeat", "event-loops");

  /** @throws IllegalArgumentException with what is wrong, for the first argument that is */
  static RelayBenchOptions parse(String... args) {
    Map<String, String> given = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String name = args[i].startsWith("--") ? args[i].substring(2) : null;
      if (name != null && FLAGS.contains(name)) {
        given.put(name, "true");
      } else if (name != null && NAMES.contains(name)) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("--" + name + " needs a value");
        }
        given.put(name, args[++i]);
      } else {
        throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
      }
    }
    List<RelayBench.Scenario> scenarios = new ArrayList<>();
    for (String s : given.getOrDefault("scenarios", RelayBench.MATRIX).split(",")) {
      scenarios.add(RelayBench.Scenario.parse(s));
    }
    List<String> relays = List.of(given.getOrDefault("relays", "node-ws,node-red,python,switchboard").split(","));
    for (String relay : relays) {
      if (!RELAYS.contains(relay)) {
        throw new IllegalArgumentException("unknown relay '" + relay + "' in --relays; use " + String.join(", ", RELAYS));
      }
    }
    if (new LinkedHashSet<>(relays).size() != relays.size()) {
      throw new IllegalArgumentException("--relays names a relay twice: " + given.get("relays"));
    }
    String clients = given.getOrDefault("clients", "node");
    if (!clients.equals("node") && !clients.equals("java")) {
      throw new IllegalArgumentException("--clients is node or java, not '" + clients + "'");
    }
    String jvm = given.getOrDefault("jvm", "").trim();
    return new RelayBenchOptions(
        Path.of(given.getOrDefault("jar", "modules/server/target/switchboard.jar")),
        Path.of(given.getOrDefault("bench-dir", "modules/bench")),
        List.copyOf(scenarios), relays, clients,
        number(given, "fleet-processes", 2, 1, 64),
        jvm.isEmpty() ? List.of() : List.of(jvm.split("\\s+")),
        number(given, "seconds", 5, 1, 3_600),
        number(given, "warmup", 2, 0, 3_600),
        number(given, "repeat", 1, 1, 100),
        given.containsKey("event-loops") ? number(given, "event-loops", 1, 1, 1_024) : null,
        given.containsKey("threads"), given.containsKey("check"), given.containsKey("help"));
  }

  private static int number(Map<String, String> given, String name, int fallback, int least, int most) {
    String text = given.get(name);
    if (text == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(text);
      if (n >= least && n <= most) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new IllegalArgumentException("--" + name + " is a whole number from " + least + " to " + most + ", not '" + text + "'");
  }
}
