/** How often, at most, the page's log says that the server dropped messages for it. */
export const NOTE_EVERY_MS = 10000;

/**
 * The server's notices of messages it did not send this page because the page read too slowly
 * (`switchboard.bridge.dropped`, `{dropped: {<address>: <count>}}`, under `slowClients: "conflate"`). Each
 * notice's addresses go to `onAddresses` at once; the log gets a line every NOTE_EVERY_MS at most, with all
 * that was dropped since the last, so that a page kept busy is not made busier by its own log.
 */
export class DropNotices {
  constructor({ onAddresses, note, now = () => Date.now() }) {
    this.onAddresses = onAddresses;
    this.note = note;
    this.now = now;
    this.pending = new Map();
    this.notedAt = -Infinity;
    this.timer = null;
  }

  tell(notice) {
    const counts = notice && typeof notice.dropped === 'object' && notice.dropped !== null ? notice.dropped : {};
    const addresses = Object.keys(counts).filter((a) => Number.isInteger(counts[a]) && counts[a] > 0);
    if (addresses.length === 0) return;
    addresses.forEach((a) => this.pending.set(a, (this.pending.get(a) || 0) + counts[a]));
    this.onAddresses(addresses);
    this.writeNote();
  }

  writeNote() {
    if (this.pending.size === 0 || this.timer) return;
    const wait = this.notedAt + NOTE_EVERY_MS - this.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.writeNote();
      }, wait);
      return;
    }
    const total = [...this.pending.values()].reduce((a, b) => a + b, 0);
    const which = [...this.pending.entries()].map(([address, n]) => `${n} of ${address}`).join(', ');
    this.pending.clear();
    this.notedAt = this.now();
    this.note(`the server dropped ${total} message(s) for this page, which read them too slowly: ${which}`);
  }
}
