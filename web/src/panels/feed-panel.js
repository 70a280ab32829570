import { h, setText, clock } from '../dom.js';
import { Outbox } from '../outbox.js';

const SHOWN = 50;

/** Recent messages of a generic feed, and a send box whose messages survive a lost connection. */
export class FeedPanel {
  constructor(name, { send }) {
    this.name = name;
    this.address = `upstream.${name}.message`;
    this.lastSeq = null;
    this.held = null;
    this.hasToken = false;
    this.outbox = new Outbox((text) => send(name, text), () => this.renderOutbox());
    this.list = h('ol', { class: 'messages', dataset: { field: 'messages' } });
    this.input = h('input', { type: 'text', placeholder: `a message for ${name}'s upstream`, dataset: { field: 'send-text' }, maxlength: 60000 });
    this.sendButton = h('button', { type: 'submit', dataset: { action: 'send' } }, 'Send');
    this.outboxCount = h('span', { class: 'outbox', dataset: { field: 'outbox' } });
    this.sent = h('ol', { class: 'sent', dataset: { field: 'sent' } });
    this.note = h('p', { class: 'note', dataset: { field: 'send-note' } });
    const form = h('form', { class: 'send', onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      this.input, this.sendButton, this.outboxCount);
    this.el = h('section', { class: 'panel feed', dataset: { feed: name } },
      h('h2', {}, `Feed · ${name}`),
      this.list,
      h('h3', {}, 'Send'), form, this.note, this.sent);
    this.renderOutbox();
  }

  submit() {
    const text = this.input.value;
    if (!text.trim() || !this.hasToken) return;
    this.outbox.add(text);
    this.input.value = '';
    this.input.focus();
  }

  /** The socket is (re)open: listen again, and fetch what was missed from the history if the server keeps one. */
  attach(conn) {
    this.held = [];
    conn.register(this.address, (envelope) => (this.held ? this.held.push(envelope) : this.receive(envelope)));
    if (this.lastSeq === null) {
      this.release();
      return;
    }
    conn.request('switchboard.history', { address: this.address, after: this.lastSeq }, { timeout: 5000 })
      .then((reply) => {
        if (reply.mode !== 'messages') {
          // Some are lost (too old, or the server restarted and counts again): say so, then show what is kept.
          this.marker('messages missed while this page was away');
          this.lastSeq = null;
        }
        for (const envelope of reply.messages || []) this.receive(envelope);
      })
      .catch(() => {
        // No history on this server: what came meanwhile is unknown, and a restarted server counts again.
        this.marker('messages sent while this page was away are not shown');
        this.lastSeq = null;
      })
      .finally(() => this.release());
  }

  release() {
    const held = (this.held || []).sort((a, b) => a.seq - b.seq);
    this.held = null;
    held.forEach((envelope) => this.receive(envelope));
  }

  receive(envelope) {
    if (!envelope || typeof envelope.seq !== 'number') return;
    if (this.lastSeq !== null && envelope.seq <= this.lastSeq) return; // already shown
    if (this.lastSeq !== null && envelope.seq > this.lastSeq + 1) {
      this.marker(`${envelope.seq - this.lastSeq - 1} message(s) missed`);
    }
    this.lastSeq = envelope.seq;
    const summary = envelope.type === 'text' && envelope.data ? envelope.data.text : JSON.stringify(envelope.data);
    this.list.prepend(h('li', { dataset: { seq: envelope.seq } },
      h('span', { class: 'seq' }, `#${envelope.seq}`), ' ',
      h('time', {}, clock(envelope.ts || Date.now())), ' ',
      h('span', { class: 'type' }, envelope.type), ' ',
      h('code', {}, abbreviate(summary, 160))));
    this.trim();
  }

  marker(text) {
    this.list.prepend(h('li', { class: 'gap', dataset: { gap: 'true' } }, `— ${text} —`));
    this.trim();
  }

  trim() {
    while (this.list.children.length > SHOWN) this.list.lastElementChild.remove();
  }

  /** Sending works when the page is connected and the listener is connected upstream. */
  update({ open, status, hasToken }) {
    this.hasToken = hasToken;
    this.input.disabled = !hasToken;
    this.sendButton.disabled = !hasToken;
    const connected = status && status.state === 'CONNECTED';
    setText(this.note, !hasToken ? 'Sending needs the control token (top right).'
      : !open ? 'Not connected to the server: messages wait in the outbox and go out after the reconnect.'
        : !connected ? `${this.name} is ${status ? status.state : 'unknown'}: messages wait until it is connected.` : '');
    this.outbox.setReady(Boolean(open && connected && hasToken));
  }

  renderOutbox() {
    setText(this.outboxCount, this.outbox.waiting ? `${this.outbox.waiting} waiting in the outbox` : 'outbox empty');
    this.outboxCount.dataset.count = String(this.outbox.waiting);
    const rows = this.outbox.items.slice().reverse().map((item) => h('li', { dataset: { state: item.state, id: item.id } },
      h('span', { class: `state ${item.state}` }, label(item.state)), ' ',
      h('code', {}, abbreviate(item.text, 120)),
      item.error && item.state !== 'sent' ? h('span', { class: 'detail' }, ` ${item.error}`) : null));
    this.sent.replaceChildren(...rows);
  }
}

function label(state) {
  return { waiting: 'waiting', sending: 'sending', sent: 'sent', failed: 'failed', unknown: 'not confirmed' }[state] || state;
}

function abbreviate(text, max) {
  const s = String(text);
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}
