package dev.switchboard.server.logging;

import ch.qos.logback.classic.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which stream is the journal's, and the priorities written to it (the process itself: LoggingProcessTest). */
class JournalStreamTest {
  @TempDir
  Path dir;

  @Test
  void theStreamIsTheJournalsOnlyWhenDeviceAndInodeMatch() throws Exception {
    Path stream = Files.writeString(dir.resolve("stream"), "");
    long device = ((Number) Files.getAttribute(stream, "unix:dev")).longValue();
    long inode = ((Number) Files.getAttribute(stream, "unix:ino")).longValue();
    assertTrue(JournalStream.isJournal(device + ":" + inode, stream));
    assertFalse(JournalStream.isJournal(device + ":" + (inode + 1), stream), "another stream: output redirected by the service");
    assertFalse(JournalStream.isJournal((device + 1) + ":" + inode, stream));
    assertFalse(JournalStream.isJournal(null, stream), "not started by systemd");
    assertFalse(JournalStream.isJournal("garbage", stream));
    assertFalse(JournalStream.isJournal(device + ":" + inode, dir.resolve("missing")));
  }

  @Test
  void everyLineOfAStackTraceCarriesTheEventsPriority() {
    String trace = "java.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)\n\tat d.E.f(E.java:2)\n";
    assertEquals("<3>java.lang.IllegalStateException: x\n<3>\tat a.B.c(B.java:1)\n<3>\tat d.E.f(E.java:2)\n",
        JournalStream.prefixLines(trace, Level.ERROR));
    assertEquals("", JournalStream.prefixLines("", Level.WARN), "no trace, no line");
    assertEquals("<4>java.io.IOException: a\rb\u2028c\n<4>\tat a.B.c(B.java:1)\n",
        JournalStream.prefixLines("java.io.IOException: a\rb\u2028c\n\tat a.B.c(B.java:1)\n", Level.WARN),
        "a carriage return or a Unicode line separator in a message is no line break to journald");
    assertEquals("<4>", JournalStream.prefix(Level.WARN));
    assertEquals("<6>", JournalStream.prefix(Level.INFO));
    assertEquals("<7>", JournalStream.prefix(Level.DEBUG));
    assertEquals("<7>", JournalStream.prefix(Level.TRACE));
  }
}
