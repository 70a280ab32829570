package dev.switchboard.core;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an error or a log line may quote of a text from outside. */
class SecretsTest {
  @Test
  void anExcerptMasksASecretTheCutWouldSplit() {
    String secret = "s3cr3t-" + "x".repeat(200);
    Secrets.global().add(secret);
    String excerpt = Secrets.excerpt("{\"echo\":\"" + secret + "\"}");
    assertEquals("{\"echo\":\"***\"}", excerpt);
    assertFalse(Secrets.excerpt("y".repeat(100) + secret).contains("s3cr3t"), "no head of it left either");
  }

  @Test
  void anExcerptIsShortWhateverItQuotes() {
    String excerpt = Secrets.excerpt("t".repeat(1_000_000));
    assertTrue(excerpt.length() < Secrets.EXCERPT_LENGTH + 30, excerpt.length() + " chars");
    assertTrue(excerpt.endsWith("... (1000000 chars)"), excerpt);
    assertEquals("null", Secrets.excerpt(null));
  }
}
