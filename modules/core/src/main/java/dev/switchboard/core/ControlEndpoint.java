package dev.switchboard.core;

import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.function.Function;

/**
 * {@code switchboard.control} on the event bus: a JSON request {@code {action, name, definition?}}
 * translated to the {@link ControlPlane}, and its answer back to JSON. Failures carry the control
 * plane's code (400, 404, 409, 500) and its message; never an internal address.
 */
public final class ControlEndpoint {
  private static final String SHAPE = "a control request is a JSON object {action, name}; action is start, stop, restart, status, define (with definition), remove or config";

  private final ControlPlane control;

  public ControlEndpoint(ControlPlane control) {
    this.control = control;
  }

  /** {@code {definition, version?}}: with {@code version} (config's; 0: not defined yet), only over that version. */
  private Future<JsonObject> define(String name, JsonObject body) {
    if (!(body.getValue("definition") instanceof JsonObject definition)) {
      return Future.failedFuture(new ControlException(400, "define needs \"definition\": the listener's JSON, as in the config file"));
    }
    Object version = body.getValue("version");
    if (version == null) {
      return result(control.define(name, definition));
    }
    if (version instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.doubleValue() >= 0 && n.doubleValue() < 1e18) {
      return result(control.define(name, definition, n.longValue()));
    }
    return Future.failedFuture(new ControlException(400, "define's \"version\" is the version the change is made over, a whole "
        + "number: config's version, or 0 for a listener not defined yet"));
  }

  public void handle(Message<Object> msg) {
    if (!(msg.body() instanceof JsonObject body)
        || !(body.getValue("action") instanceof String action)
        || !(body.getValue("name") instanceof String name)) {
      msg.fail(400, SHAPE);
      return;
    }
    Future<JsonObject> answer = switch (action) {
      case "start" -> result(control.start(name));
      case "stop" -> result(control.stop(name));
      case "restart" -> result(control.restart(name));
      case "status" -> result(control.status(name));
      case "remove" -> result(control.remove(name));
      case "config" -> control.definition(name).map(ControlPlane.Definition::toJson);
      case "define" -> define(name, body);
      default -> Future.failedFuture(new ControlException(400, "unknown action '" + plain(action) + "'; " + SHAPE));
    };
    answer.onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
      } else if (ar.cause() instanceof ControlException e) {
        msg.fail(e.code(), e.getMessage());
      } else {
        msg.fail(500, action + " of '" + plain(name) + "' failed: " + Secrets.global().redact(String.valueOf(ar.cause().getMessage())));
      }
    });
  }

  private static Future<JsonObject> result(Future<ControlPlane.Result> result) {
    return result.map((Function<ControlPlane.Result, JsonObject>) ControlPlane.Result::toJson);
  }

  private static String plain(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }
}
