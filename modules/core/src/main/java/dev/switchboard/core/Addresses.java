package dev.switchboard.core;

/**
 * The addresses of Switchboard itself. Each listener kind's own addresses belong to its module
 * ({@link KindAddresses}); none are here.
 */
public final class Addresses {
  /** Request/reply: {@code {action: start|stop|restart|status|define|remove|config, name}}. */
  public static final String CONTROL = "switchboard.control";
  /** Publish: {@code {seq, status}} whenever a listener's status changes; {@code status.removed} when it is gone. */
  public static final String STATUS = "switchboard.status";
  /** Request/reply: every status with the current {@code seq}. */
  public static final String STATUS_SNAPSHOT = "switchboard.status.snapshot";
  /** Publish: {@code {seq, name, action: defined|removed, version}} whenever a definition changes. */
  public static final String DEFINITIONS = "switchboard.definitions";
  /** Publish (local): bridge sockets created/closed, registers/unregisters, as {@link BridgeActivity}. */
  public static final String BRIDGE_EVENTS = "switchboard.bridge.events";
  /**
   * A bridge client registers here to be told what the server dropped for it ({@code slowClients: conflate}):
   * {@code {dropped: {<address>: <count>, ...}}}, sent to that client alone, after the newer messages that took
   * their place. Not an event-bus address: nothing is published here.
   */
  public static final String BRIDGE_DROPPED = "switchboard.bridge.dropped";
  /**
   * Request (local): a listener's name; the answer, the bridge registrations on this node of that listener's
   * addresses, {@code [{socket, address}]}: what a part that starts after the clients registered (a
   * definition changed) needs to know.
   */
  public static final String BRIDGE_REGISTRATIONS = "switchboard.bridge.registrations";
  /**
   * In a cluster, publish: {@code {node, epoch, status}} from the node that owns the listener; every node's
   * view turns them into its own {@link #STATUS} stream.
   */
  public static final String CLUSTER_STATUS = "switchboard.cluster.status";
  /**
   * In a cluster, publish: {@code {node, name}} once that node has removed the listener (its connection
   * closed, if it ran there): what a removal's answer waits for from the owner.
   */
  public static final String CLUSTER_REMOVED = "switchboard.cluster.removed";
  /**
   * In a cluster, publish (local): {@code {nodes: [names]}}, the Switchboard nodes that are members now,
   * whenever that changes: what a kind's owner-side part reads to forget what a node that left asked for.
   */
  public static final String CLUSTER_NODES = "switchboard.cluster.nodes";
  /**
   * In a cluster, request (local): {@code {}} -> {@code {nodes: [names]}}, the members now, for a part that
   * starts after the last change was published. No handler in a single process.
   */
  public static final String CLUSTER_NODES_NOW = "switchboard.cluster.nodes.now";
  /** Local: listener instances report to the supervisor here, as {@link ListenerReport}. */
  public static final String LISTENER_REPORTS = "switchboard.internal.listener";

  private Addresses() {
  }
}
