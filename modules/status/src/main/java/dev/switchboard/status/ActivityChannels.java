package dev.switchboard.status;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The flags of activity channels (is this job thinking, extracting, summarising?), set and cleared by
 * publishers' reports, pushed on every change, and cleared by themselves when a publisher never says
 * it is done. Memory stays bounded: idle channels are forgotten, and there are never more than
 * {@code maxChannels}.
 */
public final class ActivityChannels extends VerticleBase {
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  static final Pattern CHANNEL = Pattern.compile("[A-Za-z0-9._:-]{1,100}");
  private static final String SHAPE = "{channel, type}";

  /** What a report type does: set or clear the flag of one phase. */
  private record Action(int phase, boolean set) {
  }

  /** One channel's flags. A flag that is set has its stale timer; a channel with none set is idle. */
  private static final class Channel {
    final String name;
    final boolean[] flags;
    final long[] staleTimers;
    Instant updatedAt = Instant.now();
    long idleSince;

    Channel(String name, int phases) {
      this.name = name;
      this.flags = new boolean[phases];
      this.staleTimers = new long[phases];
      Arrays.fill(staleTimers, -1);
    }

    boolean idle() {
      for (boolean f : flags) {
        if (f) {
          return false;
        }
      }
      return true;
    }
  }

  private final ActivityOptions options;
  private final List<ActivityPhase> phases;
  private final Map<String, Action> actions = new HashMap<>();
  private final Map<String, Channel> channels = new LinkedHashMap<>();
  /** Channels with no flag set, the one idle the longest first. */
  private final LinkedHashMap<String, Channel> idle = new LinkedHashMap<>();
  private long seq;
  private long forgetTimer = -1;

  public ActivityChannels(ActivityOptions options) {
    this.options = options;
    this.phases = options.phases();
    for (int i = 0; i < phases.size(); i++) {
      actions.put(phases.get(i).startType(), new Action(i, true));
      actions.put(phases.get(i).endType(), new Action(i, false));
    }
  }

  @Override
  public Future<?> start() {
    // Kept per node, also in a cluster: a report reaches this node's channels, and this node's clients
    // hear of them (cluster-wide consumers would take every other report on another node).
    return Future.all(
        vertx.eventBus().localConsumer(StatusAddresses.ACTIVITY_REPORT, this::onReport).completion(),
        vertx.eventBus().localConsumer(StatusAddresses.ACTIVITY_SNAPSHOT, msg -> msg.reply(snapshot())).completion());
  }

  private void onReport(Message<Object> msg) {
    JsonObject body = Requests.object(msg, SHAPE);
    if (body == null) {
      return;
    }
    Object name = body.getValue("channel");
    if (!(name instanceof String channelName) || !CHANNEL.matcher(channelName).matches()) {
      msg.fail(Requests.BAD_REQUEST, (name == null ? "\"channel\" is missing" : "channel " + Requests.shown(name) + " is not valid")
          + ": a channel name is 1-100 letters, digits, '.', '_', ':' or '-'");
      return;
    }
    Object type = body.getValue("type");
    Action action = type instanceof String t ? actions.get(t) : null;
    if (action == null) {
      msg.fail(Requests.BAD_REQUEST, (type == null ? "\"type\" is missing" : "unknown type " + Requests.shown(type))
          + "; known types: " + String.join(", ", actions.keySet().stream().sorted().toList()));
      return;
    }
    Channel channel = channels.get(channelName);
    boolean changed;
    if (action.set) {
      if (channel == null) {
        if (!makeRoom()) {
          msg.fail(Requests.UNAVAILABLE, "too many activity channels: all " + options.maxChannels()
              + " have a flag set; a new channel fits once one of them is cleared (or goes stale)");
          return;
        }
        channel = new Channel(channelName, phases.size());
        channels.put(channelName, channel);
      }
      changed = set(channel, action.phase);
    } else {
      changed = channel != null && channel.flags[action.phase];
      if (changed) {
        clear(channel, action.phase, "cleared");
      }
    }
    // A report about a channel nobody knows that clears a flag changes nothing and is not remembered.
    msg.reply(new JsonObject().put("ok", true).put("changed", changed)
        .put("flags", channel == null ? flagsOf(new boolean[phases.size()]) : flagsOf(channel.flags)));
  }

  /** Sets a flag, or, when it is set already, restarts its stale timeout. True if the flag changed. */
  private boolean set(Channel channel, int phase) {
    boolean wasSet = channel.flags[phase];
    if (wasSet) {
      vertx.cancelTimer(channel.staleTimers[phase]);
    } else {
      channel.flags[phase] = true;
      idle.remove(channel.name);
    }
    long[] timer = new long[1];
    timer[0] = vertx.setTimer(phases.get(phase).staleAfter().toMillis(), id -> {
      if (channel.staleTimers[phase] == timer[0] && channels.get(channel.name) == channel) {
        clear(channel, phase, "stale");
      }
    });
    channel.staleTimers[phase] = timer[0];
    if (!wasSet) {
      publish(channel, phase, "set");
    }
    return !wasSet;
  }

  private void clear(Channel channel, int phase, String reason) {
    channel.flags[phase] = false;
    vertx.cancelTimer(channel.staleTimers[phase]);
    channel.staleTimers[phase] = -1;
    publish(channel, phase, reason);
    if (channel.idle()) {
      channel.idleSince = System.nanoTime();
      idle.put(channel.name, channel);
      armForgetTimer();
    }
  }

  private void publish(Channel channel, int phase, String reason) {
    channel.updatedAt = Instant.now();
    vertx.eventBus().publish(StatusAddresses.ACTIVITY, new JsonObject()
        .put("seq", ++seq)
        .put("channel", channel.name)
        .put("flag", phases.get(phase).name())
        .put("value", channel.flags[phase])
        .put("reason", reason)
        .put("flags", flagsOf(channel.flags))
        .put("at", channel.updatedAt.toString()), LOCAL); // this node's seqs, for this node's clients
  }

  /** Makes room for one more channel by dropping the one idle the longest; false if every channel is busy. */
  private boolean makeRoom() {
    if (channels.size() < options.maxChannels()) {
      return true;
    }
    Iterator<Channel> oldest = idle.values().iterator();
    if (!oldest.hasNext()) {
      return false;
    }
    channels.remove(oldest.next().name);
    oldest.remove();
    return true;
  }

  /** One timer for the channel idle the longest; when it fires it forgets every expired one and re-arms. */
  private void armForgetTimer() {
    if (forgetTimer >= 0 || idle.isEmpty()) {
      return;
    }
    long forgetNanos = options.forgetAfter().toNanos();
    long dueInMs = (idle.values().iterator().next().idleSince + forgetNanos - System.nanoTime()) / 1_000_000;
    forgetTimer = vertx.setTimer(Math.max(1, dueInMs + 1), id -> {
      forgetTimer = -1;
      long now = System.nanoTime();
      Iterator<Channel> it = idle.values().iterator();
      while (it.hasNext()) {
        Channel c = it.next();
        if (now - c.idleSince < forgetNanos) {
          break;
        }
        it.remove();
        channels.remove(c.name);
      }
      armForgetTimer();
    });
  }

  private JsonObject flagsOf(boolean[] flags) {
    JsonObject json = new JsonObject();
    for (int i = 0; i < flags.length; i++) {
      json.put(phases.get(i).name(), flags[i]);
    }
    return json;
  }

  private JsonObject snapshot() {
    JsonArray list = new JsonArray();
    channels.values().forEach(c -> list.add(new JsonObject()
        .put("channel", c.name).put("flags", flagsOf(c.flags)).put("updated_at", c.updatedAt.toString())));
    return new JsonObject().put("seq", seq).put("channels", list);
  }
}
