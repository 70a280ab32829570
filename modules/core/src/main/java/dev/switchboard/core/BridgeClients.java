package dev.switchboard.core;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which bridge sockets listen to which listener, from the bridge activity the server republishes.
 * A listener's addresses all have its name as their second segment ({@code upstream.feed.message},
 * {@code market.market.trades.AAPL}), which is how an address is tied to a listener here.
 */
final class BridgeClients {
  private final Map<String, Map<String, Integer>> socketsByListener = new HashMap<>();
  /** In the order the sockets, and their addresses, registered: a part that takes them over keeps that order. */
  private final Map<String, Set<String>> addressesBySocket = new LinkedHashMap<>();

  /** Applies one event; returns the listener whose client count may have changed, or null. */
  String apply(BridgeActivity activity) {
    return switch (activity.kind()) {
      case REGISTER -> addressesBySocket.computeIfAbsent(activity.socket(), s -> new LinkedHashSet<>()).add(activity.address())
          ? change(activity.socket(), activity.address(), +1) : null;
      case UNREGISTER -> {
        Set<String> held = addressesBySocket.get(activity.socket());
        yield held != null && held.remove(activity.address()) ? change(activity.socket(), activity.address(), -1) : null;
      }
      case SOCKET_CLOSED -> {
        Set<String> held = addressesBySocket.remove(activity.socket());
        if (held != null) {
          held.forEach(address -> change(activity.socket(), address, -1));
        }
        yield null;
      }
      case SOCKET_CREATED -> null;
    };
  }

  /** The registrations of {@code listener}'s addresses, {@code [{socket, address}]}, whether it is defined here or not. */
  JsonArray registrations(String listener) {
    JsonArray out = new JsonArray();
    addressesBySocket.forEach((socket, addresses) -> addresses.stream()
        .filter(address -> listener.equals(segment(address)))
        .forEach(address -> out.add(new JsonObject().put("socket", socket).put("address", address))));
    return out;
  }

  int count(String listener) {
    Map<String, Integer> sockets = socketsByListener.get(listener);
    return sockets == null ? 0 : sockets.size();
  }

  private String change(String socket, String address, int delta) {
    String listener = segment(address);
    if (listener == null) {
      return null;
    }
    Map<String, Integer> sockets = socketsByListener.computeIfAbsent(listener, l -> new HashMap<>());
    int held = sockets.getOrDefault(socket, 0) + delta;
    if (held > 0) {
      sockets.put(socket, held);
    } else {
      sockets.remove(socket);
      if (sockets.isEmpty()) {
        socketsByListener.remove(listener); // kept for names not defined (yet) too, so none may stay empty
      }
    }
    return listener;
  }

  /** The second segment of an address of three or more: the listener's name, if it is one of a listener's. */
  private static String segment(String address) {
    String[] parts = address.split("\\.", 3);
    return parts.length >= 3 ? parts[1] : null;
  }
}
