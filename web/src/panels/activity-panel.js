import { h, setText, clock } from '../dom.js';

/** A channel's flags as {flag: boolean}, whichever way the server writes them. */
export function flagMap(flags) {
  if (Array.isArray(flags)) return Object.fromEntries(flags.map((f) => [f, true]));
  if (!flags || typeof flags !== 'object') return {};
  return Object.fromEntries(Object.entries(flags).map(([flag, v]) => [flag,
    typeof v === 'object' && v !== null ? Boolean(v.set ?? v.value ?? true) : Boolean(v)]));
}

/** How long after a snapshot that got no answer it is asked again. */
const SNAPSHOT_RETRY_MS = 5000;

/**
 * Activity channels (AI and job phases: thinking, extraction, summary...): each channel's flags,
 * live, with the last change and its reason (set, cleared, or stale when the server cleared a
 * flag left set past its timeout). Snapshot first, then pushes newer than it.
 */
export class ActivityPanel {
  constructor() {
    this.channels = new Map();
    this.seq = null;
    this.held = null;
    this.list = h('div', { class: 'channels', dataset: { field: 'channels' } });
    this.note = h('p', { class: 'note', dataset: { field: 'activity-note' } });
    this.el = h('section', { class: 'panel activity', id: 'activity' }, h('h2', {}, 'Activity channels'), this.note, this.list);
  }

  /** The socket is (re)open: listen first, then take the snapshot; pushes that came meanwhile apply on top of it. */
  attach(conn) {
    this.conn = conn;
    this.attached = (this.attached || 0) + 1;
    this.held = [];
    conn.register('switchboard.activity', (p) => this.push(p));
    this.requestSnapshot();
  }

  requestSnapshot() {
    this.held = this.held || [];
    const attached = this.attached;
    this.conn.request('switchboard.activity.snapshot', {}, { timeout: 5000 })
      .then((snapshot) => {
        setText(this.note, '');
        this.seq = snapshot.seq;
        const seen = new Set();
        for (const c of snapshot.channels || []) {
          seen.add(c.channel);
          this.render(c.channel, flagMap(c.flags), null, c.updated_at);
        }
        for (const [name, channel] of this.channels) {
          if (!seen.has(name)) {
            channel.el.remove();
            this.channels.delete(name);
          }
        }
      })
      .catch((err) => {
        // The seq counts per server process: one kept from the server before a restart would drop the new one's pushes.
        this.seq = null;
        if (err.failureType !== 'TIMEOUT') {
          setText(this.note, `activity channels are not available from this server (${err.message})`);
          return;
        }
        setText(this.note, `activity channels: no snapshot from the server (${err.message}); asking again in 5 s`);
        setTimeout(() => {
          if (this.attached === attached && this.conn.open && this.held === null) this.requestSnapshot();
        }, SNAPSHOT_RETRY_MS);
      })
      .finally(() => {
        const held = (this.held || []).sort((a, b) => a.seq - b.seq);
        this.held = null;
        held.forEach((p) => this.push(p));
        this.empty();
      });
  }

  push(p) {
    if (!p || !p.channel) return;
    if (this.held) {
      this.held.push(p);
      return;
    }
    if (this.seq !== null && typeof p.seq === 'number') {
      if (p.seq <= this.seq) return; // already in the snapshot
      if (p.seq > this.seq + 1) {
        // Something was missed: there is no "since" for activity, the snapshot is small and complete.
        this.held = [p];
        this.requestSnapshot();
        return;
      }
    }
    if (typeof p.seq === 'number') this.seq = p.seq;
    const flags = p.flags !== undefined ? flagMap(p.flags) : { ...(this.channels.get(p.channel)?.flags || {}), [p.flag]: Boolean(p.value) };
    this.render(p.channel, flags, p, p.at);
  }

  render(name, flags, change, at) {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = {
        flags: {},
        chips: h('span', { class: 'chips' }),
        last: h('span', { class: 'detail', dataset: { field: 'reason' } }),
      };
      channel.el = h('div', { class: 'channel', dataset: { channel: name } }, h('b', {}, name), ' ', channel.chips, ' ', channel.last);
      this.channels.set(name, channel);
      const after = [...this.channels.keys()].sort().find((n) => n > name);
      this.list.insertBefore(channel.el, after && this.channels.get(after).el.isConnected ? this.channels.get(after).el : null);
    }
    // A flag that was seen stays shown (off) so that a cleared one does not simply vanish.
    channel.flags = { ...Object.fromEntries(Object.keys(channel.flags).map((f) => [f, false])), ...flags };
    if (change && change.flag && !(change.flag in channel.flags)) channel.flags[change.flag] = Boolean(change.value);
    channel.chips.replaceChildren(...Object.entries(channel.flags).sort().map(([flag, on]) =>
      h('span', { class: `chip ${on ? 'on' : 'off'}`, dataset: { flag, value: String(on) } }, flag)));
    if (change) {
      const when = at ? clock(typeof at === 'number' ? at : Date.parse(at)) : clock(Date.now());
      setText(channel.last, `${change.flag} ${change.value ? 'set' : 'cleared'}${change.reason && change.reason !== 'set' && change.reason !== 'cleared' ? ` (${change.reason})` : ''} at ${when}`);
      channel.last.dataset.reason = change.reason || '';
    }
    this.empty();
  }

  empty() {
    this.el.classList.toggle('is-empty', this.channels.size === 0);
    if (this.channels.size === 0 && !this.note.textContent) setText(this.note, 'No channel is active.');
    else if (this.channels.size > 0 && this.note.textContent === 'No channel is active.') setText(this.note, '');
  }
}
