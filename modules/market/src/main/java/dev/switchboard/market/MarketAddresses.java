package dev.switchboard.market;

import java.util.Optional;

/**
 * The event-bus addresses of one market listener. Public: {@code market.<name>.trades.<SYMBOL>} (and
 * quotes, bars), {@code .watch}, {@code .unwatch}, {@code .health}. Internal ({@code .internal.*}, never
 * open to browsers): how the long-lived subscription registry and the current connection instance talk
 * (local), and how every node's watchers and the registry talk (across the cluster).
 */
public record MarketAddresses(String listener) {

  public String prefix() {
    return "market." + listener + ".";
  }

  public String data(Channel channel, String symbol) {
    return prefix() + channel.wire() + "." + symbol;
  }

  public String data(Watch watch) {
    return data(watch.channel(), watch.symbol());
  }

  /** Publish: a new connection after an earlier one, with the window that may be missing ({@code type} gap). */
  public String gap() {
    return prefix() + "gap";
  }

  /** Request/reply: {@code {client, channel, symbols}} -> start watching. */
  public String watch() {
    return prefix() + "watch";
  }

  /** Request/reply: {@code {client, channel?, symbols?}} -> stop watching (all of the client's when symbols is absent). */
  public String unwatch() {
    return prefix() + "unwatch";
  }

  /** Request/reply: {@code {connected, active_symbols, total_clients, wanted_symbols}}. */
  public String health() {
    return prefix() + "health";
  }

  /**
   * Request/reply, served where the listener runs: a node's whole wanted set, as a {@link NodeReport}
   * from its {@link NodeWatchers}. The registry counts each node as one client.
   */
  String nodeReports() {
    return prefix() + "internal.demand";
  }

  /**
   * Local request/reply: this node's {@link NodeWatchers} answers with its {@link NodeReport} now. The
   * registry asks before it answers {@link #health()}: what this node's clients did before shows in it.
   */
  String reportNow() {
    return prefix() + "internal.report";
  }

  /** Publish, from a registry that has just started: every node sends its {@link NodeReport} now. */
  String resend() {
    return prefix() + "internal.resend";
  }

  /**
   * Publish, from the registry: {@code {set, registry, refusal}}, what the upstream refused (the refusal's number,
   * per registry); every node's watchers forget it, and say in their next report that they did.
   */
  String forget() {
    return prefix() + "internal.forget";
  }

  /**
   * The map of Java clients' watches (client -> set), so that a new registry (a new owner's, or this listener's
   * after its definition changed) restores them: cluster-wide in a cluster, the process's otherwise.
   */
  String javaWatchesMap() {
    return "switchboard.market." + listener + ".java-watches";
  }

  /** Local: a connection instance tells the registry it is ready, ended, or what the upstream answered unasked. */
  String sessions() {
    return prefix() + "internal.session";
  }

  /** Local, request/reply: the registry asks the connection of one generation to make one subscription change. */
  String connection(long generation) {
    return prefix() + "internal.connection." + generation;
  }

  /**
   * The channel and the symbol part of an address under {@code market.<name>.<channel>.}, if it is one.
   * The symbol part is returned as it is, unchecked.
   */
  public Optional<RawWatch> parseData(String address) {
    if (address == null || !address.startsWith(prefix())) {
      return Optional.empty();
    }
    String rest = address.substring(prefix().length());
    int dot = rest.indexOf('.');
    if (dot <= 0) {
      return Optional.empty();
    }
    return Channel.of(rest.substring(0, dot)).map(c -> new RawWatch(c, rest.substring(dot + 1)));
  }

  /** A data address split up, its symbol not yet validated. */
  public record RawWatch(Channel channel, String symbol) {
  }
}
