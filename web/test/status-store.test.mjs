import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusStore } from '../src/status-store.js';

const status = (name, state, extra = {}) => ({ name, state, is_active: state !== 'STOPPED', ...extra });

function store() {
  const changes = [];
  const s = new StatusStore((name, now, old, how) => changes.push({ name, state: now && now.state, old: old && old.state, how }));
  return { s, changes };
}

test('pushes are held until the snapshot, then only the newer ones apply', () => {
  const { s } = store();
  s.beginResync();
  s.push({ seq: 4, status: status('feed', 'STOPPED') });
  s.push({ seq: 6, status: status('feed', 'STARTING') });
  assert.equal(s.get('feed'), null);
  s.applySnapshot({ seq: 5, listeners: [status('feed', 'CONNECTED'), status('home', 'CONNECTED')] });
  assert.equal(s.get('feed').state, 'STARTING');
  assert.equal(s.get('home').state, 'CONNECTED');
  assert.equal(s.seq, 6);
});

test('a push past seq + 1 is applied and reported as a gap; the deltas then fill it without undoing newer pushes', () => {
  const { s } = store();
  s.applySnapshot({ seq: 10, listeners: [status('feed', 'CONNECTED'), status('home', 'CONNECTED')] });
  assert.equal(s.push({ seq: 11, status: status('feed', 'BACKOFF') }), false);
  assert.equal(s.push({ seq: 14, status: status('feed', 'CONNECTED') }), true);
  assert.equal(s.seq, 11);
  s.beginResync();
  s.push({ seq: 15, status: status('home', 'STOPPED') });
  assert.equal(s.applySince({
    mode: 'deltas', seq: 14,
    deltas: [{ seq: 12, status: status('feed', 'STARTING') }, { seq: 13, status: status('home', 'BACKOFF') }, { seq: 14, status: status('feed', 'CONNECTED') }],
  }), true);
  assert.equal(s.get('feed').state, 'CONNECTED');
  assert.equal(s.get('home').state, 'STOPPED');
  assert.equal(s.seq, 15);
});

test('a snapshot answer to since replaces everything; listeners not in it are removed', () => {
  const { s, changes } = store();
  s.applySnapshot({ seq: 3, listeners: [status('feed', 'CONNECTED'), status('old', 'CONNECTED')] });
  s.beginResync();
  assert.equal(s.applySince({ mode: 'snapshot', seq: 900, listeners: [status('feed', 'STOPPED')] }), true);
  assert.equal(s.get('old'), null);
  assert.equal(s.get('feed').state, 'STOPPED');
  assert.ok(changes.some((c) => c.name === 'old' && c.state === null));
});

test('deltas from a server whose seq is behind ours (it restarted) are refused: ask for the snapshot', () => {
  const { s } = store();
  s.applySnapshot({ seq: 500, listeners: [status('feed', 'CONNECTED')] });
  s.beginResync();
  assert.equal(s.applySince({ mode: 'deltas', seq: 3, deltas: [] }), false);
  assert.equal(s.synced, false);
  s.applySnapshot({ seq: 3, listeners: [status('feed', 'STOPPED')] });
  assert.equal(s.get('feed').state, 'STOPPED');
  s.push({ seq: 4, status: status('feed', 'STARTING') });
  assert.equal(s.get('feed').state, 'STARTING');
});

test('duplicates and older pushes change nothing', () => {
  const { s, changes } = store();
  s.applySnapshot({ seq: 7, listeners: [status('feed', 'CONNECTED')] });
  const before = changes.length;
  s.push({ seq: 7, status: status('feed', 'STOPPED') });
  s.push({ seq: 2, status: status('feed', 'STOPPED') });
  assert.equal(changes.length, before);
  assert.equal(s.get('feed').state, 'CONNECTED');
});

const tombstone = (name) => ({ name, type: 'upstream', removed: true });

test('a tombstone push removes the listener, reported as a change to null', () => {
  const { s, changes } = store();
  s.applySnapshot({ seq: 3, listeners: [status('feed', 'CONNECTED'), status('home', 'CONNECTED')] });
  changes.length = 0;
  assert.equal(s.push({ seq: 4, status: tombstone('feed') }), false);
  assert.equal(s.get('feed'), null);
  assert.deepEqual(s.all().map((l) => l.name), ['home']);
  assert.deepEqual(changes, [{ name: 'feed', state: null, old: 'CONNECTED', how: 'push' }]);
  assert.equal(s.seq, 4);
});

test('a tombstone for a listener the page never saw changes nothing, but still counts in seq', () => {
  const { s, changes } = store();
  s.applySnapshot({ seq: 3, listeners: [] });
  s.push({ seq: 4, status: tombstone('ghost') });
  assert.equal(s.get('ghost'), null);
  assert.equal(changes.length, 0);
  assert.equal(s.seq, 4);
});

test('an older delta cannot bring a removed listener back; a newer definition can', () => {
  const { s, changes } = store();
  s.applySnapshot({ seq: 10, listeners: [status('feed', 'CONNECTED')] });
  assert.equal(s.push({ seq: 13, status: tombstone('feed') }), true);
  assert.equal(s.get('feed'), null);
  s.beginResync();
  s.applySince({ mode: 'deltas', seq: 13, deltas: [{ seq: 12, status: status('feed', 'BACKOFF') }, { seq: 11, status: status('feed', 'STOPPING') }] });
  assert.equal(s.get('feed'), null);
  assert.equal(changes.filter((c) => c.name === 'feed' && c.how === 'resync').length, 0);
  s.push({ seq: 14, status: status('feed', 'STARTING') });
  assert.equal(s.get('feed').state, 'STARTING');
});

test('tombstones in held pushes and in deltas remove too', () => {
  const { s, changes } = store();
  s.applySnapshot({ seq: 1, listeners: [status('a', 'CONNECTED'), status('b', 'CONNECTED'), status('c', 'CONNECTED')] });
  s.beginResync();
  s.push({ seq: 4, status: tombstone('b') });
  assert.equal(s.get('b').state, 'CONNECTED', 'held, not applied yet');
  s.applySince({ mode: 'deltas', seq: 3, deltas: [{ seq: 2, status: status('a', 'BACKOFF') }, { seq: 3, status: tombstone('a') }] });
  assert.equal(s.get('a'), null);
  assert.equal(s.get('b'), null);
  assert.equal(s.get('c').state, 'CONNECTED');
  assert.equal(s.seq, 4);
  const removals = changes.filter((c) => c.state === null).map((c) => [c.name, c.old, c.how]);
  assert.deepEqual(removals, [['a', 'BACKOFF', 'resync'], ['b', 'CONNECTED', 'push']]);
});

test('a tombstone newer than a delta for the same listener wins, whichever comes first', () => {
  const { s } = store();
  s.applySnapshot({ seq: 5, listeners: [status('feed', 'CONNECTED')] });
  s.beginResync();
  s.applySince({ mode: 'deltas', seq: 7, deltas: [{ seq: 7, status: tombstone('feed') }, { seq: 6, status: status('feed', 'STOPPING') }] });
  assert.equal(s.get('feed'), null);
});

test('a snapshot never lists a tombstone as a listener', () => {
  const { s } = store();
  s.applySnapshot({ seq: 5, listeners: [status('feed', 'CONNECTED'), tombstone('old')] });
  assert.deepEqual(s.all().map((l) => l.name), ['feed']);
});
