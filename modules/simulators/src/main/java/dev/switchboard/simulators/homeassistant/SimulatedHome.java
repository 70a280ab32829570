package dev.switchboard.simulators.homeassistant;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The home behind the simulated server: lights, sensors and switches whose states change, the
 * services that change them, and the event bus that tells subscribers. Driven from the simulator's
 * event loop only; the state map is concurrent so that tests may read it from their own thread.
 */
final class SimulatedHome {
  /** The simulated admin user that service calls run as. */
  static final String USER_ID = "4b1c3f5e9a2d4e6f8a0b1c2d3e4f5a6b";

  private static final String[] ROOMS = {"kitchen", "living_room", "bedroom", "office", "hallway", "garage",
      "bathroom", "porch", "attic", "basement", "dining_room", "garden"};
  private static final Set<String> EXCLUDED_FROM_MATCH_ALL = Set.of("homeassistant_close", "state_reported");

  private final Map<String, EntityState> states = new ConcurrentHashMap<>();
  private final List<String> ids = new ArrayList<>();
  private final Random random;
  private final List<Consumer<FiredEvent>> subscribers = new ArrayList<>();

  SimulatedHome(HomeAssistantSimulatorOptions options, Random random) {
    this.random = random;
    Instant now = Instant.now();
    for (int i = 0; i < options.lights(); i++) {
      add(new EntityState("light." + place(i), "off", lightAttributes(name(i, "light"), null), now, now, now, context(null)));
    }
    for (int i = 0; i < options.sensors(); i++) {
      boolean temperature = i % 2 == 0;
      String id = "sensor." + place(i / 2) + (temperature ? "_temperature" : "_humidity");
      String value = temperature ? String.format(Locale.ROOT, "%.1f", 19 + random.nextInt(40) / 10.0) : Integer.toString(40 + random.nextInt(20));
      add(new EntityState(id, value, sensorAttributes(name(i / 2, temperature ? "temperature" : "humidity"), temperature), now, now, now, context(null)));
    }
    for (int i = 0; i < options.switches(); i++) {
      add(new EntityState("switch." + place(i) + "_plug", random.nextBoolean() ? "on" : "off",
          new JsonObject().put("friendly_name", name(i, "plug")), now, now, now, context(null)));
    }
  }

  /** Every event fired goes to {@code subscriber}, in order. */
  void onEvent(Consumer<FiredEvent> subscriber) {
    subscribers.add(subscriber);
  }

  static boolean matches(String subscribedType, String eventType) {
    return subscribedType.equals(eventType) || subscribedType.equals("*") && !EXCLUDED_FROM_MATCH_ALL.contains(eventType);
  }

  // ---- states ---------------------------------------------------------------------------------

  Collection<EntityState> all() {
    return states.values();
  }

  EntityState get(String entityId) {
    return states.get(entityId);
  }

  int size() {
    return states.size();
  }

  /** Sets a state; fires {@code state_changed} when the state or the attributes changed (or the entity is new). */
  EntityState set(String entityId, String state, JsonObject attributes, JsonObject context) {
    Instant now = Instant.now();
    EntityState old = states.get(entityId);
    EntityState next = old == null
        ? new EntityState(entityId, state, attributes, now, now, now, context)
        : old.next(state, attributes, now, context);
    if (old != null && next.sameAs(old)) {
      // A re-write: only last_reported moves, the state keeps its context. HA fires state_reported, which no
      // websocket subscriber receives.
      EntityState reported = old.next(state, attributes, now, old.context);
      states.put(entityId, reported);
      return reported;
    }
    if (old == null) {
      ids.add(entityId);
    }
    states.put(entityId, next);
    fireStateChanged(entityId, old, next, context, now);
    return next;
  }

  /** Removes an entity, firing {@code state_changed} with a null {@code new_state}. */
  boolean remove(String entityId) {
    EntityState old = states.remove(entityId);
    if (old == null) {
      return false;
    }
    ids.remove(entityId);
    fireStateChanged(entityId, old, null, context(null), Instant.now());
    return true;
  }

  /** One random change: a sensor reading moves, a light toggles or dims, a plug toggles. */
  void randomChange() {
    if (ids.isEmpty()) {
      return;
    }
    EntityState s = states.get(ids.get(random.nextInt(ids.size())));
    switch (s.domain()) {
      case "sensor" -> {
        boolean temperature = s.entityId.endsWith("_temperature");
        String next;
        try {
          double value = Double.parseDouble(s.state);
          double step = (random.nextBoolean() ? 1 : -1) * (temperature ? 0.1 : 1);
          next = temperature ? String.format(Locale.ROOT, "%.1f", value + step) : Long.toString(Math.round(value + step));
        } catch (NumberFormatException e) {
          next = temperature ? "20.0" : "50";
        }
        set(s.entityId, next, s.attributes, context(null));
      }
      case "light" -> {
        if (s.state.equals("on") && random.nextInt(3) == 0) {
          set(s.entityId, "on", lightAttributes(s.attributes.getString("friendly_name"), 1 + random.nextInt(255)), context(null));
        } else {
          turn(s, !s.state.equals("on"), null, context(null));
        }
      }
      default -> turn(s, !s.state.equals("on"), null, context(null));
    }
  }

  /** Fires any event (for {@code fire_event} and fault injection). */
  FiredEvent fire(String eventType, JsonObject data, JsonObject context) {
    return fire(eventType, data, context, Instant.now(), null, null, null);
  }

  private void fireStateChanged(String entityId, EntityState old, EntityState now, JsonObject context, Instant at) {
    JsonObject data = new JsonObject()
        .put("entity_id", entityId)
        .put("old_state", old == null ? null : old.json())
        .put("new_state", now == null ? null : now.json());
    fire("state_changed", data, context, at, entityId, old, now);
  }

  private FiredEvent fire(String type, JsonObject data, JsonObject context, Instant at, String entityId, EntityState old, EntityState now) {
    String json = new JsonObject()
        .put("event_type", type)
        .put("data", data)
        .put("origin", "LOCAL")
        .put("time_fired", HaTime.iso(at))
        .put("context", context)
        .encode();
    FiredEvent event = new FiredEvent(type, json, entityId, old, now);
    subscribers.forEach(s -> s.accept(event));
    return event;
  }

  /** A fresh context: a ULID, no parent, the user when a person (a service call) caused it. */
  JsonObject context(String userId) {
    return new JsonObject().put("id", Ulid.next(System.currentTimeMillis(), random)).put("parent_id", null).put("user_id", userId);
  }

  // ---- services -------------------------------------------------------------------------------

  /** Why a service call failed, with Home Assistant's error code. */
  static final class ServiceError extends Exception {
    final String code;
    final JsonObject translation;

    ServiceError(String code, String message, JsonObject translation) {
      super(message, null, false, false);
      this.code = code;
      this.translation = translation;
    }
  }

  /**
   * Runs a service: fires {@code call_service}, then changes the targeted entities (each change fires
   * {@code state_changed} with the call's context). Returns the context, as the result carries it.
   */
  JsonObject call(String domain, String service, JsonObject serviceData, JsonObject target) throws ServiceError {
    JsonObject definitions = services().getJsonObject(domain);
    if (definitions == null || !definitions.containsKey(service)) {
      throw new ServiceError("not_found", "Service " + domain + "." + service + " not found.",
          new JsonObject().put("translation_key", "service_not_found").put("translation_domain", "homeassistant")
              .put("translation_placeholders", new JsonObject().put("domain", domain).put("service", service)));
    }
    JsonObject context = context(USER_ID);
    JsonObject data = serviceData == null ? new JsonObject() : serviceData.copy();
    fire("call_service", new JsonObject().put("domain", domain).put("service", service).put("service_data", data.copy()), context);
    Integer brightness = data.getValue("brightness") instanceof Number n ? Math.max(0, Math.min(255, n.intValue())) : null;
    for (String entityId : targets(domain, data, target)) {
      EntityState s = states.get(entityId);
      if (s == null || s.domain().equals("sensor")) {
        continue; // HA logs "Referenced entities ... are missing or not currently available" and goes on
      }
      boolean on = switch (service) {
        case "turn_on" -> true;
        case "turn_off" -> false;
        case "toggle" -> !s.state.equals("on");
        default -> s.state.equals("on");
      };
      turn(s, on, brightness, context);
    }
    return context;
  }

  private Set<String> targets(String domain, JsonObject data, JsonObject target) {
    Set<String> out = new LinkedHashSet<>();
    for (Object ref : List.of(data.getValue("entity_id", ""), target == null ? "" : target.getValue("entity_id", ""))) {
      if (ref instanceof String s && s.equals("all")) {
        states.keySet().stream().filter(id -> domain.equals("homeassistant") || id.startsWith(domain + ".")).forEach(out::add);
      } else if (ref instanceof String s && !s.isEmpty()) {
        for (String id : s.split(",")) {
          out.add(id.trim());
        }
      } else if (ref instanceof JsonArray a) {
        a.forEach(v -> out.add(String.valueOf(v)));
      }
    }
    if (!domain.equals("homeassistant")) {
      out.removeIf(id -> !id.startsWith(domain + "."));
    }
    return out;
  }

  private void turn(EntityState s, boolean on, Integer brightness, JsonObject context) {
    if (s.domain().equals("light")) {
      String friendly = s.attributes.getString("friendly_name");
      Integer level = on ? (brightness != null ? brightness : s.attributes.getInteger("brightness", 255)) : null;
      set(s.entityId, on ? "on" : "off", lightAttributes(friendly, level), context);
    } else {
      set(s.entityId, on ? "on" : "off", s.attributes, context);
    }
  }

  /** The answer to {@code get_services}: domain -> service -> {name, description, fields, target}. */
  JsonObject services() {
    JsonObject toggles = new JsonObject()
        .put("turn_on", service("Turn on", "Turns on one or more entities."))
        .put("turn_off", service("Turn off", "Turns off one or more entities."))
        .put("toggle", service("Toggle", "Toggles one or more entities, from on to off, or off to on."));
    JsonObject light = toggles.copy();
    light.getJsonObject("turn_on").getJsonObject("fields").put("brightness", new JsonObject()
        .put("name", "Brightness value").put("description", "Number indicating brightness, where 0 turns the light off, 1 is the minimum brightness, and 255 is the maximum brightness.")
        .put("example", 120).put("selector", new JsonObject().put("number", new JsonObject().put("min", 0).put("max", 255))));
    return new JsonObject()
        .put("homeassistant", toggles.copy()
            .put("check_config", service("Check configuration", "Checks the Home Assistant YAML-configuration files for errors.").put("fields", new JsonObject())))
        .put("light", withTarget(light, "light"))
        .put("switch", withTarget(toggles.copy(), "switch"));
  }

  private static JsonObject service(String name, String description) {
    return new JsonObject().put("name", name).put("description", description).put("fields", new JsonObject());
  }

  private static JsonObject withTarget(JsonObject services, String domain) {
    services.forEach(e -> ((JsonObject) e.getValue()).put("target", new JsonObject()
        .put("entity", new JsonArray().add(new JsonObject().put("domain", new JsonArray().add(domain))))));
    return services;
  }

  /** The answer to {@code get_config} ({@code hass.config.as_dict()}), with the core {@code state}. */
  JsonObject config(String coreState, String version) {
    JsonArray dirs = new JsonArray().add("/media").add("/config/www");
    return new JsonObject()
        .put("allowlist_external_dirs", dirs)
        .put("allowlist_external_urls", new JsonArray())
        .put("components", new JsonArray().add("homeassistant").add("http").add("websocket_api").add("light").add("sensor").add("switch"))
        .put("config_dir", "/config")
        .put("config_source", "storage")
        .put("country", "NL")
        .put("currency", "EUR")
        .put("debug", false)
        .put("elevation", 2)
        .put("external_url", null)
        .put("internal_url", null)
        .put("language", "en")
        .put("latitude", 52.3731)
        .put("location_name", "Home")
        .put("longitude", 4.8922)
        .put("radius", 100)
        .put("recovery_mode", false)
        .put("safe_mode", false)
        .put("state", coreState)
        .put("time_zone", "Europe/Amsterdam")
        .put("unit_system", new JsonObject().put("length", "km").put("accumulated_precipitation", "mm").put("area", "m²")
            .put("mass", "g").put("pressure", "Pa").put("temperature", "°C").put("volume", "L").put("wind_speed", "m/s"))
        .put("version", version)
        .put("whitelist_external_dirs", dirs.copy());
  }

  // ---- entity shapes --------------------------------------------------------------------------

  private static JsonObject lightAttributes(String friendlyName, Integer brightness) {
    return new JsonObject()
        .put("supported_color_modes", new JsonArray().add("brightness"))
        .put("color_mode", brightness == null ? null : "brightness")
        .put("brightness", brightness)
        .put("friendly_name", friendlyName)
        .put("supported_features", 0);
  }

  private static JsonObject sensorAttributes(String friendlyName, boolean temperature) {
    return new JsonObject()
        .put("state_class", "measurement")
        .put("unit_of_measurement", temperature ? "°C" : "%")
        .put("device_class", temperature ? "temperature" : "humidity")
        .put("friendly_name", friendlyName);
  }

  private void add(EntityState state) {
    states.put(state.entityId, state);
    ids.add(state.entityId);
  }

  private static String place(int i) {
    String room = ROOMS[i % ROOMS.length];
    return i < ROOMS.length ? room : room + "_" + (i / ROOMS.length + 1);
  }

  private static String name(int i, String what) {
    String room = place(i).replace('_', ' ');
    return Character.toUpperCase(room.charAt(0)) + room.substring(1) + " " + what;
  }
}
