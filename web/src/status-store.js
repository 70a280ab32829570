/**
 * The page's view of every listener's status: the server's, never a local guess.
 *
 * Pushes carry a `seq` that grows by one per change. The store keeps the highest seq up to which
 * it has seen everything (`seq`); a push beyond seq + 1 means pushes were missed, and the caller
 * asks the server for what came after `seq`. While a resync is under way, pushes are held and
 * applied after it; when they skip a seq past the resync's answer (a server in `slowClients:
 * "conflate"` mode drops older queued messages), `gap` says so, and the caller resyncs again. Each
 * status is a listener's whole status, so a newer one for a listener simply replaces the older one;
 * `seqOf` keeps a late delta from overwriting a newer push.
 *
 * A listener removed at run time comes as a tombstone, `{name, type, removed: true}`, in pushes,
 * held pushes and deltas alike: it removes the listener (onChange(name, null, old, how)), and its
 * seq stays in `seqOf` until `seq` has passed it, so that an older delta cannot bring the listener
 * back; from then on nothing at or before `seq` is applied anyway. Snapshots simply no longer list it.
 *
 * A seq counts in one stream, named by its `view` (one per process, or per cluster node): the same
 * seq from another view (a restart, another node behind the same address) says nothing about what was
 * missed. The store keeps the view of its last snapshot; deltas or pushes of another view are never
 * applied, and the caller takes a snapshot instead. Within one view, the node has already dropped
 * every status of an owner older than the newest epoch it has seen, so the page shows the view as it is.
 */
export class StatusStore {
  constructor(onChange = () => {}) {
    this.onChange = onChange;
    this.listeners = new Map();
    this.seqOf = new Map();
    /** Removed listeners whose tombstone's seq is still past `seq`: their `seqOf` is kept only until then. */
    this.removed = new Map();
    this.seq = null;
    /** The view `seq` counts in; null when the server did not name one (then seq alone decides). */
    this.view = null;
    this.synced = false;
    this.held = [];
    /** The pushes held during the last resync skipped a seq: what fell in between was never seen. */
    this.gap = false;
    /** Snapshots applied so far: during the first, onChange tells how things stand, not what changed. */
    this.snapshots = 0;
  }

  /** The socket is new (or a gap was seen): hold pushes until a snapshot or the deltas come. */
  beginResync() {
    this.synced = false;
    this.held = [];
  }

  /** A push on `switchboard.status`. Returns true when a gap was seen and a resync is needed. */
  push(message) {
    if (!message || typeof message.seq !== 'number' || !message.status) return false;
    if (!this.synced) {
      this.held.push(message);
      return false;
    }
    if (!this.sameView(message.view)) return true; // another stream: its seq says nothing here, resync
    // Seen already: a push can arrive after a snapshot or deltas that were sent later and include it.
    if (this.seq !== null && message.seq <= this.seq) return false;
    const gap = this.seq !== null && message.seq > this.seq + 1;
    this.apply(message.seq, message.status);
    if (!gap) this.advance(message.seq);
    return gap;
  }

  /** A full snapshot `{seq, listeners}` replaces everything: listeners gone from it are gone. */
  applySnapshot(snapshot) {
    const before = new Map(this.listeners);
    this.listeners = new Map();
    this.seqOf = new Map();
    this.removed = new Map();
    for (const status of snapshot.listeners || []) {
      if (!status || typeof status.name !== 'string' || isTombstone(status)) continue;
      this.listeners.set(status.name, status);
      this.seqOf.set(status.name, snapshot.seq);
    }
    this.seq = snapshot.seq;
    this.view = typeof snapshot.view === 'string' ? snapshot.view : null;
    for (const [name, old] of before) {
      this.onChange(name, this.listeners.get(name) || null, old, 'snapshot');
    }
    for (const [name, status] of this.listeners) {
      if (!before.has(name)) this.onChange(name, status, null, 'snapshot');
    }
    this.snapshots += 1;
    this.release();
  }

  /**
   * The reply to `switchboard.status.since`: deltas, or a snapshot when what was missed is older
   * than the server keeps, or when the view asked about is not the server's. Returns false when the
   * deltas cannot be trusted (another view, or the server's seq is behind ours: it restarted) and a
   * snapshot must be asked for instead.
   */
  applySince(reply) {
    if (reply.mode === 'snapshot') {
      this.applySnapshot(reply);
      return true;
    }
    if (reply.mode !== 'deltas' || typeof reply.seq !== 'number' || (this.seq !== null && reply.seq < this.seq)
      || !this.sameView(reply.view)) {
      return false;
    }
    const deltas = [...(reply.deltas || [])].sort((a, b) => a.seq - b.seq);
    for (const delta of deltas) this.apply(delta.seq, delta.status, 'resync');
    this.advance(reply.seq);
    this.release();
    return true;
  }

  /**
   * Synced: applies the pushes held meanwhile. Returns (and keeps in `gap`) whether they skipped a seq:
   * those past the hole are applied all the same, but `seq` stays before it, and only a new resync
   * (no later push, on a quiet system) brings what fell in it.
   */
  release() {
    this.synced = true;
    this.gap = false;
    const held = this.held.sort((a, b) => a.seq - b.seq);
    this.held = [];
    for (const message of held) {
      // Pushes held from another view (sent before the server changed under the page) are not this stream's.
      if (message.seq > this.seq && this.sameView(message.view)) {
        this.apply(message.seq, message.status);
        if (message.seq === this.seq + 1) this.advance(message.seq);
        else this.gap = true;
      }
    }
    return this.gap;
  }

  apply(seq, status, how = 'push') {
    if (!status || typeof status.name !== 'string') return;
    const known = this.seqOf.get(status.name);
    if (known !== undefined && seq <= known) return;
    const old = this.listeners.get(status.name) || null;
    this.seqOf.set(status.name, seq);
    if (isTombstone(status)) {
      this.removed.set(status.name, seq);
      this.listeners.delete(status.name);
      if (old) this.onChange(status.name, null, old, how);
      return;
    }
    this.removed.delete(status.name);
    this.listeners.set(status.name, status);
    this.onChange(status.name, status, old, how);
  }

  /**
   * Everything up to `seq` is seen. A removed listener's seq is forgotten once passed: nothing at or
   * before it is applied any more, and a tab open for weeks would otherwise keep every name ever removed.
   */
  advance(seq) {
    this.seq = seq;
    for (const [name, removedAt] of this.removed) {
      if (removedAt <= seq) {
        this.removed.delete(name);
        this.seqOf.delete(name);
      }
    }
  }

  /**
   * Whether a message of `view` counts in the store's stream. A message that names no view (a single
   * process's pushes) counts in the stream of the socket it came on; one that names a view must name ours.
   */
  sameView(view) {
    return typeof view !== 'string' || view === this.view;
  }

  get(name) {
    return this.listeners.get(name) || null;
  }

  all() {
    return [...this.listeners.values()];
  }
}

/** A removed listener's last word: `{name, type, removed: true}`. */
export function isTombstone(status) {
  return Boolean(status) && status.removed === true;
}
