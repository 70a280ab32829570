import { h, setText, count, clock } from '../dom.js';
import { formatRate } from '../sparkline.js';

const SYMBOL = /^[A-Z0-9][A-Z0-9./-]{0,19}$/;
const RATE_WINDOW = 5000;

/**
 * A market listener: symbols this page watches (registering on the trades address is what
 * subscribes it upstream; leaving or closing the page releases it), a live ticker per symbol, and
 * what the upstream says it is subscribed to. The watch list lives in this tab's sessionStorage,
 * so that a reload keeps it and another tab starts with its own.
 */
export class MarketPanel {
  constructor(name) {
    this.name = name;
    this.storageKey = `switchboard.market.${name}.watching`;
    this.conn = null;
    this.symbols = new Map();
    this.input = h('input', { type: 'text', placeholder: 'symbol, e.g. AAPL', 'aria-label': `Symbol for ${name} to watch`, dataset: { field: 'symbol' }, maxlength: 20 });
    this.message = h('span', { class: 'result', dataset: { field: 'watch-result' } });
    this.upstream = h('p', { class: 'stats', dataset: { field: 'upstream' } });
    this.body = h('tbody');
    const form = h('form', { class: 'watch', onsubmit: (e) => { e.preventDefault(); this.watchTyped(); } },
      this.input, h('button', { type: 'submit', dataset: { action: 'watch' } }, 'Watch'), this.message);
    this.el = h('section', { class: 'panel market', dataset: { market: name } },
      h('h2', {}, `Market · ${name}`), this.upstream, form,
      h('table', {}, h('thead', {}, h('tr', {}, ...['symbol', 'last', 'size', 'trades/s', 'at', ''].map((t) => h('th', {}, t)))), this.body));
    for (const symbol of this.load()) this.addRow(symbol);
  }

  load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(this.storageKey) || '[]');
      return Array.isArray(saved) ? saved.filter((s) => typeof s === 'string' && SYMBOL.test(s)) : [];
    } catch (e) {
      return [];
    }
  }

  save() {
    sessionStorage.setItem(this.storageKey, JSON.stringify([...this.symbols.keys()]));
  }

  watchTyped() {
    const symbol = this.input.value.trim().toUpperCase();
    if (!SYMBOL.test(symbol)) {
      setText(this.message, 'a symbol is letters, digits, ".", "/" or "-", up to 20, e.g. AAPL or BRK.B');
      return;
    }
    if (this.symbols.has(symbol)) {
      setText(this.message, `already watching ${symbol}`);
      return;
    }
    setText(this.message, '');
    this.input.value = '';
    this.addRow(symbol);
    this.save();
    this.listen(this.symbols.get(symbol));
  }

  addRow(symbol) {
    const row = {
      symbol,
      price: h('td', { dataset: { field: 'price' } }, '–'),
      size: h('td', { dataset: { field: 'size' } }),
      rate: h('td', { dataset: { field: 'rate' } }, '0'),
      at: h('td', { dataset: { field: 'at' } }),
      error: h('span', { class: 'error', dataset: { field: 'error' } }),
      trades: [],
      registration: null,
    };
    row.el = h('tr', { dataset: { symbol } },
      h('td', {}, h('b', {}, symbol), ' ', row.error), row.price, row.size, row.rate, row.at,
      h('td', {}, h('button', { type: 'button', 'aria-label': `Stop watching ${symbol}`, dataset: { action: 'unwatch' }, onclick: () => this.unwatch(symbol) },
        'Remove')));
    this.symbols.set(symbol, row);
    this.body.append(row.el);
  }

  unwatch(symbol) {
    const row = this.symbols.get(symbol);
    if (!row) return;
    if (this.conn) this.conn.unregister(row.registration);
    row.el.remove();
    this.symbols.delete(symbol);
    this.save();
  }

  /** The socket is (re)open: register every watched symbol again (each not yet registered on it). */
  attach(conn) {
    this.conn = conn;
    for (const row of this.symbols.values()) this.listen(row);
  }

  /** The listener is gone: stop watching (which releases the upstream subscriptions), but keep the list. */
  detach() {
    if (this.conn) for (const row of this.symbols.values()) this.conn.unregister(row.registration);
    this.conn = null;
  }

  /**
   * Registers the row once per socket. A symbol added while the page resyncs is registered before
   * attach() comes: a second handler would outlive Remove, since the client tells the server
   * 'unregister' only when an address's last handler goes, and the symbol would stay watched upstream.
   */
  listen(row) {
    if (!this.conn || this.conn.holds(row.registration)) return;
    row.registration = this.conn.register(`market.${this.name}.trades.${row.symbol}`, (envelope) => this.receive(row, envelope));
  }

  receive(row, envelope) {
    if (!envelope) return;
    if (envelope.type === 'error') {
      const d = envelope.data || {};
      setText(row.error, `refused: ${d.code || ''} ${d.message || ''}`.trim());
      return;
    }
    if (envelope.type !== 'trade' || !envelope.data) return;
    setText(row.error, '');
    const t = envelope.data;
    setText(row.price, typeof t.p === 'number' ? t.p.toFixed(2) : t.p);
    setText(row.size, t.s);
    setText(row.at, clock(t.t ? Date.parse(t.t) : envelope.ts));
    row.trades.push(Date.now());
  }

  tick(now) {
    for (const row of this.symbols.values()) {
      while (row.trades.length && row.trades[0] < now - RATE_WINDOW) row.trades.shift();
      setText(row.rate, formatRate((row.trades.length * 1000) / RATE_WINDOW));
    }
  }

  update({ status }) {
    if (!status) return;
    const active = status.active_symbols || {};
    const list = Object.entries(active).filter(([, symbols]) => symbols && symbols.length)
      .map(([channel, symbols]) => `${channel}: ${symbols.join(', ')}`);
    setText(this.upstream, [
      status.alpaca_connected ? 'upstream connected' : 'upstream not connected',
      `subscribed upstream: ${list.length ? list.join('; ') : 'nothing'}`,
      `${count(status.total_clients)} client(s) watching`,
    ].join(' · '));
    this.upstream.dataset.activeTrades = (active.trades || []).join(',');
    this.upstream.dataset.totalClients = String(status.total_clients ?? '');
  }
}
