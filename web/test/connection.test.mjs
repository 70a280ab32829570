import { test } from 'node:test';
import assert from 'node:assert/strict';
import './fake-dom.mjs';
import { ListenerCard } from '../src/panels/listener-card.js';
import { openConnection } from './fake-bus.mjs';
import { encodedSize } from '../src/connection.js';

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
