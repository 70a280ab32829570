package dev.switchboard.server.logging;

import ch.qos.logback.classic.Level;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Whether standard output is systemd's journal, and the priority prefix each line then starts with.
 * journald files every line of a stream at one priority unless the line starts with {@code <N>}
 * (syslog's numbers), which it strips: with it, {@code journalctl -p warning} finds warnings and errors.
 * systemd says which stream is the journal's in {@code JOURNAL_STREAM} ({@code device:inode}); a service
 * whose output was redirected elsewhere inherits the variable, so the stream itself is compared.
 */
public final class JournalStream {
  private static final boolean STDOUT = isJournal(System.getenv("JOURNAL_STREAM"), Path.of("/proc/self/fd/1"));
  private static final boolean STDERR = isJournal(System.getenv("JOURNAL_STREAM"), Path.of("/proc/self/fd/2"));
  /** Where a line starts: after {@code \n} only (UNIX_LINES), before a character. Compiled once: used for every stack trace. */
  private static final Pattern LINE_START = Pattern.compile("^(?=.)", Pattern.MULTILINE | Pattern.UNIX_LINES);

  private JournalStream() {
  }

  /** True when standard output is the journal (read once, at start). */
  public static boolean stdout() {
    return STDOUT;
  }

  /**
   * {@code err} for the lines that say why the process cannot start: filed as errors when standard error is the
   * journal (a unit that fails on a bad config shows in {@code journalctl -p err}).
   */
  public static PrintStream errors(PrintStream err) {
    if (!STDERR) {
      return err;
    }
    return new PrintStream(err, true) {
      @Override
      public void println(String line) {
        super.println(prefix(Level.ERROR) + line);
      }
    };
  }

  /** The syslog priority of {@code level}: err, warning, info, debug. */
  public static String prefix(Level level) {
    return switch (level.toInt()) {
      case Level.ERROR_INT -> "<3>";
      case Level.WARN_INT -> "<4>";
      case Level.INFO_INT -> "<6>";
      default -> "<7>";
    };
  }

  /** {@code text}'s every line, each starting with {@code level}'s priority. Lines end at {@code \n} only, as journald's do. */
  public static String prefixLines(String text, Level level) {
    return LINE_START.matcher(text).replaceAll(prefix(level));
  }

  static boolean isJournal(String journalStream, Path stream) {
    if (journalStream == null || !journalStream.matches("\\d+:\\d+")) {
      return false;
    }
    try {
      String[] deviceAndInode = journalStream.split(":");
      long device = ((Number) Files.getAttribute(stream, "unix:dev")).longValue();
      long inode = ((Number) Files.getAttribute(stream, "unix:ino")).longValue();
      return device == Long.parseLong(deviceAndInode[0]) && inode == Long.parseLong(deviceAndInode[1]);
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false; // not Linux, or no such stream: plain lines
    }
  }
}
