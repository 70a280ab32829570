package dev.switchboard.homeassistant;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cluster-wide {@code events_total}, on Vert.x's shared data (the local map here; a cluster's is
 * Hazelcast's, with the same compare-and-set): the count only grows, and only the newest owner writes.
 */
@ExtendWith(VertxExtension.class)
class SharedCounterTest {
  private static final String LISTENER = "home";

  private static long stored(Vertx vertx) {
    return new SharedCounter(vertx, LISTENER, 0).load().await().eventsTotal();
  }

  @Test
  @DisplayName("an owner's older save that lands after its newer one does not set the count back")
  void aLateSaveDoesNotLowerTheCount(Vertx vertx) {
    SharedCounter owner = new SharedCounter(vertx, LISTENER, 3);
    assertTrue(owner.save(200, 2_000).await());
    assertTrue(owner.save(150, 1_500).await(), "the entry holds at least this count");
    assertEquals(200, stored(vertx));
  }

  @Test
  @DisplayName("a new owner that could not read the count (and counts from its own file) keeps the higher one, under its epoch")
  void aNewOwnerKeepsTheHigherCount(Vertx vertx) {
    assertTrue(new SharedCounter(vertx, LISTENER, 6).save(5_000_000, 60_000).await());
    SharedCounter next = new SharedCounter(vertx, LISTENER, 7);
    assertTrue(next.save(12, 70_000).await());
    assertEquals(5_000_000, stored(vertx));
    // The entry is the new owner's now: the old one may no longer write, whatever its count.
    assertFalse(new SharedCounter(vertx, LISTENER, 6).save(6_000_000, 80_000).await());
    assertEquals(5_000_000, stored(vertx));
    assertTrue(next.save(5_000_100, 90_000).await());
    assertEquals(5_000_100, stored(vertx));
  }

  @Test
  @DisplayName("saves of one owner that overlap settle on the highest count")
  void overlappingSaves(Vertx vertx) {
    SharedCounter owner = new SharedCounter(vertx, LISTENER, 1);
    Future.all(owner.save(10, 1), owner.save(30, 3), owner.save(20, 2)).await();
    assertEquals(30, stored(vertx));
  }
}
