// A helper, not a test file: node --test loads it with the rest of test/ and finds no tests in it.
import { Connection } from '../src/connection.js';

/**
 * The client library's EventBus as far as the page uses it, keeping its rule for the frames it sends:
 * `register` for an address's first handler, `unregister` only when its last one goes. `frames` is
 * what went to the server, so a test can tell what the server still sends this socket.
 */
export class FakeSocket {
  constructor() {
    this.handlers = new Map();
    this.frames = [];
    this.requests = [];
    this.closed = false;
  }

  registerHandler(address, callback) {
    if (!this.handlers.has(address)) {
      this.handlers.set(address, []);
      this.frames.push({ type: 'register', address });
    }
    this.handlers.get(address).push(callback);
  }

  unregisterHandler(address, callback) {
    const list = this.handlers.get(address);
    const at = list ? list.indexOf(callback) : -1;
    if (at < 0) return;
    list.splice(at, 1);
    if (list.length === 0) {
      this.handlers.delete(address);
      this.frames.push({ type: 'unregister', address });
    }
  }

  send(address, body, headers, callback) {
    this.requests.push({ address, body, headers, callback });
  }

  close() {
    this.closed = true;
  }

  /** The library sends a ping as its pings are turned on. */
  enablePing(on) {
    if (on) this.frames.push({ type: 'ping' });
  }

  /** How many of the page's handlers this socket holds for `address`. */
  handlerCount(address) {
    return (this.handlers.get(address) || []).length;
  }

  /** Whether the server still sends `address` to this socket: registered, and not unregistered since. */
  registeredUpstream(address) {
    const last = this.frames.filter((f) => f.address === address).pop();
    return Boolean(last) && last.type === 'register';
  }
}

/**
 * A real Connection over fake sockets, open. `sockets` are the ones it made, the current one last;
 * `reconnect()` closes the current one as a lost socket would, and opens the next.
 */
export function openConnection(options = {}) {
  globalThis.window ??= { addEventListener() {} };
  const sockets = [];
  // The liveness check's interval must not keep the test process alive.
  const realSetInterval = globalThis.setInterval;
  globalThis.setInterval = (fn, ms) => realSetInterval(fn, ms).unref();
  let conn;
  try {
    conn = new Connection('http://switchboard.test/eventbus', {
      staleAfter: 3_600_000,
      ...options,
      openSocket: () => {
        const socket = new FakeSocket();
        sockets.push(socket);
        return socket;
      },
    });
  } finally {
    globalThis.setInterval = realSetInterval;
  }
  conn.start();
  sockets.at(-1).onopen();
  const socket = () => sockets.at(-1);
  const reconnect = () => {
    socket().onclose();
    conn.reconnectNow();
    socket().onopen();
  };
  return { conn, sockets, socket, reconnect };
}
