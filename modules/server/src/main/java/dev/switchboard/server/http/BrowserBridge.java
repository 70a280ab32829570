package dev.switchboard.server.http;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.BridgeActivity;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The SockJS event-bus bridge at {@code /eventbus}. Browsers may listen to the status and data
 * addresses. What happens on the bridge is republished on {@code switchboard.bridge.events}, so
 * that listener modules can follow their clients without knowing about HTTP.
 */
final class BrowserBridge {
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  private final Vertx vertx;
  // Per bridge instance, hence per event loop: plain maps.
  private final Map<SockJSSocket, String> ids = new HashMap<>();
  private final Map<String, Set<String>> held = new HashMap<>();

  BrowserBridge(Vertx vertx) {
    this.vertx = vertx;
  }

  Router router() {
    SockJSBridgeOptions options = new SockJSBridgeOptions()
        .addOutboundPermitted(new PermittedOptions().setAddress(Addresses.STATUS))
        .addOutboundPermitted(new PermittedOptions().setAddressRegex("upstream\\.[A-Za-z0-9_-]+\\.message"))
        .addOutboundPermitted(new PermittedOptions().setAddressRegex("homeassistant\\.[A-Za-z0-9_-]+\\.(event|state)\\..+"))
        .addOutboundPermitted(new PermittedOptions().setAddressRegex("market\\.[A-Za-z0-9_-]+\\.(trades|quotes|bars)\\..+"));
    return SockJSHandler.create(vertx).bridge(options, this::onEvent);
  }

  private void onEvent(BridgeEvent event) {
    SockJSSocket socket = event.socket();
    switch (event.type()) {
      case SOCKET_CREATED -> {
        String id = UUID.randomUUID().toString();
        ids.put(socket, id);
        held.put(id, new HashSet<>());
        publish(BridgeActivity.Kind.SOCKET_CREATED, id, null);
      }
      case REGISTERED -> {
        String id = ids.get(socket);
        String address = event.getRawMessage().getString("address");
        if (id != null && held.get(id).add(address)) {
          publish(BridgeActivity.Kind.REGISTER, id, address);
        }
      }
      case UNREGISTER -> {
        // Vert.x raises this before checking that the socket held the address: only real ones count.
        String id = ids.get(socket);
        String address = event.getRawMessage() == null ? null : event.getRawMessage().getString("address");
        if (id != null && held.get(id).remove(address)) {
          publish(BridgeActivity.Kind.UNREGISTER, id, address);
        }
      }
      case SOCKET_CLOSED -> {
        String id = ids.remove(socket);
        if (id != null) {
          held.remove(id).forEach(address -> publish(BridgeActivity.Kind.UNREGISTER, id, address));
          publish(BridgeActivity.Kind.SOCKET_CLOSED, id, null);
        }
      }
      default -> {
      }
    }
    event.complete(true);
  }

  private void publish(BridgeActivity.Kind kind, String socket, String address) {
    vertx.eventBus().publish(Addresses.BRIDGE_EVENTS, new BridgeActivity(kind, socket, address).toJson(), LOCAL);
  }
}
