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
     * Where it stood is lost (a gap answer, or a history that did not answer, with nothing since): the
     * next attach asks for everything the server keeps. A list that has seen nothing yet starts from now.
     */
    this.lostPlace = false;
    this.held = null;
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
    // Nothing seen yet (the first attach, or a quiet address): the list starts with what comes from now on.
    if (this.lastSeq === null && !this.lostPlace) {
      this.release();
      return;
    }
    // With the last envelope's ts, the server tells a seq of its own count from one of a count before a restart.
    // Its place lost: everything it keeps, which it answers as a gap when some were dropped.
    const since = this.lastSeq === null ? { address, after: 0 }
      : this.lastTs === null ? { address, after: this.lastSeq } : { address, after: this.lastSeq, ts: this.lastTs };
    conn.request('switchboard.history', since, { timeout: 5000 })
      .then((reply) => {
        if (!reply || reply.mode !== 'messages') {
          // Some are lost (too old, or the server restarted and counts again): say so, then show what is kept.
          this.marker('messages missed while this page was away');
          this.lastSeq = null;
          this.lostPlace = true;
        }
        for (const envelope of (reply && reply.messages) || []) this.receive(envelope);
      })
      .catch(() => {
        // No history on this server: what came meanwhile is unknown, and a restarted server counts again.
        this.marker('messages sent while this page was away are not shown');
        this.lastSeq = null;
        this.lostPlace = true;
      })
      .finally(() => this.release());
  }

  /** Stops listening (the listener is gone, or its kind changed). */
  detach(conn) {
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
    if (envelope.type === 'gap') {
      // The upstream's own outage: what it sent between these times never reached the server.
      const d = envelope.data || {};
      this.marker(`upstream reconnected: messages from ${d.from ? clock(Date.parse(d.from)) : '?'} to ${d.to ? clock(Date.parse(d.to)) : '?'} may be missing`);
      return;
    }
    this.el.prepend(h('li', { dataset: { seq: envelope.seq } },
      h('span', { class: 'seq' }, `#${envelope.seq}`), ' ',
      h('time', {}, clock(envelope.ts || Date.now())), ' ',
      h('span', { class: 'type' }, envelope.type), ' ',
      h('code', {}, summarize(envelope))));
    this.trim();
  }

  marker(text) {
    this.el.prepend(h('li', { class: 'gap', dataset: { gap: 'true' } }, `— ${text} —`));
    this.trim();
  }

  trim() {
    while (this.el.children.length > this.shown) this.el.lastElementChild.remove();
  }
}
