import { h, setText } from '../dom.js';
import { Outbox } from '../outbox.js';
import { NOT_CONFIRMED } from '../outcome.js';
import { MessageList, abbreviate } from './message-list.js';

/** Recent messages of a generic feed, and a send box whose messages survive a lost connection. */
export class FeedPanel {
  constructor(name, { send }) {
    this.name = name;
    this.address = `upstream.${name}.message`;
    this.conn = null;
    this.hasToken = false;
    this.outbox = new Outbox((text) => send(name, text), () => this.renderOutbox());
    this.messages = new MessageList();
    this.input = h('input', { type: 'text', placeholder: `a message for ${name}'s upstream`, 'aria-label': `Message for ${name}'s upstream`,
      dataset: { field: 'send-text' }, maxlength: 60000 });
    this.sendButton = h('button', { type: 'submit', dataset: { action: 'send' } }, 'Send');
    this.outboxCount = h('span', { class: 'outbox', dataset: { field: 'outbox' } });
    this.sent = h('ol', { class: 'sent', dataset: { field: 'sent' } });
    this.note = h('p', { class: 'note', dataset: { field: 'send-note' } });
    const form = h('form', { class: 'send', onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      this.input, this.sendButton, this.outboxCount);
    this.el = h('section', { class: 'panel feed', dataset: { feed: name } },
      h('h2', {}, `Feed · ${name}`),
      this.messages.el,
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
    this.conn = conn;
    this.messages.attach(conn, this.address);
  }

  /**
   * The listener is gone (or now of another kind): stop listening. Returns how many messages were still in the
   * outbox, waiting or on their way (one on its way to a listener just removed fails, and would wait again): none
   * of them is sent from now on, and the page says so rather than dropping them without a word.
   */
  detach() {
    this.messages.detach(this.conn);
    this.outbox.setReady(false);
    return this.outbox.waiting;
  }

  /**
   * Sending works when the page is connected, the listener is connected upstream, and the largest
   * message the server takes is known (`sizeKnown`): one too large is then refused before it goes.
   */
  update({ open, status, hasToken, sizeKnown }) {
    this.hasToken = hasToken;
    this.input.disabled = !hasToken;
    this.sendButton.disabled = !hasToken;
    const connected = status && status.state === 'CONNECTED';
    setText(this.note, !hasToken ? 'Sending needs the control token (top right).'
      : !open ? 'Not connected to the server: messages wait in the outbox and go out after the reconnect.'
        : !connected ? `${this.name} is ${status ? status.state : 'unknown'}: messages wait until it is connected.`
          : !sizeKnown ? 'Reading the largest message the server takes (GET /api/bridge): messages wait until it is known.' : '');
    this.outbox.setReady(Boolean(open && connected && hasToken && sizeKnown));
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
  return { waiting: 'waiting', sending: 'sending', sent: 'sent', failed: 'failed', unknown: NOT_CONFIRMED }[state] || state;
}
