package dev.switchboard.server.http;

import dev.switchboard.core.Addresses;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
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
  private static final Logger AUDIT = LoggerFactory.getLogger("switchboard.audit");
  private static final String NAME = "[A-Za-z0-9_-]+";

  /** What a browser may register on (and so receive). */
  static final List<String> OUTBOUND = List.of(
      Pattern.quote(Addresses.STATUS),
      Pattern.quote("switchboard.activity"),
      "upstream\\." + NAME + "\\.message",
      "homeassistant\\." + NAME + "\\.(event|state)\\..+",
      "homeassistant\\." + NAME + "\\.(gap|snapshot)",
      "market\\." + NAME + "\\.(trades|quotes|bars)\\..+");
  /** What a browser may ask without the token: nothing here changes anything. */
  static final List<String> READ_ONLY = List.of(
      Pattern.quote(Addresses.STATUS_SNAPSHOT),
      Pattern.quote("switchboard.status.since"),
      Pattern.quote("switchboard.activity.snapshot"),
      Pattern.quote("switchboard.history"),
      "homeassistant\\." + NAME + "\\.states",
      "market\\." + NAME + "\\.health");
  /** What acts, and so needs the token. */
  static final List<String> ACTING = List.of(
      Pattern.quote(Addresses.CONTROL),
      Pattern.quote("switchboard.activity.report"),
      "upstream\\." + NAME + "\\.send",
      "homeassistant\\." + NAME + "\\.call");

  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_-]{1,40}");
  private static final Pattern RECEIVABLE = Pattern.compile(String.join("|", OUTBOUND));
  private static final Pattern FREE = Pattern.compile(String.join("|", READ_ONLY));
  private static final Pattern ACTING_ADDRESS = Pattern.compile(String.join("|", ACTING));

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

  public BridgeRules(ControlToken token) {
    this.token = token;
  }

  public boolean mayReceive(String address) {
    return address != null && RECEIVABLE.matcher(address).matches();
  }

  /**
   * Decides a send to {@code address}, and audits the decision when the address acts. The token is
   * taken out of {@code headers} whatever the verdict: it travels no further than the bridge.
   */
  public Verdict send(String socket, String address, JsonObject headers, Object body) {
    Object presented = headers == null ? null : headers.remove(TOKEN_HEADER);
    if (address == null) {
      return Verdict.NOT_PERMITTED;
    }
    if (FREE.matcher(address).matches()) {
      return Verdict.ALLOWED;
    }
    if (!ACTING_ADDRESS.matcher(address).matches()) {
      return Verdict.NOT_PERMITTED;
    }
    if (presented == null) {
      refused(socket, "send", address, "no token");
      return Verdict.NO_TOKEN;
    }
    if (!(presented instanceof String candidate) || !token.matches(candidate)) {
      refused(socket, "send", address, "wrong token");
      return Verdict.WRONG_TOKEN;
    }
    AUDIT.info("bridge socket {}: send to {}{}", socket, address, describe(address, body));
    return Verdict.ALLOWED;
  }

  /** Audits a refused publish: nothing a browser may reach is a publish address. */
  public void publishRefused(String socket, String address) {
    refused(socket, "publish", address, "publish is not allowed from a browser; use send");
  }

  private static void refused(String socket, String what, String address, String reason) {
    AUDIT.warn("bridge socket {}: refused {} to {}: {}", socket, what, address, reason);
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
