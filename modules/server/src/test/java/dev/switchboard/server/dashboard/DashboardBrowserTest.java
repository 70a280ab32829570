package dev.switchboard.server.dashboard;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.testing.Await;
import dev.switchboard.simulators.TcpGate;
import dev.switchboard.simulators.feed.FeedSimulator;
import dev.switchboard.simulators.feed.FeedSimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.chrome.ChromeDriver;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard in headless Chromium against a real in-process Switchboard and the real simulators.
 * Every wait is for a condition; timings that the issue promises ("within a second") are measured
 * in the page.
 */
@ExtendWith(VertxExtension.class)
class DashboardBrowserTest {
  /** Where the market's Watch button is on the page: what a click aimed at it needs to stay put. */
  private static final String TOP_OF_WATCH =
      "return document.querySelector('[data-market=\"market\"] [data-action=\"watch\"]').getBoundingClientRect().top + window.scrollY;";
  @TempDir
  Path dataDir;
  private LiveDemo demo;
  private ChromeDriver driver;

  @BeforeEach
  void setUp(Vertx vertx) {
    // Per test, not per class: each test is then reported skipped, with the reason.
    Chromium.assumeInstalled();
    demo = LiveDemo.start(vertx);
    demo.startServer(demo.config(dataDir.resolve("a"), true));
    Await.until(LiveDemo.WAIT, "every listener connected", () ->
        List.of("feed", "home", "market").stream().allMatch(n -> "CONNECTED".equals(demo.status(n).getString("state"))));
    driver = Chromium.start();
  }

  @AfterEach
  void tearDown() {
    if (driver != null) {
      driver.quit();
    }
    if (demo != null) {
      demo.close();
    }
  }

  @Test
  @DisplayName("two tabs: Stop in tab A shows the listener stopped in both within a second; Start in tab B shows it connected in both")
  void twoTabs() {
    DashboardPage a = DashboardPage.open(driver, demo.url());
    a.waitFor("without the token the buttons say so", () -> !a.enabled("feed", "stop")
        && a.attribute("[data-listener=\"feed\"] button[data-action=\"stop\"]", "title").contains("control token")
        && a.text("[data-listener=\"feed\"] [data-field=\"control-note\"]").contains("control token"));
    a.setToken(LiveDemo.TOKEN);
    DashboardPage b = DashboardPage.openInNewTab(driver, demo.url());
    b.waitFor("the token is shared by the tabs", () -> "true".equals(b.attribute("#token-state", "data-present")));
    a.waitFor("feed connected in A", () -> "CONNECTED".equals(a.state("feed")));
    b.waitFor("feed connected in B", () -> "CONNECTED".equals(b.state("feed")));
    // eventbus-bridge-client.js takes SockJS's websocket transport, which the fan-out path serves.
    Await.until(LiveDemo.WAIT, "both tabs on the fan-out path", () -> demo.metric("switchboard_bridge_websocket_clients"), v -> v == 2.0);

    a.watchFor("feed", "STOPPED");
    b.watchFor("feed", "STOPPED");
    long clicked = a.click("feed", "stop");
    a.waitFor("A shows stopped", () -> a.seenAt("feed", "STOPPED") != null);
    b.waitFor("B shows stopped", () -> b.seenAt("feed", "STOPPED") != null);
    long inA = a.seenAt("feed", "STOPPED") - clicked;
    long inB = b.seenAt("feed", "STOPPED") - clicked;
    assertTrue(inA < 1000 && inB < 1000, "stopped shown after " + inA + " ms in A and " + inB + " ms in B");
    assertFalse(demo.status("feed").getBoolean("is_active"));
    a.waitFor("A shows the result", () -> "stop: stopped".equals(a.result("feed")));
    for (DashboardPage page : List.of(a, b)) {
      page.waitFor("buttons follow the server", () -> page.enabled("feed", "start") && !page.enabled("feed", "stop")
          && !page.enabled("feed", "restart"));
    }

    b.watchFor("feed", "CONNECTED");
    a.watchFor("feed", "CONNECTED");
    long started = b.click("feed", "start");
    b.waitFor("B shows connected", () -> b.seenAt("feed", "CONNECTED") != null);
    a.waitFor("A shows connected", () -> a.seenAt("feed", "CONNECTED") != null);
    assertTrue(b.seenAt("feed", "CONNECTED") >= started && a.seenAt("feed", "CONNECTED") >= started);
    for (DashboardPage page : List.of(a, b)) {
      page.waitFor("buttons follow the server", () -> !page.enabled("feed", "start") && page.enabled("feed", "stop"));
    }
    assertEquals("CONNECTED", demo.status("feed").getString("state"));
    assertTrue(a.texts("#activity-log li[data-listener=\"feed\"]").size() >= 2, "the stop and the start are logged");

    // A tab opened now has seen no change: how things stand is not logged as if it had just happened.
    DashboardPage c = DashboardPage.openInNewTab(driver, demo.url());
    c.waitFor("synced, feed shown connected", () -> c.synced() && "CONNECTED".equals(c.state("feed")));
    assertEquals(List.of(), c.texts("#activity-log li[data-listener]"));
  }

  @Test
  @DisplayName("server restart: the page shows reconnecting, then resyncs, and its buttons match the new server's real state")
  void serverRestart() {
    DashboardPage page = DashboardPage.open(driver, demo.url());
    page.setToken(LiveDemo.TOKEN);
    page.waitFor("feed connected, Stop, Edit and Remove enabled", () -> "CONNECTED".equals(page.state("feed"))
        && page.enabled("feed", "stop") && page.enabled("feed", "edit") && page.enabled("feed", "remove"));

    demo.stopServer();
    page.waitFor("the page counts down to its next attempt", () -> "reconnecting".equals(page.connectionPhase())
        && page.connectionText().matches("reconnecting in \\d+s \\(attempt \\d+\\) — lost: the server closed the connection"));
    // Announced (a status region) without the countdown: a screen reader would read it out every second.
    assertTrue(page.text("#connection-said").matches("reconnecting \\(attempt \\d+\\) — lost: the server closed the connection"),
        page.text("#connection-said"));
    assertEquals("status", page.attribute("#connection-said", "role"));
    assertEquals("true", page.attribute("#connection-text", "aria-hidden"));
    assertFalse(page.enabled("feed", "stop"), "no control while the state is unknown");
    assertFalse(page.enabled("feed", "edit"), "no edit from a remembered state");
    assertFalse(page.enabled("feed", "remove"), "no removal from a remembered state");
    assertTrue(page.exists("[data-listener=\"feed\"].is-stale"), "the card says it shows the last known state");
    assertTrue(page.exists("[data-feed=\"feed\"].is-stale") && page.exists("[data-homeassistant=\"home\"].is-stale")
        && page.exists("[data-market=\"market\"].is-stale"), "so do the panels");

    // Another start with another state: a fresh data folder and feed not started automatically.
    demo.startServer(demo.config(dataDir.resolve("b"), false));
    page.waitFor("reconnected and resynced", () -> "connected".equals(page.connectionPhase()) && page.synced());
    page.waitFor("feed shown as the server has it: stopped", () -> "STOPPED".equals(page.state("feed")));
    assertFalse(demo.status("feed").getBoolean("is_active"));
    page.waitFor("buttons match", () -> page.enabled("feed", "start") && !page.enabled("feed", "stop") && !page.enabled("feed", "restart")
        && page.enabled("feed", "edit") && page.enabled("feed", "remove"));
    page.waitFor("the others connected again", () -> "CONNECTED".equals(page.state("home")) && "CONNECTED".equals(page.state("market")));
    assertFalse(page.exists(".is-stale"));
    assertTrue(page.texts("#activity-log li").stream().anyMatch(t -> t.contains("feed") && t.contains("stopped")));

    // And the page controls the new server.
    page.click("feed", "start");
    page.waitFor("feed connected", () -> "CONNECTED".equals(page.state("feed")) && page.enabled("feed", "stop"));
    assertEquals("CONNECTED", demo.status("feed").getString("state"));
  }

  @Test
  @DisplayName("messages typed while the server is down wait in the outbox and reach the upstream once each, in order, after the reconnect")
  void outboxAcrossRestart() {
    DashboardPage page = DashboardPage.open(driver, demo.url());
    page.setToken(LiveDemo.TOKEN);
    page.waitFor("feed connected", () -> "CONNECTED".equals(page.state("feed")));

    demo.stopServer();
    page.waitFor("disconnected", () -> !"connected".equals(page.connectionPhase()));
    List<String> typed = List.of("first message", "{\"second\": 2}", "third message");
    for (String message : typed) {
      page.type("[data-feed=\"feed\"] [data-field=\"send-text\"]", message);
      page.clickCss("[data-feed=\"feed\"] [data-action=\"send\"]");
    }
    page.waitFor("three waiting", () -> "3".equals(page.attribute("[data-feed=\"feed\"] [data-field=\"outbox\"]", "data-count")));
    assertTrue(demo.feed.received().isEmpty());

    demo.startServer(demo.config(dataDir.resolve("a"), true));
    page.reconnectNow();
    page.waitFor("all three sent", () -> page.attributes("[data-feed=\"feed\"] [data-field=\"sent\"] li", "data-state")
        .equals(List.of("sent", "sent", "sent")));
    assertEquals("0", page.attribute("[data-feed=\"feed\"] [data-field=\"outbox\"]", "data-count"));
    Await.until(LiveDemo.WAIT, "the simulator got them", () -> demo.feed.received().size() >= 3);
    assertEquals(typed, demo.feed.received());

    // A send the server refuses is shown as failed, with the reason, and not sent again.
    page.setToken("not-the-token");
    page.type("[data-feed=\"feed\"] [data-field=\"send-text\"]", "refused message");
    page.clickCss("[data-feed=\"feed\"] [data-action=\"send\"]");
    page.waitFor("shown as failed", () -> "failed".equals(page.attribute("[data-feed=\"feed\"] [data-field=\"sent\"] li", "data-state"))
        && page.text("[data-feed=\"feed\"] [data-field=\"sent\"] li").contains("the control token is wrong"));
    assertEquals("0", page.attribute("[data-feed=\"feed\"] [data-field=\"outbox\"]", "data-count"));
    assertEquals(typed, demo.feed.received());

    // 20,000 quotes: within the input's length, four times the bridge's 64 KiB once quoted twice on the wire.
    // The page refuses it with the reason, and keeps its socket (the server would have closed it with 1009).
    page.setToken(LiveDemo.TOKEN);
    page.js("document.querySelector('[data-feed=\"feed\"] [data-field=\"send-text\"]').value = '\"'.repeat(20000); return null;");
    page.clickCss("[data-feed=\"feed\"] [data-action=\"send\"]");
    page.waitFor("refused as too large", () -> "failed".equals(page.attribute("[data-feed=\"feed\"] [data-field=\"sent\"] li", "data-state"))
        && page.text("[data-feed=\"feed\"] [data-field=\"sent\"] li").contains("too large"));
    assertEquals("connected", page.connectionPhase());
    page.type("[data-feed=\"feed\"] [data-field=\"send-text\"]", "after the large one");
    page.clickCss("[data-feed=\"feed\"] [data-action=\"send\"]");
    Await.until(LiveDemo.WAIT, "the next message reached the upstream", () -> demo.feed.received().size() == typed.size() + 1);
    assertEquals("after the large one", demo.feed.received().get(typed.size()));
    assertEquals("connected", page.connectionPhase());
  }

  @Test
  @DisplayName("the controls stay where they are while messages fill the lists above them, so a click lands where it was aimed")
  void controlsStayPutWhileMessagesArrive() {
    DashboardPage page = DashboardPage.open(driver, demo.url());
    String messages = "[data-feed=\"feed\"] [data-field=\"messages\"] li";
    long before = page.texts(messages).size();
    assertTrue(before <= 30, "the feed's list must have room to grow for this test to mean anything: " + before + " messages");
    double top = ((Number) page.js(TOP_OF_WATCH)).doubleValue();
    page.waitFor("ten more feed messages", () -> page.texts(messages).size() >= before + 10);
    assertEquals(top, ((Number) page.js(TOP_OF_WATCH)).doubleValue(), "the market's Watch button moved while feed messages arrived");
  }

  @Test
  @DisplayName("a listener's error and retry lines come and go without changing its card's height or moving the panels below")
  void cardKeepsItsHeightThroughAnOutage() {
    DashboardPage page = DashboardPage.open(driver, demo.url());
    String card = DashboardPage.card("feed");
    String error = card + " [data-field=\"error\"]";
    page.waitFor("the feed card shows it connected, with no error", () -> "CONNECTED".equals(page.state("feed")) && page.text(error).isEmpty());
    double cardHeight = cardHeight(page, card);
    double watchTop = ((Number) page.js(TOP_OF_WATCH)).doubleValue();

    demo.feed.refuse(true).await();
    demo.feed.dropAll().await();
    page.waitFor("the feed card shows its last error while it retries", () -> page.text(error).startsWith("last error"));
    assertEquals(cardHeight, cardHeight(page, card), "the card's height with its last error: " + page.text(error));
    assertEquals(watchTop, ((Number) page.js(TOP_OF_WATCH)).doubleValue(), "the market's Watch button moved when the error showed");
    // Text and title read at once: a retry that fails meanwhile brings a newer error to both.
    Object both = page.js("const el = document.querySelector(arguments[0]); return [el.textContent, el.title];", error);
    assertTrue(both instanceof java.util.List<?> l && l.get(0).equals(l.get(1)), "the whole error is in the line's title: " + both);

    demo.feed.refuse(false).await();
    page.waitFor("connected again, the error said as earlier", () -> "CONNECTED".equals(page.state("feed"))
        && page.text(error).startsWith("earlier error"));
    assertEquals(cardHeight, cardHeight(page, card), "the card's height once connected again");
    assertEquals(watchTop, ((Number) page.js(TOP_OF_WATCH)).doubleValue(), "the market's Watch button moved after the reconnect");
  }

  @Test
  @DisplayName("a connected feed that falls silent and speaks again keeps its card's height: the silence shares the uptime's line")
  void cardKeepsItsHeightThroughASilence(Vertx vertx) {
    FeedSimulator quiet = new FeedSimulator(FeedSimulatorOptions.defaults().withRate(0));
    vertx.deployVerticle(quiet).await();
    demo.app().control().define("feed", new JsonObject().put("type", "upstream").put("autoStart", true)
        .put("url", quiet.url()).put("staleAfter", "1500ms")).await();
    DashboardPage page = DashboardPage.open(driver, demo.url());
    String card = DashboardPage.card("feed");
    String silent = card + " [data-field=\"silent\"]";
    page.waitFor("the feed connected to the quiet upstream, then silent", () -> "CONNECTED".equals(page.state("feed"))
        && page.text(silent).startsWith("silent for longer than staleAfter"));
    double silentHeight = cardHeight(page, card);
    double watchTop = ((Number) page.js(TOP_OF_WATCH)).doubleValue();
    String line = page.attribute(card + " .now", "title");
    assertTrue(line.startsWith("up ") && line.endsWith(" · silent for longer than staleAfter"), line);

    quiet.emit(new JsonObject().put("temperature", 21)).await();
    // The height is read in the same look as the line: what is measured is the card without the silence.
    double[] speaking = new double[1];
    page.waitFor("a message: no longer silent", () -> {
      List<?> seen = (List<?>) page.js("const c = document.querySelector(arguments[0]);"
          + "return [c.querySelector('[data-field=\"silent\"]').textContent, c.getBoundingClientRect().height];", card);
      speaking[0] = ((Number) seen.get(1)).doubleValue();
      return "".equals(seen.get(0));
    });
    assertEquals(silentHeight, speaking[0], "the card's height with and without the silent note");
    assertEquals(watchTop, ((Number) page.js(TOP_OF_WATCH)).doubleValue(), "the market's Watch button moved when the silence ended");
  }

  private static double cardHeight(DashboardPage page, String card) {
    return ((Number) page.js("return document.querySelector(arguments[0]).getBoundingClientRect().height;", card)).doubleValue();
  }

  @Test
  @DisplayName("watching a symbol subscribes it upstream (seen in the Alpaca simulator); closing the tab unsubscribes it")
  void watchSymbol() {
    DashboardPage other = DashboardPage.open(driver, demo.url());
    DashboardPage watcher = DashboardPage.openInNewTab(driver, demo.url());
    watcher.type("[data-market=\"market\"] [data-field=\"symbol\"]", "amd");
    watcher.clickCss("[data-market=\"market\"] [data-action=\"watch\"]");
    try {
      Await.until(LiveDemo.WAIT, "AMD subscribed upstream", () -> trades().contains("AMD"));
    } catch (AssertionError e) {
      // Failed once in a while in full CI runs, never alone: say where the watch stopped.
      throw new AssertionError(e.getMessage() + "; the page: row " + watcher.exists("[data-symbol=\"AMD\"]")
          + ", result '" + watcher.text("[data-market=\"market\"] [data-field=\"watch-result\"]")
          + "', row error '" + watcher.text("[data-symbol=\"AMD\"] [data-field=\"error\"]")
          + "', connection " + watcher.connectionPhase() + "; the market's status: " + demo.status("market").encode()
          + "; the simulator's subscriptions: " + demo.market.subscriptions().await(), e);
    }
    watcher.waitFor("trades of AMD shown", () -> !"–".equals(watcher.text("[data-symbol=\"AMD\"] [data-field=\"price\"]")));
    other.waitFor("the other tab sees the upstream subscription", () ->
        "AMD".equals(other.attribute("[data-market=\"market\"] [data-field=\"upstream\"]", "data-active-trades"))
            && "1".equals(other.attribute("[data-market=\"market\"] [data-field=\"upstream\"]", "data-total-clients")));

    watcher.close();
    Await.until(LiveDemo.WAIT, "AMD unsubscribed upstream", () -> !trades().contains("AMD"));
    other.waitFor("the other tab sees it gone", () ->
        "".equals(other.attribute("[data-market=\"market\"] [data-field=\"upstream\"]", "data-active-trades"))
            && "0".equals(other.attribute("[data-market=\"market\"] [data-field=\"upstream\"]", "data-total-clients")));
  }

  private List<String> trades() {
    Map<String, List<String>> subscriptions = demo.market.subscriptions().await();
    return subscriptions.getOrDefault("trades", List.of());
  }

  @Test
  @DisplayName("toggling a light on the page changes it in the Home Assistant simulator, and the new state shows")
  void toggleLight() {
    demo.home.setRate(0).await();
    DashboardPage page = DashboardPage.open(driver, demo.url());
    page.setToken(LiveDemo.TOKEN);
    String light = demo.home.states().keySet().stream().filter(id -> id.startsWith("light.")).sorted().findFirst().orElseThrow();
    String before = demo.home.state(light).getString("state");
    String row = "[data-homeassistant=\"home\"] tr[data-entity=\"" + light + "\"]";
    page.waitFor(light + " shown as " + before, () -> before.equals(page.attribute(row + " [data-field=\"state\"]", "data-state")));

    // Enabled once the page is synced and has taken the token: a click on a disabled button does nothing.
    page.waitFor("the toggle enabled", () -> Boolean.FALSE.equals(page.js(
        "const b = document.querySelector(arguments[0]); return b ? b.disabled : null;", row + " [data-action=\"toggle\"]")));
    page.clickCss(row + " [data-action=\"toggle\"]");
    String after = before.equals("on") ? "off" : "on";
    Await.until(LiveDemo.WAIT, light + " toggled in the simulator", () -> after.equals(demo.home.state(light).getString("state")),
        () -> "the row says: " + page.text(row));
    page.waitFor(light + " shown as " + after, () -> after.equals(page.attribute(row + " [data-field=\"state\"]", "data-state")));

    page.type("[data-homeassistant=\"home\"] [data-field=\"filter\"]", light);
    page.waitFor("the filter leaves that row", () -> page.texts("[data-homeassistant=\"home\"] tr[data-entity]:not([hidden])").size() == 1);
  }

  @Test
  @DisplayName("a page that reads too slowly (slowClients: conflate) is told what the server dropped for it: it says so, and reads the"
      + " Home Assistant states again, so its table shows every state the simulator has, the changes dropped on the way too")
  void droppedStateChangesAreReadAgain(Vertx vertx) {
    demo.stopServer();
    JsonObject config = demo.config(dataDir.resolve("a"), true);
    config.getJsonObject("http").put("bridge", new JsonObject().put("slowClients", "conflate").put("maxQueuedBytes", 64 * 1024));
    demo.startServer(config);
    demo.home.setRate(0).await();
    // The page reaches the server through a gate that can stop reading what the server sends it, as a busy tab does.
    TcpGate gate = TcpGate.open(vertx, "127.0.0.1", 0, demo.httpPort).await();
    // Held, the socket says nothing for seconds: the page must not give it up as lost meanwhile (15 s by default).
    DashboardPage page = DashboardPage.open(driver, "http://127.0.0.1:" + gate.port() + "/?staleAfter=120000");
    page.waitFor("the table as the simulator has it", () -> tableShowsTheSimulatorsStates(page));

    gate.hold(true).await();
    long started = System.nanoTime();
    // State changes until the server has dropped many for the page: its socket's buffers, which grow for a while, hold
    // all they will, and nothing more leaves the page's queue until the gate reads again.
    while (demo.metric("switchboard_bridge_conflated_messages_total") < 10_000 && System.nanoTime() - started < LiveDemo.WAIT.toNanos()) {
      demo.home.burst(2_000).await();
    }
    assertTrue(demo.metric("switchboard_bridge_conflated_messages_total") >= 10_000, "the page's queue did not fill");
    // While it is full: a light becomes unavailable (nothing else makes one so), then a sensor changes many times.
    // The sensor's changes take the place of the light's, which the page is never sent.
    String light = firstOf("light.");
    String sensor = firstOf("sensor.");
    demo.home.setState(light, "unavailable", demo.home.state(light).getJsonObject("attributes")).await();
    JsonObject sensorAttributes = demo.home.state(sensor).getJsonObject("attributes");
    for (int i = 0; i < 300; i++) {
      demo.home.setState(sensor, Integer.toString(i), sensorAttributes).await();
    }
    gate.hold(false).await();

    page.waitFor("the log says the server dropped messages", () -> page.texts("#activity-log li").stream()
        .anyMatch(line -> line.contains("the server dropped") && line.contains("homeassistant.home.event.state_changed")));
    page.waitFor("every state the simulator has, on the page", () -> tableShowsTheSimulatorsStates(page));
    gate.close().await();
  }

  private String firstOf(String domain) {
    return demo.home.states().keySet().stream().filter(id -> id.startsWith(domain)).sorted().findFirst().orElseThrow();
  }

  /** Whether each row of the Home Assistant table shows the state the simulator has for its entity, and no other row is there. */
  private boolean tableShowsTheSimulatorsStates(DashboardPage page) {
    Map<String, String> expected = new java.util.TreeMap<>();
    demo.home.states().forEach((id, state) -> expected.put(id, state.getString("state")));
    Object shown = page.js("const rows = {};"
        + " document.querySelectorAll('[data-homeassistant=\"home\"] tr[data-entity]').forEach((r) =>"
        + " { rows[r.dataset.entity] = r.querySelector('[data-field=\"state\"]').dataset.state; }); return rows;");
    return expected.equals(shown instanceof Map<?, ?> rows ? new java.util.TreeMap<>(rows) : null);
  }

  @Test
  @DisplayName("an activity flag left set past its stale timeout is cleared on the page, with the reason shown")
  void staleActivityFlag() {
    demo.stopServer();
    JsonObject thinking = new JsonObject().put("start", "thinking_start").put("end", "thinking_end").put("staleAfter", "1500ms");
    demo.startServer(demo.config(dataDir.resolve("a"), true)
        .put("status", new JsonObject().put("activity", new JsonObject().put("phases", new JsonObject().put("thinking", thinking)))));
    DashboardPage page = DashboardPage.open(driver, demo.url());
    demo.app().vertx().eventBus().request("switchboard.activity.report",
        new JsonObject().put("channel", "job-42").put("type", "thinking_start")).await();
    String chip = "[data-channel=\"job-42\"] [data-flag=\"thinking\"]";
    page.waitFor("thinking set on the page", () -> "true".equals(page.attribute(chip, "data-value")));
    // Nothing reports thinking_end: after 1.5 s the server clears the flag itself.
    page.waitFor("thinking cleared as stale", () -> "false".equals(page.attribute(chip, "data-value"))
        && "stale".equals(page.attribute("[data-channel=\"job-42\"] [data-field=\"reason\"]", "data-reason")));
    assertTrue(page.text("[data-channel=\"job-42\"] [data-field=\"reason\"]").contains("(stale)"));
  }

  @Test
  @DisplayName("a lost socket: the page catches up from the missed deltas and the feed's history, without a reload")
  void lostSocketCatchesUp(Vertx vertx) {
    // The page reaches the server through a gate that can cut its socket while the server keeps running.
    TcpGate gate = TcpGate.open(vertx, "127.0.0.1", 0, demo.httpPort).await();
    DashboardPage page = DashboardPage.open(driver, "http://127.0.0.1:" + gate.port() + "/");
    page.waitFor("feed connected and messages flowing", () -> "CONNECTED".equals(page.state("feed"))
        && page.texts("[data-feed=\"feed\"] [data-field=\"messages\"] li").size() >= 3);

    gate.refuse(true);
    gate.cutAll();
    page.waitFor("the page lost its socket", () -> !"connected".equals(page.connectionPhase()));
    demo.app().vertx().eventBus().request(Addresses.CONTROL, new JsonObject().put("action", "stop").put("name", "feed")).await();
    gate.refuse(false);

    page.waitFor("back, and feed shown stopped", () -> page.synced() && "STOPPED".equals(page.state("feed")));
    // The page asked for what it missed and got the deltas, not a whole snapshot.
    assertEquals(List.of("resync"), page.attributes("#activity-log li[data-listener=\"feed\"][data-event=\"stopped\"]", "data-how"));
    // The messages published while the page was away came from the history: no gap, no hole in the seqs.
    assertFalse(page.exists("[data-feed=\"feed\"] [data-gap]"));
    List<Long> seqs = page.attributes("[data-feed=\"feed\"] [data-field=\"messages\"] li[data-seq]", "data-seq").stream()
        .map(Long::valueOf).toList();
    for (int i = 1; i < seqs.size(); i++) {
      assertEquals(seqs.get(i - 1) - 1, seqs.get(i), "consecutive, newest first: " + seqs);
    }
    gate.close().await();
  }

  @Test
  @DisplayName("the dashboard with live data from the three simulators: saved to target/dashboard.png (and docs/ on request)")
  void screenshot() {
    DashboardPage page = DashboardPage.open(driver, demo.url());
    page.setToken(LiveDemo.TOKEN);
    page.type("[data-market=\"market\"] [data-field=\"symbol\"]", "aapl");
    page.clickCss("[data-market=\"market\"] [data-action=\"watch\"]");
    page.type("[data-market=\"market\"] [data-field=\"symbol\"]", "MSFT");
    page.clickCss("[data-market=\"market\"] [data-action=\"watch\"]");
    page.type("[data-feed=\"feed\"] [data-field=\"send-text\"]", "{\"hello\": \"from the dashboard\"}");
    page.clickCss("[data-feed=\"feed\"] [data-action=\"send\"]");
    page.waitFor("live data everywhere", () -> page.texts("[data-feed=\"feed\"] [data-field=\"messages\"] li").size() >= 10
        && page.texts("[data-homeassistant=\"home\"] tr[data-entity]").size() >= 10
        && !"–".equals(page.text("[data-symbol=\"AAPL\"] [data-field=\"price\"]"))
        && !"–".equals(page.text("[data-symbol=\"MSFT\"] [data-field=\"price\"]"))
        && "sent".equals(page.attribute("[data-feed=\"feed\"] [data-field=\"sent\"] li", "data-state")));
    // Ten seconds of rate samples, so that the charts show a line.
    page.waitFor("the charts have a line", () -> List.of("feed", "home", "market").stream().allMatch(name ->
        String.valueOf(page.attribute("[data-listener=\"" + name + "\"] svg polyline", "points")).split(" ").length >= 10));
    page.screenshot(Path.of("target/dashboard.png"));
    // -Dscreenshot.docs=true refreshes the README's picture; a plain test run leaves the source tree alone.
    if (Boolean.getBoolean("screenshot.docs")) {
      page.screenshot(docs().resolve("dashboard.png"));
    }
  }

  /** docs/ at the top of the project, wherever Maven runs the tests from. */
  private static Path docs() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !java.nio.file.Files.isDirectory(dir.resolve("docs"))) {
      dir = dir.getParent();
    }
    return dir == null ? Path.of("target") : dir.resolve("docs");
  }
}
