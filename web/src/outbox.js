import { unconfirmed } from './outcome.js';

/** Failures after which the message certainly did not reach the upstream: it may be sent again. */
const NOT_SENT = new Set(['NOT_CONNECTED', 'NO_HANDLERS']);

/**
 * Messages typed into a send box. They wait while the page cannot send (disconnected, or the
 * listener is not connected upstream), then go out once each, in order, one at a time: the next
 * leaves only when the previous one is answered. A message the server refuses is marked failed,
 * never dropped silently; one whose fate is unknown (the socket died before the answer) is marked
 * so and not sent again, because sending twice is worse than asking the user.
 */
export class Outbox {
  constructor(send, onChange = () => {}, { retryDelay = 1000 } = {}) {
    this.send = send;
    this.onChange = onChange;
    this.retryDelay = retryDelay;
    this.items = [];
    this.ready = false;
    this.blockedUntil = 0;
    this.busy = false;
    this.nextId = 1;
    this.retryTimer = null;
  }

  add(text) {
    const item = { id: this.nextId++, text, state: 'waiting', error: null, at: Date.now() };
    this.items.push(item);
    this.trim();
    this.onChange(this);
    this.pump();
    return item;
  }

  /** Whether sending can work now; the page says so from the connection and the listener's state. */
  setReady(ready) {
    if (this.ready === ready) return;
    this.ready = ready;
    if (ready) this.pump();
  }

  get waiting() {
    return this.items.filter((i) => i.state === 'waiting' || i.state === 'sending').length;
  }

  canSend() {
    return this.ready && Date.now() >= this.blockedUntil;
  }

  async pump() {
    if (this.busy || !this.ready) return;
    const wait = this.blockedUntil - Date.now();
    if (wait > 0) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.pump(), wait + 1);
      return;
    }
    this.busy = true;
    try {
      let item;
      while (this.canSend() && (item = this.items.find((i) => i.state === 'waiting'))) {
        item.state = 'sending';
        this.onChange(this);
        try {
          await this.send(item.text);
          item.state = 'sent';
        } catch (err) {
          if (NOT_SENT.has(err.failureType) || err.failureCode === 503) {
            item.state = 'waiting';
            item.error = err.message;
            // The page's idea of "ready" was wrong a moment ago (the listener is reconnecting): try again soon.
            this.blockedUntil = Date.now() + this.retryDelay;
          } else if (unconfirmed(err)) {
            item.state = 'unknown';
            item.error = err.message;
          } else {
            item.state = 'failed';
            item.error = err.message || String(err);
          }
        }
        this.onChange(this);
      }
    } finally {
      this.busy = false;
    }
    if (this.ready && this.items.some((i) => i.state === 'waiting')) this.pump();
  }

  /** Keeps every message not yet settled, and the last few settled ones to show. */
  trim(keepSettled = 30) {
    const settled = this.items.filter((i) => i.state !== 'waiting' && i.state !== 'sending');
    if (settled.length <= keepSettled) return;
    const drop = new Set(settled.slice(0, settled.length - keepSettled));
    this.items = this.items.filter((i) => !drop.has(i));
  }
}
