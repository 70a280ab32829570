package dev.switchboard.market;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Who wants which (channel, symbol). A client (on a node, a bridge socket; at the registry, a node or a Java
 * consumer) either watches a (channel, symbol) or not; the count of a (channel, symbol) is the number of
 * clients watching it. The methods report the transitions that matter upstream: 0 -> 1 and 1 -> 0.
 * Single-threaded: its owner's event loop only. {@code live} mirrors the wanted set for the connection's
 * data filter, which reads it from another thread.
 */
final class Demand {
  private final Map<Watch, Set<String>> holders = new HashMap<>();
  private final Map<String, Set<Watch>> byClient = new HashMap<>();
  private final Set<Watch> live;

  /** The transitions of one change: what nobody watched before, and what nobody watches any more. */
  record Change(List<Watch> becameWanted, List<Watch> becameUnwanted) {
  }

  /**
   * Starts empty: {@code live} is cleared, since what an earlier registry of this listener left in it
   * (a node that owned the listener before) is wanted by nobody here.
   */
  Demand(Set<Watch> live) {
    this.live = live;
    live.clear();
  }

  /** True when {@code watch} became wanted (nobody watched it before). */
  boolean add(String client, Watch watch) {
    if (!byClient.computeIfAbsent(client, c -> new HashSet<>()).add(watch)) {
      return false;
    }
    Set<String> who = holders.computeIfAbsent(watch, w -> new HashSet<>());
    who.add(client);
    if (who.size() == 1) {
      live.add(watch);
      return true;
    }
    return false;
  }

  /** True when {@code watch} became unwanted (this client was the last one). */
  boolean remove(String client, Watch watch) {
    Set<Watch> mine = byClient.get(client);
    if (mine == null || !mine.remove(watch)) {
      return false;
    }
    if (mine.isEmpty()) {
      byClient.remove(client);
    }
    Set<String> who = holders.get(watch);
    who.remove(client);
    if (who.isEmpty()) {
      holders.remove(watch);
      live.remove(watch);
      return true;
    }
    return false;
  }

  /** Forgets everything a client watched; returns what became unwanted. */
  List<Watch> release(String client) {
    List<Watch> unwanted = new ArrayList<>();
    for (Watch watch : List.copyOf(byClient.getOrDefault(client, Set.of()))) {
      if (remove(client, watch)) {
        unwanted.add(watch);
      }
    }
    return unwanted;
  }

  /** Makes what {@code client} watches exactly {@code watches} (none: the client is forgotten). */
  Change replace(String client, Set<Watch> watches) {
    List<Watch> wanted = new ArrayList<>();
    List<Watch> unwanted = new ArrayList<>();
    for (Watch watch : of(client)) {
      if (!watches.contains(watch) && remove(client, watch)) {
        unwanted.add(watch);
      }
    }
    for (Watch watch : watches) {
      if (add(client, watch)) {
        wanted.add(watch);
      }
    }
    return new Change(wanted, unwanted);
  }

  /** Takes a (channel, symbol) away from every client that watched it; returns those clients. */
  Set<String> drop(Watch watch) {
    Set<String> who = Set.copyOf(holders.getOrDefault(watch, Set.of()));
    who.forEach(client -> remove(client, watch));
    return who;
  }

  boolean holds(String client, Watch watch) {
    return byClient.getOrDefault(client, Set.of()).contains(watch);
  }

  Set<Watch> of(String client) {
    return Set.copyOf(byClient.getOrDefault(client, Set.of()));
  }

  int countOf(String client) {
    return byClient.getOrDefault(client, Set.of()).size();
  }

  /** Whether any client watches {@code watch}. */
  boolean isWanted(Watch watch) {
    return holders.containsKey(watch);
  }

  int clients() {
    return byClient.size();
  }

  /** The clients that watch something and whose name passes {@code which}. */
  int clients(Predicate<String> which) {
    return (int) byClient.keySet().stream().filter(which).count();
  }

  WatchSet wanted() {
    return WatchSet.of(holders.keySet());
  }
}
