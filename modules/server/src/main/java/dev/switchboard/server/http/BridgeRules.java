package dev.switchboard.server.http;

import dev.switchboard.core.Addresses;
import dev.switchboard.core.KindAddresses;
import dev.switchboard.core.ListenerKind;
import dev.switchboard.core.ListenerKinds;
import dev.switchboard.status.StatusAddresses;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * What a browser may do on the event-bus bridge, whichever path it came in by (the SockJS bridge or
 * the fan-out endpoint): which addresses it may receive from, which it may ask without the token,
 * and which act and so need the control token in the {@code token} header. Decisions about acting
 * sends are audited here, once, for both paths.
 */
public final class BridgeRules {
  /** The header an acting send carries the control token in. */
  public static final String TOKEN_HEADER = "token";
  /** Headers the server sets on its own messages; a client's are dropped at the bridge. */
  public static final String RESERVED_HEADER_PREFIX = "switchboard-";
  private static final Logger AUDIT = LoggerFactory.getLogger("switchboard.audit");

  /** Switchboard's own addresses a browser may register on (and so receive); each kind adds its own. */
  private static final List<String> OWN_RECEIVE = List.of(
      Pattern.quote(Addresses.STATUS),
      Pattern.quote(Addresses.DEFINITIONS),
      Pattern.quote(Addresses.BRIDGE_DROPPED),
      Pattern.quote(StatusAddresses.ACTIVITY));
  /** Switchboard's own addresses a browser may ask without the token: nothing here changes anything. */
  private static final List<String> OWN_ASK = List.of(
      Pattern.quote(Addresses.STATUS_SNAPSHOT),
      Pattern.quote(StatusAddresses.STATUS_SINCE),
      Pattern.quote(StatusAddresses.ACTIVITY_SNAPSHOT),
      Pattern.quote(StatusAddresses.HISTORY));
  /** Switchboard's own addresses that act, and so need the token. */
  private static final List<String> OWN_ACT = List.of(
      Pattern.quote(Addresses.CONTROL),
      Pattern.quote(StatusAddresses.ACTIVITY_REPORT));

  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_-]{1,40}");
  /**
   * The longest address a browser may register on or send to. Real ones are far shorter; without a
   * bound, 500 registrations of 60 KB each held 35 MB per socket.
   */
  public static final int MAX_ADDRESS_LENGTH = 256;

  private final List<String> receive;
  private final List<String> ask;
  private final List<String> act;
  private final Pattern receivable;
  private final Pattern free;
  private final Pattern acting;

  /** The outcome of a browser's send, with the bridge's error code when it is refused. */
  public enum Verdict {
    ALLOWED(0, null),
    /** Not an address a browser may send to at all: the bridge's {@code access_denied}. */
    NOT_PERMITTED(0, null),
    NO_TOKEN(401, "sending here needs the control token in the '" + TOKEN_HEADER + "' header"),
    WRONG_TOKEN(403, "the control token is wrong");

    public final int failureCode;
    public final String message;

    Verdict(int failureCode, String message) {
      this.failureCode = failureCode;
      this.message = message;
    }
  }

  private final ControlToken token;

  /** The rules of Switchboard's own addresses and of every kind's, as each kind declares them. */
  public BridgeRules(ControlToken token, ListenerKinds kinds) {
    this.token = token;
    this.receive = compose(OWN_RECEIVE, kinds, KindAddresses::receive);
    this.ask = compose(OWN_ASK, kinds, KindAddresses::ask);
    this.act = compose(OWN_ACT, kinds, KindAddresses::act);
    this.receivable = Pattern.compile(String.join("|", receive));
    this.free = Pattern.compile(String.join("|", ask));
    this.acting = Pattern.compile(String.join("|", act));
  }

  private static List<String> compose(List<String> own, ListenerKinds kinds, Function<KindAddresses, List<String>> part) {
    List<String> all = new ArrayList<>(own);
    for (ListenerKind kind : kinds.all()) {
      all.addAll(KindAddresses.patterns(kind.namespace(), part.apply(kind.addresses())));
    }
    return List.copyOf(all);
  }

  /** Regular expressions of what a browser may register on. */
  public List<String> receive() {
    return receive;
  }

  /** Regular expressions of what a browser may ask without the token. */
  public List<String> ask() {
    return ask;
  }

  /** Regular expressions of what acts, and so needs the token. */
  public List<String> act() {
    return act;
  }

  public boolean mayReceive(String address) {
    return address != null && address.length() <= MAX_ADDRESS_LENGTH && receivable.matcher(address).matches();
  }

  /**
   * A verdict, and how long to hold its answer back: a wrong token from an address that keeps sending
   * wrong ones is answered late (see {@link FailedTokenThrottle}).
   */
  public record Decision(Verdict verdict, long delayMs) {
    static final Decision ALLOWED = new Decision(Verdict.ALLOWED, 0);
    static final Decision NOT_PERMITTED = new Decision(Verdict.NOT_PERMITTED, 0);
    static final Decision NO_TOKEN = new Decision(Verdict.NO_TOKEN, 0);
  }

  /**
   * Decides a send to {@code address} from a socket whose remote host is {@code remote}, and audits
   * the decision when the address acts. The token is taken out of {@code headers} whatever the
   * verdict: it travels no further than the bridge.
   */
  public Decision send(String socket, String remote, String address, JsonObject headers, Object body) {
    Object presented = headers == null ? null : headers.remove(TOKEN_HEADER);
    if (headers != null) {
      // Headers ignore case on the event bus: "Token" would reach a consumer as "token" does.
      for (String name : java.util.List.copyOf(headers.fieldNames())) {
        if (name.equalsIgnoreCase(TOKEN_HEADER)) {
          Object value = headers.remove(name);
          presented = presented == null ? value : presented;
        }
      }
      // The server's own headers (a cluster's listener epoch) are never taken from a browser.
      headers.fieldNames().removeIf(name -> name.regionMatches(true, 0, RESERVED_HEADER_PREFIX, 0, RESERVED_HEADER_PREFIX.length()));
    }
    if (address == null || address.length() > MAX_ADDRESS_LENGTH) {
      return Decision.NOT_PERMITTED;
    }
    // What acts needs the token even where a free pattern (another kind's, a broad one) matches it too.
    if (!acting.matcher(address).matches()) {
      if (!free.matcher(address).matches()) {
        return Decision.NOT_PERMITTED;
      }
      // The history hands out what an address carried: only of an address the browser may receive.
      boolean unreceivable = address.equals(StatusAddresses.HISTORY) && body instanceof JsonObject ask
          && ask.getValue("address") instanceof String asked && !mayReceive(asked);
      return unreceivable ? Decision.NOT_PERMITTED : Decision.ALLOWED;
    }
    if (presented == null) {
      token.refusals().refused(remote, refusal(socket, remote, "send", address, "no token"));
      return Decision.NO_TOKEN;
    }
    if (!(presented instanceof String candidate) || !token.matches(candidate)) {
      return new Decision(Verdict.WRONG_TOKEN, token.wrongToken(remote, refusal(socket, remote, "send", address, "wrong token")));
    }
    AUDIT.info("bridge socket {}: send to {}{}", socket, address, describe(address, body));
    return Decision.ALLOWED;
  }

  /** Audits a refused publish: nothing a browser may reach is a publish address. */
  public void publishRefused(String socket, String remote, String address) {
    token.refusals().refused(remote, refusal(socket, remote, "publish", address, "publish is not allowed from a browser; use send"));
  }

  private static String refusal(String socket, String remote, String what, String address, String reason) {
    return "bridge socket " + socket + " from " + remote + ": refused " + what + " to " + loggable(address) + ": " + reason;
  }

  /** A browser's address in a log line, unless it could forge lines or flood one. */
  private static String loggable(String address) {
    return address != null && address.length() <= 200 && address.chars().noneMatch(Character::isISOControl) ? address : "?";
  }

  /** The part of a control request worth an audit line; never the content of a message to an upstream. */
  private static String describe(String address, Object body) {
    if (Addresses.CONTROL.equals(address) && body instanceof JsonObject control) {
      return " (" + plain(control.getValue("action")) + " " + plain(control.getValue("name")) + ")";
    }
    return "";
  }

  /** A browser's word in a log line: only if it is a plain name, so that it cannot forge lines. */
  private static String plain(Object value) {
    return value instanceof String s && PLAIN.matcher(s).matches() ? s : "?";
  }
}
