import { h, clock } from '../dom.js';

export const SHOWN = 50;

/**
 * Where an envelope with `seq` stands after `lastSeq`: already shown (`old`), the next one, or
 * after `missed` others that never came.
 */
export function seqStep(lastSeq, seq) {
  if (typeof seq !== 'number') return { old: true, missed: 0 };
  if (lastSeq === null || lastSeq === undefined) return { old: false, missed: 0 };
  if (seq <= lastSeq) return { old: true, missed: 0 };
  return { old: false, missed: seq - lastSeq - 1 };
}

/** An envelope's data in one line: a text message's text, anything else as JSON. */
export function summarize(envelope, max = 160) {
  const data = envelope ? envelope.data : undefined;
  const text = envelope && envelope.type === 'text' && data && typeof data.text === 'string' ? data.text
    : data === undefined ? '' : JSON.stringify(data);
  return abbreviate(text, max);
}

export function abbreviate(text, max) {
  const s = String(text);
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

/**
 * The last messages of one data address, newest first, with a marker where some were missed. On
 * each (re)connect it registers again and asks `switchboard.history` for what came meanwhile;
 * envelopes that arrive during that are held and shown after it, in order.
 *
 * `holesMeanLoss`: whether a hole in the seqs is a marker. A listener numbers all its data addresses
 * in one sequence, so only where the address has the count to itself (the feed's) does a hole mean a
 * message missed; elsewhere only the history's gap answer says so.
 */
export class MessageList {
  constructor({ shown = SHOWN, dataset = {}, holesMeanLoss = true } = {}) {
    this.shown = shown;
    this.holesMeanLoss = holesMeanLoss;
    this.lastSeq = null;
    this.lastTs = null;
    /**
     * `seq:ts` of each envelope the list shows: after a history that did not answer, the place is
     * given up (a restarted server counts again), and the next answer must not draw these twice.
     */
    this.keys = new Set();
    this.held = null;
    /** Attaches so far: each one's history answer counts only while it is the latest. */
    this.attempts = 0;
    this.registration = null;
    this.address = null;
    this.el = h('ol', { class: 'messages', dataset: { field: 'messages', ...dataset } });
  }

  /** The socket is (re)open: listen again, and fetch what was missed from the history if the server keeps one. */
  attach(conn, address) {
    // Already listening on this socket (its panel attached it as the kind became known, during a
    // resync): a second handler would outlive detach(), and the server would go on sending.
    if (address === this.address && conn.holds(this.registration)) return;
    this.address = address;
    this.held = [];
    this.registration = conn.register(address, (envelope) => (this.held ? this.held.push(envelope) : this.receive(envelope)));
    // With the last envelope's ts, the server tells a seq of its own count from one of a count before a restart.
    // Nothing seen yet (the page has just loaded, a quiet address, a place lost): everything the server keeps, so
    // that what a quiet address published while the page was away is shown, not lost without a word.
    const knew = this.lastSeq !== null;
    const since = !knew ? { address, after: 0, last: this.shown }
      : this.lastTs === null ? { address, after: this.lastSeq } : { address, after: this.lastSeq, ts: this.lastTs };
    // An answer to an earlier attach (its socket lost meanwhile) must not release what this one holds.
    const attempt = ++this.attempts;
    const current = () => attempt === this.attempts;
    conn.request('switchboard.history', since, { timeout: 5000 })
      .then((reply) => {
        if (!current()) return;
        if (knew && (!reply || reply.mode !== 'messages')) {
          // Some are lost (too old, or the server restarted and counts again): say so, then show what is kept.
          this.marker('messages missed while this page was away');
          this.lastSeq = null;
        }
        for (const envelope of (reply && reply.messages) || []) this.receive(envelope);
      })
      .catch(() => {
        if (!current() || !knew) return; // no history on this server (or none yet for it): the list starts from now
        // What came meanwhile is unknown, and a restarted server counts again.
        this.marker('messages sent while this page was away are not shown');
        this.lastSeq = null;
      })
      .finally(() => {
        if (current()) this.release();
      });
  }

  /** Stops listening (the listener is gone, or its kind changed). */
  detach(conn) {
    this.attempts += 1; // a history answer still on its way draws nothing
    if (conn && this.registration) conn.unregister(this.registration);
    this.registration = null;
    this.held = null;
  }

  release() {
    const held = (this.held || []).sort((a, b) => a.seq - b.seq);
    this.held = null;
    held.forEach((envelope) => this.receive(envelope));
  }

  receive(envelope) {
    if (!envelope) return;
    const step = seqStep(this.lastSeq, envelope.seq);
    if (step.old) return; // already shown, or not an envelope
    if (step.missed > 0 && this.holesMeanLoss) this.marker(`${step.missed} message(s) missed`);
    this.lastSeq = envelope.seq;
    this.lastTs = Number.isInteger(envelope.ts) ? envelope.ts : null;
    const key = `${envelope.seq}:${envelope.ts}`;
    if (this.keys.has(key)) return; // shown already, before a place was given up
    this.keys.add(key);
    if (envelope.type === 'gap') {
      // The upstream's own outage: what it sent between these times never reached the server.
      const d = envelope.data || {};
      this.marker(`upstream reconnected: messages from ${d.from ? clock(Date.parse(d.from)) : '?'} to ${d.to ? clock(Date.parse(d.to)) : '?'} may be missing`, key);
      return;
    }
    const li = h('li', { dataset: Number.isInteger(envelope.ts) ? { seq: envelope.seq, key, ts: envelope.ts } : { seq: envelope.seq, key } },
      h('span', { class: 'seq' }, `#${envelope.seq}`), ' ',
      h('time', {}, clock(envelope.ts || Date.now())), ' ',
      h('span', { class: 'type' }, envelope.type), ' ',
      h('code', {}, summarize(envelope)));
    this.el.insertBefore(li, this.placeFor(envelope));
    this.trim();
  }

  /**
   * The row a message goes above: the newest first, so the top, unless it is older than rows shown already (after a
   * place was given up, a history answer brings older messages too): then below those, by time.
   */
  placeFor(envelope) {
    const top = this.el.firstElementChild;
    if (!Number.isInteger(envelope.ts)) return top;
    const rows = Array.from(this.el.children).filter((row) => row.dataset.ts !== undefined); // not the markers
    if (rows.length === 0 || Number(rows[0].dataset.ts) <= envelope.ts) return top; // the newest: on top, as it came
    return rows.find((row) => Number(row.dataset.ts) <= envelope.ts) || null;
  }

  marker(text, key) {
    this.el.prepend(h('li', { class: 'gap', dataset: key ? { gap: 'true', key } : { gap: 'true' } }, `— ${text} —`));
    this.trim();
  }

  trim() {
    while (this.el.children.length > this.shown) {
      const last = this.el.lastElementChild;
      if (last.dataset.key) this.keys.delete(last.dataset.key);
      last.remove();
    }
  }
}
