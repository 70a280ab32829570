package dev.switchboard.status;

import dev.switchboard.core.ConfigException;
import dev.switchboard.core.ConfigSection;

import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * Which data address keeps a history, and how much of it.
 *
 * @param address     an exact address, or one with a single {@code *} segment that stands for a listener
 *                    name ({@code upstream.*.message})
 * @param maxMessages the most envelopes kept per address
 * @param maxAge      envelopes received longer ago than this are dropped
 */
public record HistoryRule(String address, int maxMessages, Duration maxAge) {
  public static final int DEFAULT_MAX_MESSAGES = 1_000;
  public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(5);

  public boolean isPattern() {
    return Arrays.asList(address.split("\\.", -1)).contains("*");
  }

  /** The address for one listener: the pattern with its {@code *} replaced, or the exact address itself. */
  public String forListener(String listener) {
    if (!isPattern()) {
      return address;
    }
    String[] segments = address.split("\\.", -1);
    for (int i = 0; i < segments.length; i++) {
      if (segments[i].equals("*")) {
        segments[i] = listener;
      }
    }
    return String.join(".", segments);
  }

  /** The listener name this address has where the pattern has its {@code *}, if the address matches. */
  public Optional<String> listenerOf(String candidate) {
    String[] pattern = address.split("\\.", -1);
    String[] segments = candidate.split("\\.", -1);
    if (pattern.length != segments.length) {
      return Optional.empty();
    }
    String listener = null;
    for (int i = 0; i < pattern.length; i++) {
      if (pattern[i].equals("*")) {
        listener = segments[i];
      } else if (!pattern[i].equals(segments[i])) {
        return Optional.empty();
      }
    }
    return Optional.ofNullable(listener).filter(l -> !l.isEmpty());
  }

  public static HistoryRule from(ConfigSection s) {
    String address = s.requiredString("address");
    if (address.chars().anyMatch(Character::isWhitespace)) {
      throw new ConfigException(s.field("address"), "must not contain spaces");
    }
    String[] segments = address.split("\\.", -1);
    int stars = 0;
    for (String segment : segments) {
      if (segment.isEmpty()) {
        throw new ConfigException(s.field("address"), "has an empty segment: \"" + address + "\"");
      }
      if (segment.equals("*")) {
        stars++;
      } else if (segment.contains("*")) {
        throw new ConfigException(s.field("address"), "'*' must be a whole segment (upstream.*.message), not part of one: \"" + address + "\"");
      }
    }
    if (stars > 1) {
      throw new ConfigException(s.field("address"), "may have one '*' (it stands for a listener name), not " + stars);
    }
    int maxMessages = s.integer("maxMessages", DEFAULT_MAX_MESSAGES, 1, 1_000_000);
    Duration maxAge = ActivityOptions.positive(s, "maxAge", DEFAULT_MAX_AGE);
    s.finish();
    return new HistoryRule(address, maxMessages, maxAge);
  }
}
