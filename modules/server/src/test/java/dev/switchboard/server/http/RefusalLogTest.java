package dev.switchboard.server.http;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Refusals are written once per address, then summarized per interval, with lines and memory bounded. */
class RefusalLogTest {
  private final Logger logger = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("test.refusals");
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private RefusalLog log;

  @BeforeEach
  void setUp() {
    lines.start();
    logger.addAppender(lines);
    log = new RefusalLog(logger, 50, 5, Duration.ofSeconds(10));
  }

  @AfterEach
  void tearDown() {
    logger.detachAppender(lines);
  }

  private List<String> written() {
    return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  @DisplayName("the first refusal from an address is written whole, the others in one summary line per interval")
  void firstThenSummary() {
    for (int i = 0; i < 1234; i++) {
      log.refused("1.2.3.4", "refused POST /api/reload from 1.2.3.4:" + i + ": wrong token");
    }
    assertEquals(List.of("refused POST /api/reload from 1.2.3.4:0: wrong token"), written());
    log.summarize();
    assertEquals(2, written().size());
    assertEquals("refused 1233 more request(s) from 1.2.3.4 in the last 10 s; the latest: refused POST /api/reload from 1.2.3.4:1233: wrong token",
        written().get(1));

    log.summarize();
    assertEquals(2, written().size(), "nothing new: nothing written");
    log.refused("1.2.3.4", "again");
    assertEquals("again", written().get(2), "after a quiet interval, a refusal is written whole again");
  }

  @Test
  @DisplayName("many addresses: at most maxLines whole lines and maxLines summaries per interval, the rest in one total, memory bounded")
  void manyAddresses() {
    for (int i = 0; i < 10_000; i++) {
      log.refused("10.0." + (i >> 8) + "." + (i & 255), "refused from " + i);
      log.refused("10.0." + (i >> 8) + "." + (i & 255), "refused again from " + i);
      assertTrue(log.size() <= 50);
    }
    assertEquals(5, written().size(), "five whole lines, then counting");
    log.summarize();
    List<String> summary = written().subList(5, written().size());
    assertEquals(6, summary.size(), summary.toString());
    assertTrue(summary.get(5).startsWith("refused 19985 more request(s) from 9995 other address(es) in the last 10 s"), summary.get(5));
    assertTrue(log.size() <= 50);
  }
}
