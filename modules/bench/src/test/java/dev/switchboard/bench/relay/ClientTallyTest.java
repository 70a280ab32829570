package dev.switchboard.bench.relay;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java fleet's counting, without sockets: deliveries are new seqs, duplicates and loss are the window's own. */
class ClientTallyTest {

  @Test
  void aDuplicateIsNoDeliveryAndCountsOnlyInItsWindow() {
    ClientTally client = new ClientTally();
    MeasuringWindow warmUp = MeasuringWindow.NONE;
    assertTrue(client.receive(1, 0, warmUp));
    assertTrue(client.receive(2, 0, warmUp));
    assertFalse(client.receive(2, 0, warmUp), "a duplicate in the warm-up is no delivery");
    assertEquals(0, warmUp.duplicates(), "and counts in no window");

    MeasuringWindow window = new MeasuringWindow(5);
    assertFalse(client.receive(1, 0, window), "a late duplicate of a warm-up seq");
    assertTrue(client.receive(5, 1_000_000, window));
    assertTrue(client.receive(6, 2_000_000, window));
    assertFalse(client.receive(6, 0, window));
    assertFalse(client.receive(5, 0, window));
    window.close(7);
    assertTrue(client.receive(7, 3_000_000, window));
    assertTrue(client.receive(8, 0, window), "after the window: a delivery, not counted in it");
    assertFalse(client.receive(8, 0, window));
    assertEquals(2, window.duplicates(), "the window's duplicates: 6 and 5, not 1 nor 8");
    assertEquals(3, client.inWindow(window));
    assertEquals(3, window.expectedPerClient());
    assertEquals(3, window.latencies().total());
    assertEquals(8, client.last());
  }

  @Test
  void eachRoundCountsItsOwnWindow() {
    ClientTally client = new ClientTally();
    MeasuringWindow round1 = new MeasuringWindow(1);
    client.receive(1, 0, round1);
    client.receive(1, 0, round1);
    round1.close(1);
    MeasuringWindow round2 = new MeasuringWindow(10);
    client.receive(1, 0, round2); // round 1's duplicate arriving late: not round 2's
    client.receive(10, 0, round2);
    round2.close(11);
    assertEquals(1, round1.duplicates());
    assertEquals(0, round2.duplicates());
    assertEquals(1, client.inWindow(round2));
    assertEquals(0, client.inWindow(round1), "the client counts in one window at a time: the last");
    assertEquals(1, round2.expectedPerClient() - client.inWindow(round2), "seq 11 is missing");
  }
}
