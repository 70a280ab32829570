import { test } from 'node:test';
import assert from 'node:assert/strict';
import './fake-dom.mjs';
import { ListenerCard } from '../src/panels/listener-card.js';
import { FeedPanel } from '../src/panels/feed-panel.js';
import { openConnection } from './fake-bus.mjs';
import { clearDeadSockets, encodedSize } from '../src/connection.js';

test('a registration is held on its own socket only: not once unregistered, not after a reconnect', () => {
  const { conn, reconnect } = openConnection();
  const kept = conn.register('switchboard.status', () => {});
  const dropped = conn.register('switchboard.activity', () => {});
  assert.equal(conn.holds(kept), true);
  conn.unregister(dropped);
  assert.equal(conn.holds(dropped), false);
  reconnect();
  assert.equal(conn.holds(kept), false);
  assert.equal(conn.holds(null), false);
});

test('a command pending when the socket is lost is shown as not confirmed', async () => {
  const { conn, socket, reconnect } = openConnection();
  const card = new ListenerCard('feed', { command: (name, action) => conn.request('switchboard.control', { action, name }) });
  card.update({ name: 'feed', state: 'CONNECTED', is_active: true }, { synced: true, hasToken: true, cluster: {} });
  const running = card.run('restart');
  assert.equal(socket().requests.length, 1, 'sent');
  reconnect();
  await running;
  assert.equal(card.fields.result.dataset.outcome, 'unknown');
  assert.match(card.fields.result.textContent, /^restart not confirmed: the connection was lost before the reply/);
});

test('a send larger than the server takes is refused before it goes, with the reason; the socket stays', async () => {
  const { conn, socket } = openConnection();
  conn.maxMessageSize = 65536;
  // 20,000 quotes: 20 KB typed, four times that once the client library and SockJS have both quoted it.
  await assert.rejects(conn.request('upstream.feed.send', '"'.repeat(20000), { headers: { token: 't' } }),
    (err) => err.failureType === 'TOO_LARGE' && /too large: \d+ bytes once encoded, and the server takes at most 65536/.test(err.message));
  assert.equal(socket().requests.length, 0, 'nothing sent');
  assert.equal(conn.phase, 'connected');
  const within = conn.request('upstream.feed.send', 'a'.repeat(1000), { headers: { token: 't' } });
  assert.equal(socket().requests.length, 1, 'a message within the limit goes');
  socket().requests[0].callback(null, { body: 'sent' });
  assert.equal(await within, 'sent');
});

test('encodedSize is never below what SockJS puts on the wire, and equal for plain ASCII', async () => {
  const { default: escape } = await import('sockjs-client/lib/utils/escape.js');
  const onTheWire = (frame) => Buffer.byteLength(`[${escape.quote(JSON.stringify(frame))}]`, 'utf8');
  const texts = ['plain text', '"quoted" \\ back\\slash', 'tab\tnew\nline\u0001', 'é ü ß 中文 日本語', '😀'.repeat(50),
    '\u0300\u0301 combining \u2028 separators \ufff0', '\ud800 lone surrogate'];
  for (const body of texts) {
    const frame = { type: 'send', address: 'upstream.feed.send', headers: { token: 't' }, body, replyAddress: 'x'.repeat(36) };
    assert.ok(encodedSize(frame) >= onTheWire(frame), `${JSON.stringify(body)}: ${encodedSize(frame)} < ${onTheWire(frame)}`);
  }
  const ascii = { type: 'send', address: 'a', body: 'plain "text"', replyAddress: 'x'.repeat(36) };
  assert.equal(encodedSize(ascii), onTheWire(ascii));
});

test('after a loss with the socket still open, the next connect waits until the pool is cleared', async () => {
  const cleared = [];
  let finishClearing;
  const { conn, sockets } = openConnection({
    staleAfter: 1500,
    clearPath: (url, timeout) => {
      cleared.push({ url, timeout });
      return new Promise((resolve) => { finishClearing = resolve; });
    },
  });
  conn.lose('nothing heard from the server for 2 s');
  assert.deepEqual(cleared, [{ url: 'http://switchboard.test/eventbus', timeout: 1500 }]);
  conn.reconnectNow();
  conn.reconnectNow();
  assert.equal(sockets.length, 1, 'no new socket while the pool may hold dead ones');
  assert.equal(conn.phase, 'connecting');
  finishClearing();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(sockets.length, 2, 'one new socket once cleared');
  sockets.at(-1).onopen();
  assert.equal(conn.phase, 'connected');

  // A socket the server closed says the path works: nothing to clear.
  sockets.at(-1).onclose();
  conn.reconnectNow();
  assert.equal(sockets.length, 3);
  assert.equal(cleared.length, 1);
});

test('silence is a loss only when the check ran on time: a late check (a hidden tab, a machine asleep) pings and waits', () => {
  const { conn, socket } = openConnection({ staleAfter: 15000 });
  const t0 = conn.heardAt;
  conn.checkedAt = t0;
  for (let t = t0 + 1000; t <= t0 + 15000; t += 1000) conn.checkLiveness(t);
  assert.equal(conn.phase, 'connected', 'heard 15 s ago: not yet stale');

  // The browser ran the page's timers once in a minute: its own pings did not go either.
  conn.checkLiveness(t0 + 75000);
  assert.equal(conn.phase, 'connected', 'a late check proves nothing');
  assert.deepEqual(socket().frames.filter((f) => f.type === 'ping').length, 1, 'pinged at once');
  // No pong: from that check on the checks run on time, and 15 s later the connection is lost.
  for (let t = t0 + 76000; t <= t0 + 90000; t += 1000) conn.checkLiveness(t);
  assert.equal(conn.phase, 'connected');
  conn.checkLiveness(t0 + 91000);
  assert.equal(conn.phase, 'reconnecting');
  assert.equal(conn.lostBecause, 'nothing heard from the server for 15 s');
});

test('clearDeadSockets puts a whole pool of requests out at once and aborts the unanswered ones', async () => {
  const asked = [];
  let aborted = 0;
  const fetchImpl = (url, { signal }) => {
    asked.push(url);
    if (asked.length > 2) return Promise.resolve({ text: () => Promise.resolve('{}') });
    // The first two land on dead sockets: no answer, ever, until aborted.
    return new Promise((resolve, reject) => signal.addEventListener('abort', () => { aborted++; reject(new Error('aborted')); }));
  };
  const started = Date.now();
  assert.equal(await clearDeadSockets('http://switchboard.test/eventbus', 50, fetchImpl), undefined);
  assert.ok(Date.now() - started < 1000, 'settled once the unanswered ones were aborted');
  assert.equal(asked.length, 6);
  assert.equal(new Set(asked).size, 6);
  assert.ok(asked.every((url) => url.startsWith('http://switchboard.test/eventbus/info?probe=')), asked.join());
  assert.equal(aborted, 2);
});

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A GET /api/bridge whose answers the test gives: `answers[i]` is the i-th call's {resolve, reject}. */
function bridgeLimits() {
  const answers = [];
  const fetchLimits = () => new Promise((resolve, reject) => answers.push({ resolve, reject }));
  return { answers, fetchLimits };
}

test('the bridge\'s limits are read on each socket, again with backoff until they are; a socket gone stops asking', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  t.mock.method(console, 'warn', () => {});
  const { conn, reconnect } = openConnection();
  const { answers, fetchLimits } = bridgeLimits();
  let known = 0;
  conn.readLimits(fetchLimits, { onKnown: () => { known += 1; } });
  await settle();
  answers[0].resolve({ maxMessageSize: 65536 });
  await settle();
  assert.equal(conn.maxMessageSize, 65536);
  assert.equal(known, 1);

  reconnect();
  conn.readLimits(fetchLimits, { onKnown: () => { known += 1; } });
  assert.equal(conn.maxMessageSize, null, 'a restarted server may take another size');
  await settle();
  answers[1].reject(new Error('could not reach the server'));
  await settle();
  t.mock.timers.tick(60_000);
  await settle();
  assert.equal(answers.length, 3, 'asked again');
  answers[2].resolve({ error: 'no' });
  await settle();
  assert.equal(conn.maxMessageSize, null, 'an answer without the size is none');
  t.mock.timers.tick(60_000);
  await settle();
  answers[3].resolve({ maxMessageSize: 4096 });
  await settle();
  assert.equal(conn.maxMessageSize, 4096);
  assert.equal(known, 2);

  reconnect();
  conn.readLimits(fetchLimits);
  await settle();
  answers[4].reject(new Error('HTTP 503'));
  await settle();
  reconnect(); // before the next attempt: that socket's reading ends
  t.mock.timers.tick(60_000);
  await settle();
  assert.equal(answers.length, 5, 'not asked for a socket that is gone');
});

test('the feed sends nothing until it knows the largest message the server takes: one too large is then refused, never sent', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  t.mock.method(console, 'warn', () => {});
  const { conn, socket } = openConnection();
  const panel = new FeedPanel('feed', { send: (name, text) => conn.request(`upstream.${name}.send`, text, { headers: { token: 't' } }) });
  const view = () => ({ open: true, status: { state: 'CONNECTED' }, hasToken: true, sizeKnown: conn.maxMessageSize !== null });
  const { answers, fetchLimits } = bridgeLimits();
  conn.readLimits(fetchLimits, { onKnown: () => panel.update(view()) });
  panel.update(view());
  panel.input.value = '"'.repeat(20000); // four times 64 KiB once quoted twice on the wire
  panel.submit();
  await settle();
  answers[0].reject(new Error('no answer within 10 s'));
  await settle();
  assert.equal(socket().requests.length, 0, 'nothing sent while the size is unknown: the server would close the socket');
  assert.equal(panel.outbox.items[0].state, 'waiting');
  assert.match(panel.note.textContent, /messages wait until it is known/);

  t.mock.timers.tick(60_000);
  await settle();
  answers[1].resolve({ maxMessageSize: 65536 });
  await settle();
  assert.equal(panel.outbox.items[0].state, 'failed');
  assert.match(panel.outbox.items[0].error, /^too large: \d+ bytes once encoded, and the server takes at most 65536/);
  assert.equal(socket().requests.length, 0, 'never sent');
  assert.equal(panel.note.textContent, '');
});
