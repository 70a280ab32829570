import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterWatch, clusterCounters, clusterSummary, ownerChanged } from '../src/cluster.js';
import { ownerLine, unassignedLine, allowedActions } from '../src/panels/listener-card.js';
import { lifecycleEvent } from '../src/panels/activity-log.js';

const facts = {
  clustered: true, node: 'node-b', nodes: ['node-a', 'node-b', 'node-c'], configured: 3, majority: 2,
  majority_present: true, safe: true, leases_held: 0, takeovers: 0, fenced: 0, stale_dropped: 0, routes_mended: 0,
};
const listener = (name, state, owner, epoch, extra = {}) => ({ name, state, owner, epoch, is_active: true, ...extra });

test('the card says which node runs the listener and its epoch, and whether that is this node', () => {
  assert.equal(ownerLine(listener('feed', 'CONNECTED', 'node-a', 3), facts), 'on node-a · epoch 3');
  assert.equal(ownerLine(listener('feed', 'CONNECTED', 'node-b', 4), facts), 'on node-b (this node) · epoch 4');
  assert.equal(ownerLine(listener('feed', 'UNASSIGNED', null, 3), facts), 'no owner · epoch 3');
});

test('in a single process the card shows no owner line at all', () => {
  assert.equal(ownerLine(listener('feed', 'CONNECTED', null, 0), { clustered: false }), '');
  assert.equal(ownerLine(listener('feed', 'CONNECTED', null, 0), {}), '', 'nor before /api/cluster has answered');
});

test('UNASSIGNED says why, between owners; any other state says nothing of it', () => {
  const why = 'no majority: 1 of the 3 Switchboard nodes are present, 2 are needed; nothing runs until they are';
  assert.equal(unassignedLine(listener('feed', 'UNASSIGNED', null, 2, { unassigned_reason: why })), `between owners: ${why}`);
  assert.equal(unassignedLine(listener('feed', 'UNASSIGNED', null, 0)), 'between owners: no node owns it now');
  assert.equal(unassignedLine(listener('feed', 'CONNECTED', 'node-a', 2)), '');
});

test('an UNASSIGNED listener keeps the buttons of its desired state: any node takes the command', () => {
  assert.deepEqual([...allowedActions(listener('feed', 'UNASSIGNED', null, 2))].sort(), ['restart', 'stop']);
  assert.deepEqual([...allowedActions(listener('feed', 'UNASSIGNED', null, 2, { is_active: false }))], ['start']);
});

test('the log says unassigned with the reason, connected with the owner, and a move between owners', () => {
  const why = 'its owner node-a left (epoch 1); another node takes it over once the lease has run out (3 s)';
  assert.deepEqual(lifecycleEvent(listener('feed', 'CONNECTED', 'node-a', 1), listener('feed', 'UNASSIGNED', null, 1, { unassigned_reason: why })),
    { word: 'unassigned', detail: why });
  assert.equal(lifecycleEvent(null, listener('feed', 'CONNECTED', 'node-c', 2, { websocket_url: 'ws://x' })).detail, 'on node-c (epoch 2) · ws://x');
  assert.deepEqual(lifecycleEvent(listener('feed', 'CONNECTED', 'node-a', 1), listener('feed', 'CONNECTED', 'node-c', 2)),
    { word: 'moved', detail: 'to node-c (epoch 2)' });
  assert.equal(lifecycleEvent(listener('feed', 'CONNECTED', 'node-a', 1), listener('feed', 'CONNECTED', 'node-a', 1)), null);
  assert.equal(lifecycleEvent({ state: 'STARTING' }, { state: 'CONNECTED', websocket_url: 'ws://x' }).detail, 'ws://x', 'single process: as before');
});

test('the cluster panel lists every node present with what it owns, this node marked, and who is between owners', () => {
  const summary = clusterSummary(facts, [
    listener('market', 'CONNECTED', 'node-a', 1), listener('feed', 'CONNECTED', 'node-a', 2),
    listener('home', 'UNASSIGNED', null, 1), listener('gone-owner', 'BACKOFF', 'node-d', 5),
  ]);
  assert.deepEqual(summary.nodes, [
    { name: 'node-a', self: false, present: true, heard: true, owns: ['feed', 'market'] },
    { name: 'node-b', self: true, present: true, heard: true, owns: [] },
    { name: 'node-c', self: false, present: true, heard: true, owns: [] },
    { name: 'node-d', self: false, present: false, heard: false, owns: ['gone-owner'] },
  ]);
  assert.deepEqual(summary.unassigned, ['home']);
  assert.deepEqual([summary.node, summary.present, summary.heard, summary.configured, summary.majority, summary.majorityPresent],
    ['node-b', 3, 3, 3, 2, true]);
  assert.equal(summary.safe, true);
  assert.equal(clusterSummary({ ...facts, safe: false }, []).safe, false);
  assert.equal(clusterSummary({ ...facts, safe: undefined }, []).safe, false, 'an older node that does not say: not safe');
});

test('a member not heard from lately is marked: it no longer counts toward the majority', () => {
  const cut = clusterSummary({ ...facts, heard: ['node-b'], majority_present: false }, []);
  assert.deepEqual(cut.nodes.map((n) => [n.name, n.present, n.heard]),
    [['node-a', true, false], ['node-b', true, true], ['node-c', true, false]]);
  assert.deepEqual([cut.present, cut.heard, cut.majorityPresent], [3, 1, false]);
  const older = clusterSummary({ ...facts, heard: undefined }, []);
  assert.equal(older.heard, 3, 'a node that does not say: every member counts');
});

test('a single process has no cluster panel', () => {
  assert.equal(clusterSummary({ clustered: false }, [listener('feed', 'CONNECTED', null, 0)]), null);
  assert.equal(clusterSummary(null, []), null);
});

test('an owner change is: another owner, an owner gained or lost, a listener added or removed', () => {
  assert.equal(ownerChanged(listener('f', 'CONNECTED', 'node-a', 1), listener('f', 'BACKOFF', 'node-a', 1)), false);
  assert.equal(ownerChanged(listener('f', 'CONNECTED', 'node-c', 2), listener('f', 'CONNECTED', 'node-a', 1)), true);
  assert.equal(ownerChanged(listener('f', 'UNASSIGNED', null, 1), listener('f', 'CONNECTED', 'node-a', 1)), true);
  assert.equal(ownerChanged(listener('f', 'CONNECTED', null, 0), listener('f', 'BACKOFF', null, 0)), false, 'a single process: never');
  assert.equal(ownerChanged(null, listener('f', 'STOPPED', null, 0)), true);
});

/** Timers the test fires by hand: the watcher's schedule, without waiting for it. */
function manualTimers() {
  const pending = new Map();
  let next = 1;
  return {
    setTimeout: (fn, ms) => { pending.set(next, { fn, ms }); return next++; },
    clearTimeout: (id) => { pending.delete(id); },
    pending,
    fire() {
      const [id, t] = [...pending][0];
      pending.delete(id);
      t.fn();
    },
  };
}

test('the facts are read on connect and then polled only while clustered', async () => {
  const timers = manualTimers();
  let reads = 0;
  const heard = [];
  const watch = new ClusterWatch(async () => { reads += 1; return facts; }, (f) => heard.push(f.node), { every: 5000, timers });
  await watch.start();
  assert.equal(reads, 1);
  assert.equal(watch.clustered, true);
  assert.deepEqual([...timers.pending.values()].map((t) => t.ms), [5000]);
  timers.fire();
  await watch.reading;
  assert.equal(reads, 2);
  assert.deepEqual(heard, ['node-b', 'node-b']);
  watch.stop();
  assert.equal(timers.pending.size, 0, 'disconnected: no polling');
  await watch.refresh();
  assert.equal(reads, 2, 'and no reading on demand either');
});

test('a single process is read once per connect and never polled', async () => {
  const timers = manualTimers();
  let reads = 0;
  const watch = new ClusterWatch(async () => { reads += 1; return { clustered: false }; }, () => {}, { timers });
  await watch.start();
  assert.equal(watch.clustered, false);
  assert.equal(timers.pending.size, 0);
  await watch.start();
  assert.equal(reads, 2);
});

test('refreshes asked for during a read make one more read after it, and a failed read keeps the last facts', async () => {
  const timers = manualTimers();
  const answers = [facts, new Error('HTTP 503'), { ...facts, nodes: ['node-b', 'node-c'] }];
  let reads = 0;
  const heard = [];
  const watch = new ClusterWatch(async () => {
    const answer = answers[reads++];
    if (answer instanceof Error) throw answer;
    return answer;
  }, (f, err) => heard.push(err ? `error: ${err.message}, still ${f.nodes.length} nodes` : `${f.nodes.length} nodes`), { timers });
  const first = watch.start();
  watch.refresh();
  watch.refresh();
  await first;
  await watch.reading;
  assert.equal(reads, 2, 'two asks during one read: one more read');
  assert.deepEqual(heard, ['3 nodes', 'error: HTTP 503, still 3 nodes']);
  assert.equal(timers.pending.size, 1, 'still clustered, as far as is known: polling goes on');
  timers.fire();
  await watch.reading;
  assert.deepEqual(heard.at(-1), '2 nodes');
});

test('the counters line names every count of /api/cluster, the mended event-bus routes included', () => {
  assert.equal(clusterCounters({ ...facts, leases_held: 2, takeovers: 1, fenced: 0, stale_dropped: 5, routes_mended: 3 }),
    'On node-b: 2 leases held · 1 takeovers · 0 stopped for a late renewal or a silent majority · 5 stale messages dropped · 3 stale event-bus routes mended');
  assert.match(clusterCounters({ ...facts, routes_mended: undefined }), /0 stale event-bus routes mended$/, 'an older node without the count');
});

test('the counters line says when this node takes no listeners, and only then', () => {
  assert.match(clusterCounters({ ...facts, takes_leases: false }), /^On node-b: not taking listeners now · 0 leases held/);
  assert.match(clusterCounters({ ...facts, takes_leases: true }), /^On node-b: 0 leases held/);
  assert.match(clusterCounters({ ...facts, takes_leases: undefined }), /^On node-b: 0 leases held/, 'an older node without the field');
});

test('a read still under way when the page loses its server is dropped: the next connect reads at once, and the late answer is not taken', async () => {
  const timers = manualTimers();
  const pending = [];
  const heard = [];
  const watch = new ClusterWatch(() => new Promise((resolve) => pending.push(resolve)), (f) => heard.push(f && f.node), { timers });
  watch.start();
  await Promise.resolve();
  assert.equal(pending.length, 1, 'reading the lost server, on a dead path');
  watch.stop();
  watch.start();
  await Promise.resolve();
  assert.equal(pending.length, 2, 'the new connect reads at once, without waiting for the old read');
  pending[1]({ ...facts, node: 'node-c' });
  await watch.reading;
  assert.equal(watch.facts.node, 'node-c');
  pending[0]({ ...facts, node: 'node-a' });
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(watch.facts.node, 'node-c', 'the lost server\'s late answer is dropped');
  assert.deepEqual(heard, ['node-c']);
});

test('the cluster panel marks a member not heard from lately as silent, and says how many are', async () => {
  await import('./fake-dom.mjs');
  const { ClusterPanel } = await import('../src/panels/cluster-panel.js');
  const panel = new ClusterPanel();
  panel.render({ ...facts, heard: ['node-b'], majority_present: false }, null, [], { synced: true });
  assert.equal(panel.badge.textContent, 'no majority');
  assert.match(panel.summary.textContent, /3 of 3 Switchboard nodes present, 2 of them silent; 2 make a majority\./);
  const a = panel.nodes.find('node', 'node-a');
  assert.equal(a.dataset.heard, 'false');
  assert.match(a.textContent, /^node-a silent/);
  assert.doesNotMatch(panel.nodes.find('node', 'node-b').textContent, /silent/);
  panel.render(facts, null, [], { synced: true });
  assert.match(panel.summary.textContent, /3 of 3 Switchboard nodes present; 2 make a majority\./);
  assert.doesNotMatch(panel.nodes.textContent, /silent/);
});
