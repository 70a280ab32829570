package dev.switchboard.bench.relay;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The relay benchmark's arguments: what it runs, and a clear refusal, before anything starts, of what it cannot. */
class RelayBenchOptionsTest {

  @Test
  void defaultsAreTheWholeMatrixAgainstEveryPeer() {
    RelayBenchOptions options = RelayBenchOptions.parse();
    assertEquals(11, options.scenarios().size());
    assertEquals(new RelayBench.Scenario(1, 0), options.scenarios().get(0));
    assertEquals(List.of("node-ws", "node-red", "python", "switchboard"), options.relays());
    assertEquals("node", options.clients());
    assertEquals(5, options.seconds());
    assertEquals(2, options.warmup());
    assertEquals(1, options.repeat());
    assertEquals(2, options.fleetProcesses());
    assertEquals(List.of(), options.jvmOptions());
    assertNull(options.eventLoops());
    assertEquals(Path.of("modules/bench"), options.benchDir());
    assertFalse(options.threads());
    assertFalse(options.check());
    assertFalse(options.help());
  }

  @Test
  void everyOptionIsRead() {
    RelayBenchOptions options = RelayBenchOptions.parse("--scenarios", "100@max, 1000@30", "--relays", "switchboard-jar,node-ws,switchboard-subscribe",
        "--seconds", "3", "--warmup", "0", "--repeat", "3", "--clients", "java", "--fleet-processes", "4",
        "--jvm", " -Xms16m  -XX:+UseSerialGC ", "--jar", "/tmp/s.jar", "--bench-dir", "/tmp/bench",
        "--event-loops", "4", "--threads", "--check", "--help");
    assertEquals(List.of(new RelayBench.Scenario(100, 0), new RelayBench.Scenario(1000, 30)), options.scenarios());
    assertEquals(List.of("switchboard-jar", "node-ws", "switchboard-subscribe"), options.relays());
    assertEquals(3, options.seconds());
    assertEquals(0, options.warmup());
    assertEquals(3, options.repeat());
    assertEquals("java", options.clients());
    assertEquals(4, options.fleetProcesses());
    assertEquals(List.of("-Xms16m", "-XX:+UseSerialGC"), options.jvmOptions());
    assertEquals(Path.of("/tmp/s.jar"), options.jar());
    assertEquals(Path.of("/tmp/bench"), options.benchDir());
    assertEquals(4, options.eventLoops());
    assertTrue(options.threads());
    assertTrue(options.check());
    assertTrue(options.help());
  }

  @Test
  void mistakesAreRefusedWithWhatIsWrong() {
    refused("unknown argument '--scenario'", "--scenario", "1@max");
    refused("unknown argument '100@max'", "100@max");
    refused("unknown argument '--node-relay'", "--node-relay", "modules/bench/node-relay/relay.js");
    refused("--seconds needs a value", "--seconds");
    refused("--seconds is a whole number from 1 to 3600, not 'ten'", "--seconds", "ten");
    refused("--repeat is a whole number from 1 to 100, not '0'", "--repeat", "0");
    refused("--event-loops is a whole number from 1 to 1024, not '0'", "--event-loops", "0");
    refused("unknown relay 'node' in --relays; use node-ws, node-red, python, switchboard, switchboard-jar, switchboard-subscribe", "--relays", "node,switchboard");
    refused("--relays names a relay twice: switchboard,switchboard", "--relays", "switchboard,switchboard");
    refused("--clients is node or java, not 'browser'", "--clients", "browser");
    String scenario = "must look like 100@300 (clients@messages per second, 1 to 100,000 clients) or 100@max";
    refused("scenario '100' " + scenario, "--scenarios", "100");
    refused("scenario '0@max' " + scenario, "--scenarios", "0@max");
    refused("scenario '10@0' " + scenario, "--scenarios", "10@0");
    refused("scenario 'ten@max' " + scenario, "--scenarios", "ten@max");
  }

  @Test
  void usageNamesEveryOption() {
    for (String option : List.of("--scenarios", "--relays", "--seconds", "--warmup", "--repeat", "--clients",
        "--fleet-processes", "--jvm", "--jar", "--bench-dir", "--event-loops", "--threads", "--check", "--help")) {
      assertTrue(RelayBenchOptions.USAGE.contains("  " + option + " "), option);
    }
    assertTrue(RelayBenchOptions.USAGE.contains(RelayBench.MATRIX));
  }

  private static void refused(String message, String... args) {
    assertEquals(message, assertThrows(IllegalArgumentException.class, () -> RelayBenchOptions.parse(args)).getMessage());
  }
}
