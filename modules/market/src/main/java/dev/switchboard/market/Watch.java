package dev.switchboard.market;

/** One (channel, symbol) a client can watch; the symbol is canonical (validated, upper-case). */
public record Watch(Channel channel, String symbol) implements Comparable<Watch> {

  @Override
  public int compareTo(Watch other) {
    int c = channel.compareTo(other.channel);
    return c != 0 ? c : symbol.compareTo(other.symbol);
  }

  @Override
  public String toString() {
    return channel.wire() + ":" + symbol;
  }
}
