package dev.switchboard.core;

/**
 * What happened on the browser bridge, as the server republishes it on
 * {@link Addresses#BRIDGE_EVENTS} (local, as it is, through {@link LocalCodec}), so that a listener
 * module can follow its clients without depending on the server. When a socket closes (cleanly or
 * not) an {@code UNREGISTER} comes for each address it still held, then one {@code SOCKET_CLOSED}.
 *
 * @param socket  an id unique to one bridge socket for the life of the process
 * @param address the address registered or unregistered; null for socket events
 */
public record BridgeActivity(Kind kind, String socket, String address) {

  public enum Kind { SOCKET_CREATED, SOCKET_CLOSED, REGISTER, UNREGISTER }
}
