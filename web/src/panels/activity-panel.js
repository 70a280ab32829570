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
 * How often the snapshot is asked again while a channel shown has no flag set. The server forgets
 * such a channel after its `forgetAfter` (10 min by default), or sooner when `maxChannels` are full,
 * and pushes nothing then (status.md); the page does not know those settings, so it learns what
 * was forgotten from the snapshot, which no longer lists it.
 */
const SNAPSHOT_REFRESH_MS = 5 * 60 * 1000;

/** Where `name` goes in the sorted `names`: found by halves, as a page may show thousands of channels. */
function sortedIndex(names, name) {
  let low = 0;
  let high = names.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (names[middle] < name) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** A time as the server writes it (ISO text) or as a number of ms; now when there is none. */
function millis(at) {
  if (typeof at === 'number') return at;
  const ms = at ? Date.parse(at) : NaN;
  return Number.isNaN(ms) ? Date.now() : ms;
}

/**
 * Activity channels (AI and job phases: thinking, extraction, summary...): each channel's flags,
 * live, with the last change and its reason (set, cleared, or stale when the server cleared a
 * flag left set past its timeout). Snapshot first, then pushes newer than it; the snapshot again
 * now and then while some channel is idle, so that the channels the server forgot go here too.
 */
export class ActivityPanel {
  constructor() {
    this.channels = new Map();
    /** The channels' names, sorted: the order of their rows. */
    this.names = [];
    this.refreshTimer = null;
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
        // Not listed: the server forgot it (idle for its forgetAfter), or restarted.
        for (const [name, channel] of this.channels) {
          if (!seen.has(name)) {
            channel.el.remove();
            this.channels.delete(name);
          }
        }
        if (this.names.length !== this.channels.size) this.names = this.names.filter((n) => this.channels.has(n));
        this.scheduleRefresh(attached);
      })
      .catch((err) => {
        // The seq counts per server process: one kept from the server before a restart would drop the new one's pushes.
        this.seq = null;
        if (err.failureType === 'DISCONNECTED' || err.failureType === 'NOT_CONNECTED') {
          // The socket is gone, not the feature: the next connection asks again (attach).
          setText(this.note, 'activity channels: the connection was lost before the snapshot; asked again once it is back');
          return;
        }
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

  /** The snapshot again in a while, if some channel shown is idle then (only those are ever forgotten). */
  scheduleRefresh(attached) {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      // Another socket, or a snapshot already asked (a gap): that one schedules its own.
      if (this.attached !== attached || !this.conn.open || this.held !== null) return;
      const idle = [...this.channels.values()].some((c) => !Object.values(c.flags).some(Boolean));
      if (idle) this.requestSnapshot();
      else this.scheduleRefresh(attached);
    }, SNAPSHOT_REFRESH_MS);
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
      const index = sortedIndex(this.names, name);
      this.names.splice(index, 0, name);
      const next = this.names[index + 1];
      this.list.insertBefore(channel.el, next === undefined ? null : this.channels.get(next).el);
    }
    // A flag that was seen stays shown (off) so that a cleared one does not simply vanish.
    channel.flags = { ...Object.fromEntries(Object.keys(channel.flags).map((f) => [f, false])), ...flags };
    if (change && change.flag && !(change.flag in channel.flags)) channel.flags[change.flag] = Boolean(change.value);
    channel.chips.replaceChildren(...Object.entries(channel.flags).sort().map(([flag, on]) =>
      h('span', { class: `chip ${on ? 'on' : 'off'}`, dataset: { flag, value: String(on) } }, flag)));
    const when = millis(at);
    if (change) {
      setText(channel.last, `${change.flag} ${change.value ? 'set' : 'cleared'}${change.reason && change.reason !== 'set' && change.reason !== 'cleared' ? ` (${change.reason})` : ''} at ${clock(when)}`);
      channel.last.dataset.reason = change.reason || '';
    } else if (channel.changedAt !== when) {
      // A snapshot row whose last change is not the one shown (missed while away): its state as of then.
      const on = Object.keys(channel.flags).filter((f) => channel.flags[f]).sort();
      setText(channel.last, `${on.length ? on.join(', ') : 'no flag'} set as of ${clock(when)}`);
      channel.last.dataset.reason = '';
    }
    channel.changedAt = when;
    this.empty();
  }

  empty() {
    this.el.classList.toggle('is-empty', this.channels.size === 0);
    if (this.channels.size === 0 && !this.note.textContent) setText(this.note, 'No channel is active.');
    else if (this.channels.size > 0 && this.note.textContent === 'No channel is active.') setText(this.note, '');
  }
}
