import EventBus from '@vertx/eventbus-bridge-client.js';
import { backoffDelay, refetchDelay } from './backoff.js';
import { apiRequest } from './api.js';

/** SockJS's transports the page may use, in order of preference. */
const TRANSPORTS = ['websocket', 'xhr-streaming', 'xhr-polling'];

/** A failure as the page handles it: the bridge's reply failures, and the page's own. */
export class BusError extends Error {
  constructor(message, failureType, failureCode) {
    super(message);
    this.failureType = failureType;
    this.failureCode = failureCode;
  }
}

/** A reply address as the client library makes one (a UUID), for measuring a send before it goes. */
const REPLY_ADDRESS = 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx';

/**
 * At least the bytes a send takes on the wire: the client library's JSON, which SockJS quotes again
 * inside a JSON array, escaping some characters outside ASCII as \uXXXX. Each of those is counted as
 * escaped (6 bytes), which no character exceeds.
 */
export function encodedSize(frame) {
  const quoted = JSON.stringify(JSON.stringify(frame));
  let beyondAscii = 0;
  for (let i = 0; i < quoted.length; i++) if (quoted.charCodeAt(i) > 0x7e) beyondAscii++;
  return quoted.length + 5 * beyondAscii + 2;
}

/** How many requests a browser runs at once to one host over HTTP/1.1 (6 in every current browser), and so how many sockets its pool may keep idle. */
const POOL_SIZE = 6;

/**
 * Takes the browser's idle sockets to the server out of its pool, for after a path went dead. The pool
 * may still hold keep-alive sockets on that path, and the next request (SockJS's /info, first of every
 * connect) would wait on one of them until SockJS gives up on it after 8 s: one attempt lost per dead
 * socket. A request aborted before its answer makes the browser close its socket, so POOL_SIZE requests
 * at once, each aborted after `timeout`, leave no idle socket in the pool; a live server answers them on
 * new ones. Never rejects.
 */
export function clearDeadSockets(url, timeout, fetchImpl = globalThis.fetch) {
  const probes = [];
  for (let i = 0; i < POOL_SIZE; i++) {
    probes.push(apiRequest('GET', `${url}/info?probe=${i}`, { timeout, fetchImpl }).catch(() => {}));
  }
  return Promise.all(probes).then(() => {});
}

/**
 * One bridge connection at a time, made again with exponential backoff and jitter when it is lost.
 * The client library's own reconnect is not used: the page wants to show the countdown, reconnect
 * on demand, and know that every handler and pending request died with the old socket.
 *
 * Phases: connecting, connected, reconnecting (with `retryAt` and `attempt`), offline (the browser
 * says it has no network; the next attempt waits for it to come back).
 *
 * An open socket is not proof of a live server: a path that black-holes traffic keeps it "open"
 * forever. The client pings every 5 s and the server answers each ping; when nothing at all is heard
 * for `staleAfter`, the connection is declared lost (`lostBecause` says why) and made again. The
 * browser going offline is a loss too. After such a loss the next connect waits for `clearPath`
 * (clearDeadSockets, at most 2 s), so that it does not go out on a dead pooled socket.
 *
 * `openSocket` makes the client library's EventBus; the page's tests give a fake one.
 */
export class Connection {
  constructor(url, {
    onOpen = () => {}, onClose = () => {}, onChange = () => {}, backoff = {}, staleAfter = 15000,
    openSocket = (socketUrl, options) => new EventBus(socketUrl, options),
    clearPath = clearDeadSockets,
  } = {}) {
    this.url = url;
    this.openSocket = openSocket;
    this.clearPath = clearPath;
    /** Set from a loss with the socket still open until the pool is cleared: connect waits for it. */
    this.clearing = null;
    /** The largest send the server takes (GET /api/bridge, readLimits); null until read on this socket. */
    this.maxMessageSize = null;
    this.onOpen = onOpen;
    this.onClose = onClose;
    this.onChange = onChange;
    this.backoff = backoff;
    this.eb = null;
    this.phase = 'connecting';
    this.attempt = 0;
    this.retryAt = null;
    this.timer = null;
    this.pending = new Set();
    this.handlers = [];
    this.staleAfter = staleAfter;
    this.heardAt = 0;
    this.lostBecause = null;
    window.addEventListener('online', () => {
      if (this.phase === 'offline') this.reconnectNow();
    });
    window.addEventListener('offline', () => {
      if (this.phase === 'connected') this.lose('the browser went offline');
      else if (this.phase === 'reconnecting') this.setPhase('offline');
    });
    this.checkEvery = Math.max(100, Math.min(1000, this.staleAfter / 4));
    this.checkedAt = Date.now();
    setInterval(() => this.checkLiveness(Date.now()), this.checkEvery);
  }

  /**
   * Declares the connection lost when nothing was heard for `staleAfter`; run every `checkEvery`. A check that
   * itself ran late proves nothing: the browser held back this page's timers (a tab hidden for minutes runs them
   * once a minute, the pings included) or the machine slept. Then the server is pinged, and the silence is
   * counted from now.
   */
  checkLiveness(now) {
    const late = now - this.checkedAt > 3 * this.checkEvery;
    this.checkedAt = now;
    if (this.phase !== 'connected') return;
    if (late) {
      this.heardAt = Math.max(this.heardAt, now);
      this.ping();
    } else if (now - this.heardAt > this.staleAfter) {
      this.lose(`nothing heard from the server for ${Math.round(this.staleAfter / 1000)} s`);
    }
  }

  /** A ping now (the client library sends one as it turns its pings on), and every interval from now. */
  ping() {
    try {
      this.eb.enablePing(false);
      this.eb.enablePing(true);
    } catch (e) { /* a socket that cannot send is judged by the next checks */ }
  }

  /** Anything from the server (a message, a reply, a pong) proves the connection is alive. */
  heard() {
    this.heardAt = Date.now();
  }

  /**
   * The connection is gone although the socket may not know it yet: forget it (its handlers and
   * pending requests die with it) and make a new one, as when it closes.
   */
  lose(reason) {
    const eb = this.eb;
    if (!eb) return;
    this.lostBecause = reason;
    this.eb = null;
    try { eb.close(); } catch (e) { /* a dead socket may refuse even that */ }
    try {
      this.clearing = Promise.resolve(this.clearPath(this.url, Math.min(2000, this.staleAfter))).catch(() => {});
    } catch (e) {
      this.clearing = null;
    }
    this.closed(true);
  }

  closed(wasOpen) {
    this.dropPending();
    this.handlers = [];
    this.scheduleReconnect();
    this.onClose(this, wasOpen);
  }

  start() {
    this.connect();
  }

  get open() {
    return this.phase === 'connected';
  }

  reconnectNow() {
    if (this.phase === 'connected') return;
    this.connect();
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    this.retryAt = null;
    if (this.eb) {
      const old = this.eb;
      this.eb = null;
      try { old.close(); } catch (e) { /* already closed */ }
    }
    if (this.clearing) {
      const clearing = this.clearing;
      this.setPhase('connecting');
      clearing.then(() => {
        if (this.clearing !== clearing) return;
        this.clearing = null;
        this.connect();
      });
      return;
    }
    // Only transports that load nothing but this server's own URLs: SockJS's iframe and JSONP ones would
    // need inline script or a frame, which the server's Content-Security-Policy refuses (and every
    // browser the page supports has WebSockets, and XHR as the fallback).
    // Pings often enough that a live server is heard at least three times within staleAfter.
    const eb = this.openSocket(this.url, { transports: TRANSPORTS, vertxbus_ping_interval: Math.min(5000, Math.floor(this.staleAfter / 3)) });
    this.eb = eb;
    this.setPhase('connecting');
    // Every ping is answered with an unaddressed pong, which the library hands to onunhandled.
    eb.onunhandled = (json) => {
      if (this.eb !== eb) return;
      this.heard();
      if (json && json.type === 'err') eb.onerror(json);
    };
    eb.onopen = () => {
      if (this.eb !== eb) return;
      this.heard();
      this.lostBecause = null;
      this.attempt = 0;
      this.setPhase('connected');
      this.onOpen(this);
    };
    eb.onclose = () => {
      if (this.eb !== eb) return;
      const wasOpen = this.phase === 'connected';
      this.eb = null;
      if (wasOpen) this.lostBecause = 'the server closed the connection';
      this.closed(wasOpen);
    };
    // The bridge's unaddressed errors ("rejected", "access_denied"): the addressed replies carry the detail.
    eb.onerror = (err) => console.warn('bridge:', err && (err.body || err.message || err));
  }

  scheduleReconnect() {
    this.attempt += 1;
    const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
    // Offline, the 'online' event reconnects at once; a slow retry covers a browser that never sends it.
    const delay = offline ? backoffDelay(Infinity, this.backoff) : backoffDelay(this.attempt, this.backoff);
    this.retryAt = Date.now() + delay;
    this.timer = setTimeout(() => this.connect(), delay);
    this.setPhase(offline ? 'offline' : 'reconnecting');
  }

  setPhase(phase) {
    this.phase = phase;
    this.onChange(this);
  }

  /**
   * Reads the bridge's limits for the socket just opened (`fetchLimits` answers GET /api/bridge's body),
   * again with backoff until it answers, then calls `onKnown`. A restarted server may take another size,
   * so each socket reads it anew; until then `maxMessageSize` is null and sends are not measured, so
   * whatever may be large waits for it (the feed's outbox): the server would close the socket on one
   * too large, and the send would be "not confirmed" instead of refused. Stops when the socket goes.
   */
  readLimits(fetchLimits, { onKnown = () => {}, delay = refetchDelay } = {}) {
    const eb = this.eb;
    this.maxMessageSize = null;
    let attempt = 0;
    const ask = () => {
      if (this.eb !== eb) return; // the socket went: the next one reads its own
      Promise.resolve().then(fetchLimits).then((limits) => {
        if (!limits || !Number.isInteger(limits.maxMessageSize)) throw new Error('the answer has no maxMessageSize');
        return limits.maxMessageSize;
      }).then((size) => {
        if (this.eb !== eb) return;
        this.maxMessageSize = size;
        onKnown();
      }, (err) => {
        attempt += 1;
        console.warn(`the bridge's limits: ${err.message}; asking again`);
        setTimeout(ask, delay(attempt));
      });
    };
    ask();
  }

  /** Requests are answered or failed; one still waiting when the socket dies fails as DISCONNECTED. */
  request(address, body, { headers = {}, timeout = 10000 } = {}) {
    return new Promise((resolve, reject) => {
      const eb = this.eb;
      if (!eb || this.phase !== 'connected') {
        reject(new BusError('not connected to the server', 'NOT_CONNECTED', -1));
        return;
      }
      // The server closes a socket that sends more than it takes: refused here instead, with the reason
      // (not measured while the size is unknown: what may be large waits for it, see readLimits).
      const size = this.maxMessageSize === null ? 0 : encodedSize({ type: 'send', address, headers, body, replyAddress: REPLY_ADDRESS });
      if (size > this.maxMessageSize) {
        reject(new BusError(`too large: ${size} bytes once encoded, and the server takes at most ${this.maxMessageSize} `
          + '(http.bridge.maxMessageSize)', 'TOO_LARGE', 413));
        return;
      }
      const entry = { reject };
      const finish = () => {
        clearTimeout(entry.timer);
        this.pending.delete(entry);
      };
      entry.timer = setTimeout(() => {
        finish();
        reject(new BusError(`no reply within ${timeout / 1000} s`, 'TIMEOUT', -1));
      }, timeout);
      entry.reject = (err) => { finish(); reject(err); };
      this.pending.add(entry);
      try {
        eb.send(address, body, headers, (err, message) => {
          if (this.eb === eb) this.heard();
          if (!this.pending.has(entry)) return;
          finish();
          if (err) reject(new BusError(err.message || String(err.failureType), err.failureType, err.failureCode));
          else resolve(message.body);
        });
      } catch (e) {
        finish();
        reject(new BusError('not connected to the server', 'NOT_CONNECTED', -1));
      }
    });
  }

  dropPending() {
    for (const entry of [...this.pending]) {
      entry.reject(new BusError('the connection was lost before the reply', 'DISCONNECTED', -1));
    }
  }

  /** Registers for this connection only: a new connection starts with none (the page registers again). */
  register(address, handler) {
    if (!this.eb || this.phase !== 'connected') return null;
    const eb = this.eb;
    const wrapped = (err, message) => {
      if (this.eb === eb) this.heard();
      if (!err) handler(message.body, message);
    };
    this.eb.registerHandler(address, wrapped);
    const registration = { address, wrapped, eb: this.eb };
    this.handlers.push(registration);
    return registration;
  }

  /** Whether `registration` is live on the current socket: one made before a reconnect, or unregistered, is not. */
  holds(registration) {
    return Boolean(registration) && registration.eb === this.eb && this.handlers.includes(registration);
  }

  unregister(registration) {
    if (!registration || registration.eb !== this.eb || this.phase !== 'connected') return;
    this.handlers = this.handlers.filter((r) => r !== registration);
    try {
      this.eb.unregisterHandler(registration.address, registration.wrapped);
    } catch (e) { /* the socket is closing: the server drops its registrations with it */ }
  }
}
