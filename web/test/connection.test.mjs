import { test } from 'node:test';
import assert from 'node:assert/strict';
import './fake-dom.mjs';
import { ListenerCard } from '../src/panels/listener-card.js';
import { openConnection } from './fake-bus.mjs';

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
