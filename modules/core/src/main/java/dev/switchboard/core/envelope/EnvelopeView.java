package dev.switchboard.core.envelope;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The map behind the {@link JsonObject} an in-process consumer receives for a {@link JsonEnvelope}:
 * one per consumer, as the event bus's copy of a JsonObject was. It answers {@code seq}, {@code ts},
 * {@code source}, {@code type} (and, in a cluster, {@code epoch}) from the envelope. Anything else (reading {@code data}, iterating,
 * changing, encoding) first fills it with the whole envelope, data parsed, after which it is an
 * ordinary {@link LinkedHashMap} (so {@code JsonObject.copy()} keeps the field order, as it does for
 * the JsonObject the listener used to publish).
 * <p>
 * Until then its owner may use the upstream's bytes ({@link #untouched(JsonObject)}): nobody has seen
 * the data, so nobody can have changed it.
 */
public final class EnvelopeView extends LinkedHashMap<String, Object> {
  private JsonEnvelope envelope;

  EnvelopeView(JsonEnvelope envelope) {
    super(8);
    this.envelope = envelope;
  }

  /** The envelope behind {@code json} if it is a view whose data nobody has read yet, else null. */
  public static JsonEnvelope untouched(JsonObject json) {
    return json.getMap() instanceof EnvelopeView view ? view.envelope : null;
  }

  /** Appends the envelope's JSON to {@code out}: the upstream's own bytes while untouched, else the object encoded. */
  public static Buffer appendJson(JsonObject json, Buffer out) {
    JsonEnvelope envelope = untouched(json);
    return envelope != null ? envelope.appendJson(out) : out.appendBuffer(json.toBuffer());
  }

  /** Fills the map with the whole envelope; from then on every method is LinkedHashMap's own. */
  private void fill() {
    JsonEnvelope e = envelope;
    if (e == null) {
      return;
    }
    envelope = null;
    for (String name : e.heads()) {
      super.put(name, e.head(name));
    }
    super.put(JsonEnvelope.DATA, e.parseData());
  }

  // Answered without parsing.

  @Override
  public Object get(Object key) {
    if (envelope != null && key instanceof String name && !name.equals(JsonEnvelope.DATA)) {
      return envelope.head(name);
    }
    fill();
    return super.get(key);
  }

  @Override
  public boolean containsKey(Object key) {
    if (envelope != null) {
      return JsonEnvelope.DATA.equals(key) || envelope.heads().contains(key);
    }
    return super.containsKey(key);
  }

  @Override
  public int size() {
    return envelope != null ? envelope.heads().size() + 1 : super.size();
  }

  @Override
  public boolean isEmpty() {
    return envelope == null && super.isEmpty();
  }

  // Everything else fills the map first.

  @Override
  public Object getOrDefault(Object key, Object defaultValue) {
    fill();
    return super.getOrDefault(key, defaultValue);
  }

  @Override
  public boolean containsValue(Object value) {
    fill();
    return super.containsValue(value);
  }

  @Override
  public Object put(String key, Object value) {
    fill();
    return super.put(key, value);
  }

  @Override
  public void putAll(Map<? extends String, ?> m) {
    fill();
    super.putAll(m);
  }

  @Override
  public Object remove(Object key) {
    fill();
    return super.remove(key);
  }

  @Override
  public boolean remove(Object key, Object value) {
    fill();
    return super.remove(key, value);
  }

  @Override
  public void clear() {
    envelope = null;
    super.clear();
  }

  @Override
  public Set<String> keySet() {
    fill();
    return super.keySet();
  }

  @Override
  public Collection<Object> values() {
    fill();
    return super.values();
  }

  @Override
  public Set<Map.Entry<String, Object>> entrySet() {
    fill();
    return super.entrySet();
  }

  @Override
  public void forEach(BiConsumer<? super String, ? super Object> action) {
    fill();
    super.forEach(action);
  }

  @Override
  public void replaceAll(BiFunction<? super String, ? super Object, ?> function) {
    fill();
    super.replaceAll(function);
  }

  @Override
  public Object putIfAbsent(String key, Object value) {
    fill();
    return super.putIfAbsent(key, value);
  }

  @Override
  public boolean replace(String key, Object oldValue, Object newValue) {
    fill();
    return super.replace(key, oldValue, newValue);
  }

  @Override
  public Object replace(String key, Object value) {
    fill();
    return super.replace(key, value);
  }

  @Override
  public Object computeIfAbsent(String key, Function<? super String, ?> mappingFunction) {
    fill();
    return super.computeIfAbsent(key, mappingFunction);
  }

  @Override
  public Object computeIfPresent(String key, BiFunction<? super String, ? super Object, ?> remappingFunction) {
    fill();
    return super.computeIfPresent(key, remappingFunction);
  }

  @Override
  public Object compute(String key, BiFunction<? super String, ? super Object, ?> remappingFunction) {
    fill();
    return super.compute(key, remappingFunction);
  }

  @Override
  public Object merge(String key, Object value, BiFunction<? super Object, ? super Object, ?> remappingFunction) {
    fill();
    return super.merge(key, value, remappingFunction);
  }

  @Override
  public Object clone() {
    fill();
    return super.clone();
  }

  @Override
  public boolean equals(Object o) {
    fill();
    return super.equals(o);
  }

  @Override
  public int hashCode() {
    fill();
    return super.hashCode();
  }

  @Override
  public String toString() {
    fill();
    return super.toString();
  }
}
