import { refetchDelay } from './backoff.js';

/**
 * `GET /api/kinds` as the page uses it: the kinds by type, and the fields every listener has.
 * Anything malformed is dropped rather than trusted.
 */
export function indexKinds(json) {
  const kinds = new Map();
  for (const kind of (json && Array.isArray(json.kinds) ? json.kinds : [])) {
    if (!kind || typeof kind.type !== 'string' || !kind.type) continue;
    kinds.set(kind.type, {
      type: kind.type,
      namespace: typeof kind.namespace === 'string' && kind.namespace ? kind.namespace : kind.type,
      description: typeof kind.description === 'string' ? kind.description : '',
      fields: cleanFields(kind.fields),
      statusFields: Array.isArray(kind.status_fields) ? kind.status_fields.filter((f) => f && typeof f.name === 'string') : [],
      addresses: kind.addresses && typeof kind.addresses === 'object' ? kind.addresses : {},
    });
  }
  return { kinds, common: cleanFields(json && json.common) };
}

function cleanFields(fields) {
  if (!Array.isArray(fields)) return [];
  return fields.filter((f) => f && typeof f.name === 'string' && f.name)
    .map((f) => ({ ...f, type: typeof f.type === 'string' ? f.type : 'any', fields: cleanFields(f.fields) }));
}

/** The addresses where listener `name` of `kind` publishes its data envelopes. */
export function dataAddresses(kind, name) {
  const data = kind && kind.addresses && Array.isArray(kind.addresses.data) ? kind.addresses.data : [];
  return data.filter((suffix) => typeof suffix === 'string' && suffix).map((suffix) => `${kind.namespace}.${name}.${suffix}`);
}

/**
 * The kinds, read once per page load and kept. A failed read is tried again (with backoff) until
 * it works; whoever waits on `load()` or `onReady` hears when it does. A listener of a type the
 * kinds do not name (a kind added to a server that restarted under the page) has them read again,
 * at most once per `rereadAfter`; `whenKnown` hears of it.
 */
export class KindCatalog {
  constructor(fetchKinds, { delay = refetchDelay, rereadAfter = 30000 } = {}) {
    this.fetchKinds = fetchKinds;
    this.delay = delay;
    this.rereadAfter = rereadAfter;
    this.rereadAt = -Infinity;
    this.rereadTimer = null;
    /** Called with the kind of a type once a read names it: `[type, fn]`. */
    this.unknown = new Set();
    this.value = null;
    this.error = null;
    this.pending = null;
    this.attempt = 0;
    this.timer = null;
    this.waiting = new Set();
  }

  get ready() {
    return this.value !== null;
  }

  /** Resolves with `{kinds, common}`; rejects when this attempt failed (another is then scheduled). */
  load() {
    if (this.value) return Promise.resolve(this.value);
    if (this.pending) return this.pending;
    clearTimeout(this.timer);
    this.timer = null;
    this.pending = Promise.resolve()
      .then(() => this.fetchKinds())
      .then((json) => {
        this.value = indexKinds(json);
        this.error = null;
        this.pending = null;
        this.tellKnown();
        const waiting = [...this.waiting];
        this.waiting.clear();
        waiting.forEach((fn) => fn(this.value));
        return this.value;
      }, (err) => {
        this.pending = null;
        this.error = err;
        this.attempt += 1;
        this.timer = setTimeout(() => this.load().catch(() => {}), this.delay(this.attempt));
        const waiting = [...this.waiting];
        waiting.forEach((fn) => fn(null, err));
        throw err;
      });
    return this.pending;
  }

  /**
   * Calls `fn(value)` once the kinds are known (at once if they are), and `fn(null, err)` after
   * each failed attempt until then. Returns a function that stops the calls.
   */
  onReady(fn) {
    if (this.value) {
      fn(this.value);
      return () => {};
    }
    const once = (value, err) => {
      if (value) this.waiting.delete(once);
      fn(value, err);
    };
    this.waiting.add(once);
    // A failed read is already scheduled again: wait for that one rather than asking at once.
    if (!this.pending && !this.timer) this.load().catch(() => {});
    return () => this.waiting.delete(once);
  }

  kind(type) {
    return this.value ? this.value.kinds.get(type) || null : null;
  }

  /**
   * Calls `fn(kind)` once the kinds name `type`: at once if they do, else after a read that does (one is
   * asked for now, unless one was within `rereadAfter`). Returns a function that stops waiting.
   */
  whenKnown(type, fn) {
    const known = this.kind(type);
    if (known) {
      fn(known);
      return () => {};
    }
    const entry = [type, fn];
    this.unknown.add(entry);
    this.reread();
    return () => {
      this.unknown.delete(entry);
      if (this.unknown.size === 0) {
        clearTimeout(this.rereadTimer);
        this.rereadTimer = null;
      }
    };
  }

  /**
   * Reads the kinds again (a type is unknown): at most once per `rereadAfter`, never beside a read under way,
   * and only once they were read (until then the first read is still tried). The kinds known stay meanwhile.
   */
  reread() {
    if (!this.value || this.pending || this.unknown.size === 0) return;
    const wait = this.rereadAt + this.rereadAfter - Date.now();
    if (wait > 0) {
      // Asked too soon after the last read: once that much later, if some type is still unknown.
      if (!this.rereadTimer) {
        this.rereadTimer = setTimeout(() => {
          this.rereadTimer = null;
          this.reread();
        }, wait);
      }
      return;
    }
    this.rereadAt = Date.now();
    this.pending = Promise.resolve().then(() => this.fetchKinds()).then((json) => {
      this.pending = null;
      this.value = indexKinds(json);
      this.tellKnown();
    }, (err) => {
      this.pending = null;
      console.warn('reading the kinds again failed:', err && err.message);
    }).then(() => this.reread()); // a type still unknown (or a failure): again, rereadAfter from this read
  }

  tellKnown() {
    for (const entry of [...this.unknown]) {
      const kind = this.value.kinds.get(entry[0]);
      if (kind) {
        this.unknown.delete(entry);
        entry[1](kind);
      }
    }
  }
}
