import { h, setText, count } from '../dom.js';
import { dataAddresses } from '../kinds.js';
import { MessageList } from './message-list.js';

/** The panel's title: what kind of listener, and which. */
export function genericTitle(type, name) {
  return `${type} · ${name}`;
}

/** The kind's own status fields that the status carries, as [name, shown value, doc]. */
export function statusFacts(statusFields, status) {
  if (!status || !Array.isArray(statusFields)) return [];
  return statusFields.filter((f) => f && f.name in status && status[f.name] !== null && status[f.name] !== undefined)
    .map((f) => [f.name, showValue(status[f.name]), f.doc || '']);
}

function showValue(value) {
  if (typeof value === 'number') return count(value);
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 80)}…` : json;
}

/**
 * The panel of a listener whose kind has no panel of its own: the last messages on each of the
 * kind's data addresses (from `GET /api/kinds`), and the kind's own status fields.
 */
export class GenericPanel {
  constructor(name, type, { catalog }) {
    this.name = name;
    this.type = type;
    this.catalog = catalog;
    this.kind = null;
    this.conn = null;
    this.lists = new Map();
    this.stopWaiting = null;
    this.note = h('p', { class: 'note', dataset: { field: 'panel-note' } });
    this.facts = h('p', { class: 'stats', dataset: { field: 'status-fields' } });
    this.body = h('div', { class: 'addresses' });
    this.el = h('section', { class: 'panel generic', dataset: { panel: 'generic', listenerPanel: name, kind: type } },
      h('h2', {}, genericTitle(type, name)), this.facts, this.note, this.body);
    this.status = null;
    this.waitForKind();
  }

  waitForKind() {
    setText(this.note, 'reading the kinds from the server…');
    let ready = false;
    const stop = this.catalog.onReady((value, err) => {
      if (!value) {
        setText(this.note, `could not read the kinds (${err && err.message}); trying again`);
        return;
      }
      ready = true;
      this.stopWaiting = null;
      this.setKind(this.catalog.kind(this.type)); // may wait again, for a kind the kinds do not name yet
    });
    if (!ready) this.stopWaiting = stop; // called at once when the kinds are known: setKind's wait stands
  }

  setKind(kind) {
    this.kind = kind;
    if (!kind) {
      // A kind added to a server that restarted under the page: the kinds are read again, and the panel waits.
      setText(this.note, `the server does not describe the kind "${this.type}"`);
      this.stopWaiting = this.catalog.whenKnown(this.type, (known) => {
        this.stopWaiting = null;
        this.setKind(known);
      });
      return;
    }
    const addresses = dataAddresses(kind, this.name);
    setText(this.note, addresses.length ? '' : `a ${this.type} listener publishes no data the page can show`);
    if (kind.description) this.el.title = kind.description;
    for (const address of addresses) {
      // The listener's one seq counts every data address (and maybe others): a hole is no loss here.
      const list = new MessageList({ dataset: { address }, holesMeanLoss: false });
      this.lists.set(address, list);
      this.body.append(h('div', { class: 'address' }, h('h3', {}, h('code', {}, address)), list.el));
    }
    if (this.conn) this.lists.forEach((list, address) => list.attach(this.conn, address));
    this.renderFacts();
  }

  /** The socket is (re)open: listen on every data address (once the kind is known). */
  attach(conn) {
    this.conn = conn;
    this.lists.forEach((list, address) => list.attach(conn, address));
  }

  /** The listener is gone (or now of another kind): stop listening. */
  detach() {
    if (this.stopWaiting) this.stopWaiting();
    this.stopWaiting = null;
    this.lists.forEach((list) => list.detach(this.conn));
    this.conn = null;
  }

  update({ status }) {
    if (status) this.status = status;
    this.renderFacts();
  }

  renderFacts() {
    const facts = statusFacts(this.kind && this.kind.statusFields, this.status);
    this.facts.replaceChildren(...facts.flatMap(([name, value, doc], i) => [i ? ' · ' : '',
      h('span', { title: doc || null, dataset: { statusField: name } }, `${name} `, h('b', {}, value))]));
  }
}
