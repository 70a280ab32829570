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

// ---- views: a seq counts in one stream (a process, or a cluster node) ----

test('the view of a snapshot is kept, and deltas of that view apply', () => {
  const { s } = store();
  s.applySnapshot({ seq: 5, view: 'node-a-view', listeners: [status('feed', 'CONNECTED')] });
  assert.equal(s.view, 'node-a-view');
  s.beginResync();
  assert.equal(s.applySince({ mode: 'deltas', seq: 6, view: 'node-a-view', deltas: [{ seq: 6, view: 'node-a-view', status: status('feed', 'BACKOFF') }] }), true);
  assert.equal(s.get('feed').state, 'BACKOFF');
  assert.equal(s.push({ seq: 7, view: 'node-a-view', status: status('feed', 'STARTING') }), false);
  assert.equal(s.get('feed').state, 'STARTING');
  assert.equal(s.seq, 7);
});

test('a since answer of another view is taken as the snapshot it is, with its view, and never as deltas', () => {
  const { s, changes } = store();
  s.applySnapshot({ seq: 40, view: 'node-a-view', listeners: [status('feed', 'CONNECTED', { owner: 'node-a', epoch: 1 }), status('gone', 'CONNECTED')] });
  s.beginResync();
  // Node b's stream is at seq 3: lower than ours, yet it is not a server that went back in time.
  assert.equal(s.applySince({ mode: 'snapshot', seq: 3, view: 'node-b-view', listeners: [status('feed', 'CONNECTED', { owner: 'node-c', epoch: 2 })] }), true);
  assert.equal(s.view, 'node-b-view');
  assert.equal(s.seq, 3);
  assert.equal(s.get('feed').owner, 'node-c');
  assert.equal(s.get('gone'), null);
  assert.ok(changes.some((c) => c.name === 'gone' && c.state === null && c.how === 'snapshot'));
  // And from then on, node b's pushes count.
  s.push({ seq: 4, view: 'node-b-view', status: status('feed', 'BACKOFF', { owner: 'node-c', epoch: 2 }) });
  assert.equal(s.get('feed').state, 'BACKOFF');
});

test('deltas that name another view are refused, even with a seq that would fit: ask for the snapshot', () => {
  const { s } = store();
  s.applySnapshot({ seq: 10, view: 'before-restart', listeners: [status('feed', 'CONNECTED')] });
  s.beginResync();
  const wrong = { mode: 'deltas', seq: 12, view: 'after-restart', deltas: [{ seq: 11, status: status('feed', 'STOPPED') }, { seq: 12, status: status('feed', 'STARTING') }] };
  assert.equal(s.applySince(wrong), false);
  assert.equal(s.get('feed').state, 'CONNECTED', 'not one delta of the other stream applied');
  assert.equal(s.synced, false);
});

test('a store that has a view refuses deltas from a server that names one it never gave', () => {
  const { s } = store();
  s.applySnapshot({ seq: 10, listeners: [status('feed', 'CONNECTED')] });
  assert.equal(s.view, null);
  s.beginResync();
  assert.equal(s.applySince({ mode: 'deltas', seq: 11, view: 'v', deltas: [{ seq: 11, status: status('feed', 'STOPPED') }] }), false);
  assert.equal(s.get('feed').state, 'CONNECTED');
});

test('a push of another view is not applied and asks for a resync; held pushes of another view are dropped', () => {
  const { s } = store();
  s.applySnapshot({ seq: 20, view: 'a', listeners: [status('feed', 'CONNECTED')] });
  assert.equal(s.push({ seq: 21, view: 'b', status: status('feed', 'STOPPED') }), true);
  assert.equal(s.get('feed').state, 'CONNECTED');
  s.beginResync();
  s.push({ seq: 22, view: 'a', status: status('feed', 'BACKOFF') }); // the old socket's last word, held
  s.push({ seq: 6, view: 'b', status: status('feed', 'STOPPING') });
  s.applySince({ mode: 'snapshot', seq: 5, view: 'b', listeners: [status('feed', 'CONNECTED')] });
  assert.equal(s.get('feed').state, 'STOPPING', 'the held push of the new view applies');
  assert.equal(s.seq, 6);
  s.beginResync();
  s.push({ seq: 30, view: 'a', status: status('feed', 'FAILED') });
  s.applySince({ mode: 'deltas', seq: 6, view: 'b', deltas: [] });
  assert.equal(s.get('feed').state, 'STOPPING', 'a push of view a, held, never lands in view b');
});

test('pushes that name no view (a single process) follow the seq as before', () => {
  const { s } = store();
  s.applySnapshot({ seq: 2, view: 'process', listeners: [status('feed', 'CONNECTED', { owner: null, epoch: 0 })] });
  assert.equal(s.push({ seq: 3, status: status('feed', 'BACKOFF', { owner: null, epoch: 0 }) }), false);
  assert.equal(s.get('feed').state, 'BACKOFF');
  assert.equal(s.seq, 3);
});

test('owner, epoch and UNASSIGNED with its reason are kept as the server sent them', () => {
  const { s, changes } = store();
  s.applySnapshot({ seq: 1, view: 'n', listeners: [status('feed', 'CONNECTED', { owner: 'node-a', epoch: 1 })] });
  const why = 'its owner node-a left (epoch 1); another node takes it over once the lease has run out (3 s)';
  s.push({ seq: 2, view: 'n', status: status('feed', 'UNASSIGNED', { owner: null, epoch: 1, unassigned_reason: why }) });
  assert.deepEqual([s.get('feed').state, s.get('feed').owner, s.get('feed').unassigned_reason], ['UNASSIGNED', null, why]);
  s.push({ seq: 3, view: 'n', status: status('feed', 'CONNECTED', { owner: 'node-b', epoch: 2 }) });
  assert.deepEqual([s.get('feed').owner, s.get('feed').epoch], ['node-b', 2]);
  assert.deepEqual(changes.slice(-2).map((c) => [c.state, c.old]), [['UNASSIGNED', 'CONNECTED'], ['CONNECTED', 'UNASSIGNED']]);
});

test('pushes held during a resync that skip a seq past its answer are applied, and the hole is reported', () => {
  const { s } = store();
  s.applySnapshot({ seq: 10, listeners: [status('feed', 'CONNECTED'), status('home', 'CONNECTED')] });
  s.beginResync();
  s.push({ seq: 12, status: status('home', 'BACKOFF') }); // 11 never came (a conflating server dropped it)
  s.push({ seq: 13, status: status('home', 'STARTING') });
  assert.equal(s.applySince({ mode: 'deltas', seq: 10, deltas: [] }), true);
  assert.equal(s.get('home').state, 'STARTING');
  assert.equal(s.seq, 10, 'seq stays before the hole, so that the next resync asks for it');
  assert.equal(s.gap, true);
  s.beginResync();
  s.applySince({ mode: 'deltas', seq: 13, deltas: [{ seq: 11, status: status('feed', 'STOPPED') }] });
  assert.equal(s.get('feed').state, 'STOPPED');
  assert.equal(s.gap, false);
  // The same from a snapshot answer, and release() says it too.
  s.beginResync();
  s.push({ seq: 30, status: status('feed', 'STARTING') });
  s.applySnapshot({ seq: 28, listeners: [status('feed', 'STOPPED')] });
  assert.equal(s.gap, true);
  s.beginResync();
  s.push({ seq: 29, status: status('feed', 'STARTING') });
  assert.equal(s.release(), false);
});

test('while the first snapshot is applied, its changes are told as how things stand (snapshots 0); every later one counts', () => {
  const seenAt = [];
  const store = new StatusStore((name, status, old) => seenAt.push({ name, old: Boolean(old), snapshots: store.snapshots }));
  store.beginResync();
  store.applySnapshot({ seq: 3, listeners: [{ name: 'feed', state: 'CONNECTED' }] });
  store.beginResync();
  store.applySnapshot({ seq: 9, listeners: [{ name: 'feed', state: 'CONNECTED' }, { name: 'home', state: 'STARTING' }] });
  assert.deepEqual(seenAt, [
    { name: 'feed', old: false, snapshots: 0 },
    { name: 'feed', old: true, snapshots: 1 },
    { name: 'home', old: false, snapshots: 1 },
  ]);
});

test('a push at or before the snapshot\'s seq is not applied: a listener removed before the snapshot does not come back', () => {
  const { s } = store();
  s.applySnapshot({ seq: 15, listeners: [status('home', 'CONNECTED')] });
  assert.equal(s.push({ seq: 11, status: status('x', 'CONNECTED') }), false);
  assert.equal(s.get('x'), null);
  assert.equal(s.seq, 15);
});

test('a removed listener\'s seq is forgotten once seq has passed it: a long-lived tab does not keep every name removed', () => {
  const { s } = store();
  s.applySnapshot({ seq: 0, listeners: [] });
  let seq = 0;
  for (let i = 0; i < 10000; i += 1) {
    s.push({ seq: ++seq, status: status(`l${i}`, 'STOPPED') });
    s.push({ seq: ++seq, status: { name: `l${i}`, type: 'upstream', removed: true } });
  }
  assert.equal(s.seqOf.size, 0);
  assert.equal(s.listeners.size, 0);
  // Past a hole, the tombstone's seq is kept until the hole is filled: an older delta cannot bring it back.
  s.push({ seq: seq + 2, status: { name: 'gone', type: 'upstream', removed: true } });
  assert.equal(s.seqOf.get('gone'), seq + 2);
  s.beginResync();
  s.applySince({ mode: 'deltas', seq: seq + 2, deltas: [{ seq: seq + 1, status: status('gone', 'CONNECTED') }] });
  assert.equal(s.get('gone'), null);
  assert.equal(s.seqOf.size, 0);
});
