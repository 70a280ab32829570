import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusStore } from '../src/status-store.js';
import { makeResync } from '../src/resync.js';
import { openConnection } from './fake-bus.mjs';
import { until } from './until.mjs';

const status = (name, state) => ({ name, state, is_active: state !== 'STOPPED' });

/** A store synced at seq 10 (feed connected), and a resync over a fake connection. */
function synced() {
  const { conn, socket } = openConnection();
  const store = new StatusStore();
  store.applySnapshot({ seq: 10, view: 'v', listeners: [status('feed', 'CONNECTED'), status('home', 'CONNECTED')] });
  const done = [];
  const resync = makeResync({ conn, store, generation: () => 1, onSynced: () => done.push(store.seq) });
  const asked = () => socket().requests.filter((r) => r.address === 'switchboard.status.since');
  return { store, resync, asked, done };
}

test('pushes held during a resync that skip a seq past its answer are asked for by another resync, with no later push', async () => {
  const { store, resync, asked, done } = synced();
  resync();
  assert.deepEqual(asked()[0].body, { seq: 10, view: 'v' });
  // Held meanwhile: 12 came, 11 (feed stopped) was dropped by a server that conflates for slow clients.
  store.push({ seq: 12, view: 'v', status: status('home', 'BACKOFF') });
  asked()[0].callback(null, { body: { mode: 'deltas', seq: 10, view: 'v', deltas: [] } });
  await until('the first resync is done', () => done.length === 1);
  assert.equal(store.gap, true);
  assert.equal(store.get('feed').state, 'CONNECTED', 'what fell in the hole is not known yet');

  await until('asked again, from before the hole', () => asked().length === 2);
  assert.deepEqual(asked()[1].body, { seq: 10, view: 'v' });
  asked()[1].callback(null, { body: { mode: 'deltas', seq: 12, view: 'v', deltas: [
    { seq: 11, view: 'v', status: status('feed', 'STOPPED') }, { seq: 12, view: 'v', status: status('home', 'BACKOFF') }] } });
  await until('the second resync is done', () => done.length === 2);
  assert.equal(store.get('feed').state, 'STOPPED');
  assert.equal(store.seq, 12);
  assert.equal(store.gap, false);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(asked().length, 2, 'nothing more to ask');
});

test('pushes held during a resync that follow its answer need no other resync', async () => {
  const { store, resync, asked, done } = synced();
  resync();
  store.push({ seq: 12, view: 'v', status: status('home', 'BACKOFF') });
  asked()[0].callback(null, { body: { mode: 'deltas', seq: 11, view: 'v', deltas: [{ seq: 11, view: 'v', status: status('feed', 'STOPPED') }] } });
  await until('the resync is done', () => done.length === 1);
  assert.equal(store.seq, 12);
  assert.equal(store.gap, false);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(asked().length, 1);
});

test('a resync that fails with a hole still open is asked again only after the retry delay, not at once in a loop', async () => {
  const { conn, socket } = openConnection();
  const store = new StatusStore();
  store.applySnapshot({ seq: 10, view: 'v', listeners: [status('feed', 'CONNECTED')] });
  store.gap = true; // a hole seen by the resync before, not yet filled
  let generation = 1;
  const resync = makeResync({ conn, store, generation: () => generation, onSynced: () => {}, retryDelay: 200 });
  const asked = () => socket().requests.filter((r) => r.address === 'switchboard.status.since' || r.address === 'switchboard.status.snapshot');
  resync();
  asked()[0].callback({ failureType: 'NO_HANDLERS', message: 'no handlers' }); // since fails: a snapshot is asked
  await until('the snapshot asked', () => asked().length === 2);
  asked()[1].callback({ failureType: 'NO_HANDLERS', message: 'no handlers' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(asked().length, 2, 'nothing asked again before the retry delay');
  await until('asked again after it', () => asked().length === 3);
  // The socket goes: its requests fail, and the resync of an old socket asks no more.
  generation = 2;
  socket().onclose();
});

test('every resync, a gap\'s second one too, tells the page first that the statuses are the last known', async () => {
  const { conn, socket } = openConnection();
  const store = new StatusStore();
  store.applySnapshot({ seq: 10, view: 'v', listeners: [status('feed', 'CONNECTED')] });
  const begun = [];
  const resync = makeResync({ conn, store, generation: () => 1, onBegin: () => begun.push(store.synced), onSynced: () => {} });
  const asked = () => socket().requests.filter((r) => r.address === 'switchboard.status.since');
  resync();
  assert.deepEqual(begun, [false]);
  store.push({ seq: 12, view: 'v', status: status('feed', 'BACKOFF') });
  asked()[0].callback(null, { body: { mode: 'deltas', seq: 10, view: 'v', deltas: [] } });
  await until('the gap\'s resync begun', () => begun.length === 2);
  assert.deepEqual(begun, [false, false]);
  await until('asked again', () => asked().length === 2);
  asked()[1].callback(null, { body: { mode: 'deltas', seq: 12, view: 'v', deltas: [
    { seq: 11, view: 'v', status: status('feed', 'STOPPED') }, { seq: 12, view: 'v', status: status('feed', 'BACKOFF') }] } });
  await until('synced', () => store.synced && !store.gap);
});
