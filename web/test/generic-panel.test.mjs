import { test } from 'node:test';
import assert from 'node:assert/strict';
import './fake-dom.mjs';
import { indexKinds, dataAddresses, KindCatalog } from '../src/kinds.js';
import { seqStep, summarize } from '../src/panels/message-list.js';
import { genericTitle, statusFacts, GenericPanel } from '../src/panels/generic-panel.js';
import { until } from './until.mjs';
import { openConnection } from './fake-bus.mjs';

const kindsJson = {
  kinds: [
    {
      type: 'ticker', namespace: 'tick', description: 'a ticker', fields: [{ name: 'url', type: 'url', required: true }],
      status_fields: [{ name: 'ticks', type: 'integer', doc: 'ticks seen' }, { name: 'venue', type: 'string', doc: '' }],
      addresses: { data: ['tick', 'quote'], receive: ['tick', 'quote'], ask: [], act: [] },
    },
    { type: 'bare', fields: 'nonsense' },
    { namespace: 'no-type' },
  ],
  common: [{ name: 'autoStart', type: 'boolean' }, { type: 'no name' }],
};

test('the kinds are indexed by type; what is malformed is dropped', () => {
  const { kinds, common } = indexKinds(kindsJson);
  assert.deepEqual([...kinds.keys()], ['ticker', 'bare']);
  assert.equal(kinds.get('bare').namespace, 'bare');
  assert.deepEqual(kinds.get('bare').fields, []);
  assert.deepEqual(common.map((f) => f.name), ['autoStart']);
  assert.deepEqual(indexKinds(null).kinds.size, 0);
});

test('a listener\'s data addresses are its kind\'s namespace, its name and each data suffix', () => {
  const { kinds } = indexKinds(kindsJson);
  assert.deepEqual(dataAddresses(kinds.get('ticker'), 't1'), ['tick.t1.tick', 'tick.t1.quote']);
  assert.deepEqual(dataAddresses(kinds.get('bare'), 'b'), []);
  assert.deepEqual(dataAddresses(null, 'b'), []);
});

test('the kinds are read once, and again after a failure until it works', async () => {
  let calls = 0;
  const catalog = new KindCatalog(async () => {
    calls += 1;
    if (calls < 3) throw new Error('HTTP 503');
    return kindsJson;
  }, { delay: () => 1 });
  const heard = [];
  catalog.onReady((value, err) => heard.push(value ? 'ready' : err.message));
  await assert.rejects(catalog.load(), /HTTP 503/);
  await until('the third read answered', () => heard.length === 3);
  assert.equal(calls, 3);
  assert.deepEqual(heard, ['HTTP 503', 'HTTP 503', 'ready']);
  assert.equal(catalog.kind('ticker').namespace, 'tick');
  await catalog.load();
  let late = null;
  catalog.onReady((value) => { late = value; });
  assert.ok(late);
  assert.equal(calls, 3, 'kept, not read again');
});

test('envelopes in order, duplicates dropped, a jump is a gap', () => {
  assert.deepEqual(seqStep(null, 5), { old: false, missed: 0 });
  assert.deepEqual(seqStep(5, 6), { old: false, missed: 0 });
  assert.deepEqual(seqStep(5, 5), { old: true, missed: 0 });
  assert.deepEqual(seqStep(5, 3), { old: true, missed: 0 });
  assert.deepEqual(seqStep(5, 9), { old: false, missed: 3 });
  assert.equal(seqStep(5, undefined).old, true);
});

test('a message in one line: text as text, anything else as abbreviated JSON', () => {
  assert.equal(summarize({ type: 'text', data: { text: 'hello' } }), 'hello');
  assert.equal(summarize({ type: 'tick', data: { p: 1.5, s: 'A' } }), '{"p":1.5,"s":"A"}');
  assert.equal(summarize({ type: 'tick', data: { long: 'x'.repeat(500) } }, 20), `${'{"long":"xxxxxxxxxxx'}…`);
  assert.equal(summarize({ type: 'empty' }), '');
});

test('the generic panel\'s title and the kind\'s status fields', () => {
  assert.equal(genericTitle('ticker', 't1'), 'ticker · t1');
  const { kinds } = indexKinds(kindsJson);
  assert.deepEqual(statusFacts(kinds.get('ticker').statusFields, { name: 't1', ticks: 12345, venue: 'X', other: 1 }),
    [['ticks', '12,345', 'ticks seen'], ['venue', 'X', '']]);
  assert.deepEqual(statusFacts(kinds.get('ticker').statusFields, { name: 't1', ticks: null }), []);
  assert.deepEqual(statusFacts(undefined, { name: 't1' }), []);
});

test('a data address whose kind became known while the page resynced is registered once, so removing the listener ends it', async () => {
  const { conn, socket, reconnect } = openConnection();
  let answerKinds;
  const catalog = new KindCatalog(() => new Promise((resolve) => { answerKinds = resolve; }));
  const panel = new GenericPanel('t1', 'ticker', { catalog });
  panel.attach(conn);
  await until('the kinds are asked for', () => answerKinds);
  reconnect();
  // Connected again, the resync not done: the kinds arrive, and the panel listens on the new socket.
  answerKinds(kindsJson);
  await until('the kind is known', () => panel.kind !== null);
  assert.equal(socket().handlerCount('tick.t1.tick'), 1);
  // The resync is done: the page attaches its panels to the new socket.
  panel.attach(conn);
  assert.equal(socket().handlerCount('tick.t1.tick'), 1, 'not registered a second time');
  panel.detach();
  for (const address of ['tick.t1.tick', 'tick.t1.quote']) {
    assert.equal(socket().handlerCount(address), 0, address);
    assert.equal(socket().registeredUpstream(address), false, `the server was told unregister ${address}`);
  }
});

test('after a reconnect every data address is registered again, once', async () => {
  const { conn, socket, reconnect } = openConnection();
  const panel = new GenericPanel('t1', 'ticker', { catalog: new KindCatalog(async () => kindsJson) });
  await until('the kind is known', () => panel.kind !== null);
  panel.attach(conn);
  assert.equal(socket().handlerCount('tick.t1.quote'), 1);
  reconnect();
  assert.equal(socket().handlerCount('tick.t1.quote'), 0, 'a new socket starts with none');
  panel.attach(conn);
  panel.attach(conn);
  assert.equal(socket().handlerCount('tick.t1.quote'), 1);
});

test('after a reconnect, the history is asked from the last seq seen with its ts, so the server can tell another count from its own', async () => {
  const { MessageList } = await import('../src/panels/message-list.js');
  const { conn, socket, reconnect } = openConnection();
  const list = new MessageList();
  list.attach(conn, 'upstream.feed.message');
  list.receive({ seq: 41, ts: 1767366245123, type: 'json', data: {} });
  reconnect();
  list.attach(conn, 'upstream.feed.message');
  const asked = socket().requests.find((r) => r.address === 'switchboard.history');
  assert.deepEqual(asked.body, { address: 'upstream.feed.message', after: 41, ts: 1767366245123 });
  asked.callback(null, { body: { mode: 'gap', oldest: 1, messages: [{ seq: 1, ts: 1767366300000, type: 'json', data: {} }] } });
  await until('the gap answer applied', () => list.lastSeq === 1);
  assert.equal(list.lastTs, 1767366300000);
});

test('after a gap answer with nothing kept, or a history that did not answer, the next reconnect asks for what the server keeps, the newest it shows', async () => {
  const { MessageList } = await import('../src/panels/message-list.js');
  for (const lost of [
    (request) => request.callback(null, { body: { mode: 'gap', oldest: null, messages: [] } }),
    (request) => request.callback({ failureType: 'TIMEOUT', message: 'no reply within 5 s' }),
  ]) {
    const { conn, socket, reconnect } = openConnection();
    const history = () => socket().requests.filter((r) => r.address === 'switchboard.history');
    const list = new MessageList();
    list.attach(conn, 'upstream.feed.message');
    list.receive({ seq: 41, ts: 1767366245123, type: 'json', data: {} });
    reconnect();
    list.attach(conn, 'upstream.feed.message');
    lost(history()[0]);
    await until('the answer applied', () => list.held === null);
    assert.equal(list.lastSeq, null, 'no seq known any more');

    // Nothing came since; the socket is lost again while the server keeps what is published.
    reconnect();
    list.attach(conn, 'upstream.feed.message');
    assert.deepEqual(history().map((r) => r.body), [{ address: 'upstream.feed.message', after: 0, last: 50 }]);
    history()[0].callback(null, { body: { mode: 'messages', address: 'upstream.feed.message', messages: [
      { seq: 1, ts: 1767366300000, type: 'json', data: { n: 1 } }, { seq: 2, ts: 1767366300100, type: 'json', data: { n: 2 } }] } });
    await until('the kept messages shown', () => list.lastSeq === 2);
    assert.deepEqual(list.el.children.slice(0, 2).map((li) => String(li.dataset.seq)), ['2', '1'], 'newest first, above what was shown before');
  }
});

test('a list that has seen nothing asks for everything kept, on its first attach and after a reconnect: what a quiet address published while the page was away is shown', async () => {
  const { MessageList } = await import('../src/panels/message-list.js');
  const { conn, socket, reconnect } = openConnection();
  const history = () => socket().requests.filter((r) => r.address === 'switchboard.history');
  const list = new MessageList();
  list.attach(conn, 'upstream.feed.message');
  assert.deepEqual(history().map((r) => r.body), [{ address: 'upstream.feed.message', after: 0, last: 50 }]);
  history()[0].callback(null, { body: { mode: 'gap', oldest: null, messages: [] } }); // a quiet address, older ones dropped
  await until('the answer applied', () => list.held === null);
  assert.deepEqual(list.el.children, [], 'nothing kept, and no marker: this page missed nothing');

  // Quiet still; the socket is lost, and the address publishes meanwhile.
  reconnect();
  list.attach(conn, 'upstream.feed.message');
  assert.deepEqual(history().map((r) => r.body), [{ address: 'upstream.feed.message', after: 0, last: 50 }]);
  history()[0].callback(null, { body: { mode: 'messages', address: 'upstream.feed.message', messages: [
    { seq: 7, ts: 1767366300000, type: 'json', data: { n: 7 } }] } });
  await until('the message sent meanwhile shown', () => list.lastSeq === 7);
  assert.deepEqual(list.el.children.map((li) => String(li.dataset.seq)), ['7']);

  // Removed meanwhile (detached): an answer still on its way draws nothing.
  const gone = new MessageList();
  gone.attach(conn, 'upstream.gone.message');
  gone.detach(conn);
  history().at(-1).callback(null, { body: { mode: 'messages', messages: [{ seq: 3, ts: 1767366300000, type: 'json', data: {} }] } });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(gone.el.children, []);

  // A history the server does not keep for an address (404): no marker on a list that knew no place.
  const other = new MessageList();
  other.attach(conn, 'tick.t1.quote');
  history().at(-1).callback({ failureCode: 404, message: 'no history for tick.t1.quote' });
  await until('the refusal applied', () => other.held === null);
  assert.deepEqual(other.el.children, []);
});

test('a history answer to an attach whose socket was lost does not release what the next attach holds', async () => {
  const { MessageList } = await import('../src/panels/message-list.js');
  const { conn, socket, reconnect } = openConnection();
  const list = new MessageList();
  list.attach(conn, 'upstream.feed.message');
  list.receive({ seq: 41, ts: 1767366245123, type: 'json', data: {} });
  reconnect(); // the first attach's history request fails with its socket
  list.attach(conn, 'upstream.feed.message');
  await new Promise((resolve) => setImmediate(resolve));
  assert.notEqual(list.held, null, 'still held until the answer to this attach');
  socket().handlers.get('upstream.feed.message')[0](null, { body: { seq: 45, ts: 1767366245500, type: 'json', data: {} } });
  const asked = socket().requests.find((r) => r.address === 'switchboard.history');
  asked.callback(null, { body: { mode: 'messages', messages: [42, 43, 44].map((seq) => ({ seq, ts: 1767366245200 + seq, type: 'json', data: {} })) } });
  await until('applied', () => list.held === null);
  assert.deepEqual(list.el.children.filter((li) => li.dataset.seq).map((li) => String(li.dataset.seq)), ['45', '44', '43', '42', '41']);
});

test('the generic panel marks no hole in the seqs as missed messages: its kind numbers all its data addresses in one count', async () => {
  const { conn, socket } = openConnection();
  const panel = new GenericPanel('t1', 'ticker', { catalog: new KindCatalog(async () => kindsJson) });
  await until('the kind is known', () => panel.kind !== null);
  panel.attach(conn);
  // Each list first asks what its address keeps: nothing yet.
  socket().requests.filter((r) => r.address === 'switchboard.history').forEach((r) => r.callback(null, { body: { mode: 'messages', messages: [] } }));
  await until('the answers applied', () => [...panel.lists.values()].every((list) => list.held === null));
  const deliver = (address, seq) => socket().handlers.get(address).forEach((fn) => fn(null, { body: { seq, ts: 1767366300000 + seq, type: 'tick', data: {} } }));
  deliver('tick.t1.tick', 5);
  deliver('tick.t1.quote', 6);
  deliver('tick.t1.tick', 7);
  deliver('tick.t1.quote', 9);
  for (const [address, list] of panel.lists) {
    assert.deepEqual(list.el.children.filter((li) => li.dataset.gap), [], address);
    assert.equal(list.el.children.length, 2, address);
  }
});

test('the feed\'s list, whose address has its listener\'s count to itself, marks a hole as missed messages', async () => {
  const { MessageList } = await import('../src/panels/message-list.js');
  const list = new MessageList();
  list.receive({ seq: 5, type: 'json', data: {} });
  list.receive({ seq: 8, type: 'json', data: {} });
  assert.equal(list.el.children[0].dataset.seq, 8);
  assert.equal(list.el.children[1].textContent, '— 2 message(s) missed —');
});

test('a history that did not answer, then one that does: what the list shows already is not drawn twice', async () => {
  const { MessageList } = await import('../src/panels/message-list.js');
  const { conn, socket, reconnect } = openConnection();
  const history = () => socket().requests.filter((r) => r.address === 'switchboard.history');
  const envelope = (seq) => ({ seq, ts: 1767366245000 + seq, type: 'json', data: { seq } });
  const list = new MessageList();
  list.attach(conn, 'upstream.feed.message');
  history()[0].callback(null, { body: { mode: 'messages', messages: [40, 41].map(envelope) } });
  await until('shown', () => list.lastSeq === 41);
  reconnect();
  list.attach(conn, 'upstream.feed.message');
  history()[0].callback({ failureType: 'DISCONNECTED', message: 'the connection was lost before the reply' });
  await until('the failure applied', () => list.held === null);
  reconnect();
  list.attach(conn, 'upstream.feed.message');
  history()[0].callback(null, { body: { mode: 'messages', messages: [39, 40, 41, 42].map(envelope) } });
  await until('the answer applied', () => list.lastSeq === 42);
  const seqs = list.el.children.filter((li) => li.dataset.seq).map((li) => String(li.dataset.seq));
  assert.deepEqual(seqs, ['42', '41', '40', '39'], 'each once, newest first: 39 and 42 were not shown before');
});

test('a listener of a kind the page does not know has the kinds read again (once per rereadAfter), and its panel waits for it', async () => {
  let reads = 0;
  const later = { kinds: [...kindsJson.kinds, { type: 'newkind', namespace: 'nk', addresses: { data: ['tick'], receive: ['tick'] } }] };
  const catalog = new KindCatalog(async () => (++reads === 1 ? kindsJson : later));
  await catalog.load();
  const panel = new GenericPanel('n1', 'newkind', { catalog });
  await until('the kinds read again, and the panel set up', () => panel.kind !== null);
  assert.equal(reads, 2);
  assert.deepEqual([...panel.lists.keys()], ['nk.n1.tick']);
  const other = new GenericPanel('x1', 'neverheardof', { catalog });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(reads, 2, 'not read again within rereadAfter');
  assert.equal(other.note.textContent, 'the server does not describe the kind "neverheardof"');
  other.detach();
  assert.equal(catalog.unknown.size, 0, 'a panel dropped stops waiting');
});

test('a read of the kinds again that fails, or comes too soon, is made later while a kind is still unknown', async () => {
  let reads = 0;
  const later = { kinds: [{ type: 'newkind', namespace: 'nk', addresses: { data: ['tick'], receive: ['tick'] } }] };
  const catalog = new KindCatalog(async () => {
    reads += 1;
    if (reads === 2) throw new Error('the server restarts');
    return reads === 1 ? kindsJson : later;
  }, { rereadAfter: 20 });
  await catalog.load();
  const panel = new GenericPanel('n1', 'newkind', { catalog });
  await until('read again after the failure, and the panel set up', () => panel.kind !== null);
  assert.equal(reads, 3);
});
