package dev.switchboard.core;

import io.vertx.core.json.JsonObject;

import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The secret values this process knows: the fields kinds mark secret, what placeholders put into URLs,
 * and every placeholder value outside listener definitions (tokens, keys). Anything shown to a person
 * (status, logs, errors) goes through {@link #redact(String)} first.
 */
public final class Secrets {
  public static final String MASK = "***";
  /** The most of a text from outside that an error, a status or a log line quotes. */
  public static final int EXCERPT_LENGTH = 120;
  private static final Secrets GLOBAL = new Secrets();

  private final List<String> values = new CopyOnWriteArrayList<>();

  /** The process-wide registry: the config loader fills it, the log encoder and the status read it. */
  public static Secrets global() {
    return GLOBAL;
  }

  /**
   * Whether a definition draws on what this server keeps: a {@code ${VAR}} placeholder (its environment)
   * or a secret sent back as {@link #MASK} (the stored one). One that does not holds only what its
   * sender wrote.
   */
  public static boolean drawsOnServer(JsonObject definition) {
    String text = definition.encode();
    return text.contains("${") || text.contains("\"" + MASK + "\"");
  }

  /**
   * Text from an upstream (a frame, a message's field) as an error, a status or a log line may quote it:
   * every known secret masked, then cut to {@link #EXCERPT_LENGTH} characters. In the other order a secret
   * the cut splits (a token echoed back by a wrong endpoint) would keep its head, which no mask matches.
   */
  public static String excerpt(String text) {
    String masked = GLOBAL.redact(String.valueOf(text));
    return masked.length() <= EXCERPT_LENGTH ? masked
        : masked.substring(0, EXCERPT_LENGTH) + "... (" + masked.length() + " chars)";
  }

  public void add(String secret) {
    // Very short values would mask harmless text everywhere; they are still never shown on purpose.
    if (secret != null && secret.length() >= 3 && !values.contains(secret)) {
      values.add(secret);
      values.sort(Comparator.comparingInt(String::length).reversed());
    }
  }

  public void addAll(Set<String> secrets) {
    secrets.forEach(this::add);
  }

  public String redact(String text) {
    if (text == null || values.isEmpty()) {
      return text;
    }
    String out = text;
    for (String secret : values) {
      if (out.contains(secret)) {
        out = out.replace(secret, MASK);
      }
    }
    return out;
  }
}
