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
