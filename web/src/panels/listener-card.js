import { h, setText, clock, duration, count, bytes } from '../dom.js';
import { Sparkline, formatRate } from '../sparkline.js';
import { failureOutcome } from '../outcome.js';

const ACTIONS = ['start', 'stop', 'restart'];

/**
 * What each button may do, from the server's status alone. `is_active` is the desired state; a
 * FAILED listener stays wanted but needs a new start. An UNASSIGNED one (between owners, in a cluster)
 * is controlled like any other: any node takes the command, and the next owner acts on it.
 */
export function allowedActions(status) {
  if (!status) return new Set();
  const allowed = new Set();
  if (!status.is_active || status.state === 'FAILED') allowed.add('start');
  if (status.is_active) allowed.add('stop');
  if (status.is_active) allowed.add('restart');
  return allowed;
}

const NEEDS_TOKEN = 'needs the control token (top right)';
/** What the cluster answers to any change while no majority of Switchboard nodes is present. */
const NO_MAJORITY = 'no majority of Switchboard nodes is present: nothing can change until one is';

/**
 * Which node runs the listener, in a cluster: `on node-b · epoch 3`. Empty in a single process
 * (no owner, epoch 0, and /api/cluster said so), so that nothing changes there.
 */
export function ownerLine(status, cluster = {}) {
  if (!status) return '';
  const clustered = cluster.clustered === true || Boolean(status.owner) || status.epoch > 0 || status.state === 'UNASSIGNED';
  if (!clustered) return '';
  const epoch = typeof status.epoch === 'number' ? ` · epoch ${status.epoch}` : '';
  if (!status.owner) return `no owner${epoch}`;
  return `on ${status.owner}${status.owner === cluster.node ? ' (this node)' : ''}${epoch}`;
}

/** A listener between owners is not failing: the line says why no node runs it now. */
export function unassignedLine(status) {
  if (!status || status.state !== 'UNASSIGNED') return '';
  return `between owners: ${status.unassigned_reason || 'no node owns it now'}`;
}

/**
 * One listener: its state, desired against actual, timings, last error, rate and counters, and
 * control; and its definition: edit opens the editor, remove deletes it (after a confirm).
 */
/**
 * The last error as the card shows it. While the listener is connected again, it is history: said as
 * past, with its time, not as a current fault.
 */
export function errorLine(status, formatTime = (ms) => new Date(ms).toISOString()) {
  const e = status && status.last_error;
  if (!e) return { text: '', past: false };
  const past = status.state === 'CONNECTED';
  const when = e.at ? ` at ${formatTime(Date.parse(e.at))}` : '';
  const code = e.code ? ` [${e.code}]` : '';
  return { text: `${past ? 'earlier error, before this connection' : 'last error'}${code}: ${e.message}${when}`, past };
}

function capitalized(word) {
  return word[0].toUpperCase() + word.slice(1);
}

export class ListenerCard {
  constructor(name, { command, edit = () => {}, remove = null, confirm = (text) => globalThis.confirm(text) }) {
    this.name = name;
    this.command = command;
    this.edit = edit;
    this.remove = remove;
    this.confirm = confirm;
    this.status = null;
    this.inFlight = null;
    this.view = { synced: false, hasToken: false, cluster: {} };
    this.lastSample = null;
    this.chart = new Sparkline();
    this.fields = {};
    const field = (key, tag = 'span', attrs = {}) => (this.fields[key] = h(tag, { ...attrs, dataset: { field: key } }));
    // Named with the listener: a screen reader's list of buttons would otherwise hold five of each.
    const button = (action, attrs, onclick) => h('button', {
      type: 'button', ...attrs, 'aria-label': `${capitalized(action)} ${name}`, dataset: { action }, onclick,
    }, capitalized(action));
    // Disabled until the first update says what the server allows: a card is made before it is drawn.
    this.buttons = Object.fromEntries(ACTIONS.map((action) => [action, button(action, { disabled: true }, () => this.run(action))]));
    this.editButton = button('edit', { class: 'definition', disabled: true }, () => this.edit(this.name));
    this.removeButton = button('remove', { class: 'definition danger', disabled: true }, () => this.runRemove());
    this.el = h('article', { class: 'card listener', dataset: { listener: name } },
      h('header', {},
        h('h3', {}, name, ' ', field('type', 'small')),
        field('state', 'span', { class: 'badge' })),
      h('p', { class: 'line' }, 'wanted ', field('desired', 'b'), ' · actual ', field('actual', 'b'), field('stale', 'em', { class: 'stale' })),
      field('owner', 'p', { class: 'line owner' }),
      // One line for what the state adds (uptime and silence, the retry, why no node runs it): they never
      // need two lines at once, so the card keeps its height whatever the state.
      (this.nowLine = h('p', { class: 'line now' }, field('uptime'), field('silent', 'span', { class: 'silent' }),
        field('retry', 'span', { class: 'retry' }), field('unassigned', 'span', { class: 'unassigned' }))),
      field('error', 'p', { class: 'error' }),
      h('div', { class: 'rate' }, h('span', {}, field('rate'), ' · ', field('rate-now')), this.chart.svg),
      field('counters', 'p', { class: 'counters' }),
      h('div', { class: 'controls' }, ...Object.values(this.buttons), h('span', { class: 'spacer' }), this.editButton, this.removeButton,
        field('result', 'span', { class: 'result', role: 'status' })),
      field('control-note', 'p', { class: 'note' }));
  }

  /** A push for another listener refreshes every card: one whose status and view are unchanged is left as it is. */
  update(status, view) {
    const same = status === this.status && view.synced === this.view.synced && view.hasToken === this.view.hasToken
      && view.cluster === this.view.cluster;
    this.status = status;
    this.view = view;
    if (!same) this.render();
  }

  render() {
    const s = this.status;
    const f = this.fields;
    if (!s) return;
    setText(f.type, s.type);
    setText(f.state, s.state);
    f.state.dataset.state = s.state;
    this.el.dataset.state = s.state;
    const cluster = this.view.cluster || {};
    setText(f.owner, ownerLine(s, cluster));
    this.el.dataset.owner = s.owner || '';
    this.el.dataset.epoch = String(typeof s.epoch === 'number' ? s.epoch : 0);
    setText(f.unassigned, unassignedLine(s));
    setText(f.desired, s.is_active ? 'running' : 'stopped');
    setText(f.actual, s.connection_status || (s.is_running ? 'connected' : 'disconnected'));
    setText(f.stale, this.view.synced ? '' : ' (last known: reconnecting to the server)');
    this.el.classList.toggle('is-stale', !this.view.synced);
    // Any kind may say its connection is up but silent for too long (its staleAfter).
    setText(f.silent, s.stale === true && s.state === 'CONNECTED' ? 'silent for longer than staleAfter' : '');
    this.el.classList.toggle('is-silent', s.stale === true && s.state === 'CONNECTED');
    const shown = errorLine(s, clock);
    setText(f.error, shown.text);
    f.error.title = shown.text; // the line is cut to one line; the whole error is here
    f.error.classList.toggle('past', shown.past);
    f.error.dataset.past = String(shown.past);
    setText(f.rate, `${count(s.rate_1m)} msg in the last minute`);
    setText(f.counters, [
      `in ${count(s.messages_in)}`, `out ${count(s.messages_out)}`, `${bytes(s.bytes_in)}`,
      `malformed ${count(s.malformed)}`, `deployments ${count(s.deployments)}`, `clients ${count(s.connected_clients)}`,
    ].join(' · '));
    const allowed = allowedActions(s);
    // The cluster refuses every change without a majority: the buttons say so rather than fail.
    const noMajority = cluster.clustered === true && cluster.majority_present === false;
    // Why no button of this card may act now ('' when they may): Edit and Remove too, so that nothing is
    // changed from a state the page only remembers.
    const blocked = !this.view.hasToken ? NEEDS_TOKEN : !this.view.synced ? 'waiting for the server'
      : this.inFlight ? `${this.inFlight} in progress` : noMajority ? NO_MAJORITY : '';
    for (const action of ACTIONS) {
      this.buttons[action].disabled = blocked !== '' || !allowed.has(action);
      this.buttons[action].title = blocked;
    }
    this.editButton.disabled = blocked !== '';
    this.editButton.title = blocked || `edit the definition of ${this.name}`;
    this.removeButton.disabled = blocked !== '' || !this.remove;
    this.removeButton.title = blocked || `remove ${this.name} and its definition`;
    // A disabled button's title is not reached by keyboard or touch: a reason the card shows nowhere else is said here.
    setText(f['control-note'], !this.view.hasToken ? 'Enter the control token (top right) to start, stop, restart, edit or remove.'
      : blocked === NO_MAJORITY ? `Buttons disabled: ${NO_MAJORITY}.` : '');
    this.tick(Date.now(), false);
  }

  /** Every second: the clocks that move without a push, and one chart sample. */
  tick(now, sample = true) {
    const s = this.status;
    if (!s) return;
    const since = s.connected_since ? Date.parse(s.connected_since) : null;
    setText(this.fields.uptime, s.state === 'CONNECTED' && since ? `up ${duration((now - since) / 1000)}` : '');
    const retryAt = s.next_retry_at ? Date.parse(s.next_retry_at) : null;
    setText(this.fields.retry, s.state === 'BACKOFF' && retryAt
      ? `retry in ${duration(Math.max(0, (retryAt - now) / 1000))} (attempt ${s.attempt})` : '');
    // The line is cut to one line; all of it is in its title.
    this.nowLine.title = ['uptime', 'silent', 'retry', 'unassigned'].map((key) => this.fields[key].textContent).filter(Boolean).join(' · ');
    if (sample) this.sample(now);
  }

  sample(now) {
    const total = this.status.messages_in;
    if (!this.view.synced || typeof total !== 'number') {
      this.lastSample = null;
      this.chart.add(now, null);
      setText(this.fields['rate-now'], '');
      return;
    }
    const last = this.lastSample;
    this.lastSample = { t: now, total };
    if (!last || total < last.total || now <= last.t) return;
    const rate = ((total - last.total) * 1000) / (now - last.t);
    this.chart.add(now, rate);
    setText(this.fields['rate-now'], `${formatRate(rate)}/s now`);
  }

  /** Removes the listener once the user confirmed; its card goes when the server says it is gone. */
  async runRemove() {
    if (this.inFlight || !this.remove) return;
    if (!this.confirm(`Remove the listener "${this.name}"? It is stopped and its definition deleted.`)) return;
    await this.run('remove', () => this.remove(this.name));
  }

  async run(action, perform = () => this.command(this.name, action).then((reply) => reply.status)) {
    if (this.inFlight) return;
    this.inFlight = action;
    setText(this.fields.result, `${action}…`);
    this.fields.result.dataset.outcome = 'pending';
    this.render();
    try {
      const outcome = await perform();
      setText(this.fields.result, `${action}: ${outcome}`);
      this.fields.result.dataset.outcome = 'ok';
    } catch (err) {
      // An answer lost with the socket (or too late) is no refusal: the server may have done it.
      const shown = failureOutcome(err);
      setText(this.fields.result, `${action} ${shown.text}`);
      this.fields.result.dataset.outcome = shown.outcome;
    } finally {
      this.inFlight = null;
      this.render();
    }
  }
}
