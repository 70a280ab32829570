import { test } from 'node:test';
import assert from 'node:assert/strict';
import './fake-dom.mjs';
import { allowedActions, errorLine, ListenerCard } from '../src/panels/listener-card.js';
import { HomeAssistantPanel } from '../src/panels/homeassistant-panel.js';
import { MarketPanel } from '../src/panels/market-panel.js';
import { FeedPanel } from '../src/panels/feed-panel.js';
import { openConnection } from './fake-bus.mjs';
import { BusError } from '../src/connection.js';
import { lifecycleEvent } from '../src/panels/activity-log.js';
import { ActivityPanel, flagMap } from '../src/panels/activity-panel.js';
import { clock } from '../src/dom.js';

test('buttons follow the server state only', () => {
  assert.deepEqual([...allowedActions({ is_active: true, state: 'CONNECTED' })].sort(), ['restart', 'stop']);
  assert.deepEqual([...allowedActions({ is_active: false, state: 'STOPPED' })], ['start']);
  assert.deepEqual([...allowedActions({ is_active: true, state: 'FAILED' })].sort(), ['restart', 'start', 'stop']);
  assert.deepEqual([...allowedActions(null)], []);
});

test('lifecycle words', () => {
  assert.equal(lifecycleEvent({ state: 'CONNECTED' }, { state: 'BACKOFF', attempt: 1, last_error: { message: 'closed' } }).word, 'disconnected');
  assert.equal(lifecycleEvent({ state: 'STARTING' }, { state: 'BACKOFF', attempt: 2 }).word, 'backoff');
  assert.equal(lifecycleEvent({ state: 'CONNECTED' }, { state: 'CONNECTED' }), null);
  assert.equal(lifecycleEvent(null, { state: 'STOPPED' }).word, 'stopped');
});

test('flags in either shape', () => {
  assert.deepEqual(flagMap(['thinking']), { thinking: true });
  assert.deepEqual(flagMap({ thinking: true, extraction: false }), { thinking: true, extraction: false });
  assert.deepEqual(flagMap({ thinking: { since: 'x' } }), { thinking: true });
  assert.deepEqual(flagMap(null), {});
});

test('a last error is shown as past once the listener is connected again', () => {
  const error = { at: '2026-12-01T10:00:00Z', message: 'connection closed by upstream (code 1006)', code: '1006' };
  const failing = errorLine({ state: 'BACKOFF', last_error: error }, () => '10:00:00');
  assert.equal(failing.past, false);
  assert.equal(failing.text, 'last error [1006]: connection closed by upstream (code 1006) at 10:00:00');
  const recovered = errorLine({ state: 'CONNECTED', last_error: error }, () => '10:00:00');
  assert.equal(recovered.past, true);
  assert.match(recovered.text, /^earlier error, before this connection \[1006]: .* at 10:00:00$/);
  assert.deepEqual(errorLine({ state: 'CONNECTED', last_error: null }), { text: '', past: false });
});

const lostAnswer = () => new BusError('the connection was lost before the reply', 'DISCONNECTED', -1);

test('a card is made with every button disabled: until its first update, it does not know what the server allows', () => {
  const card = new ListenerCard('feed', { command: () => {}, remove: () => {} });
  for (const button of [...Object.values(card.buttons), card.editButton, card.removeButton]) {
    assert.equal(button.disabled, true, `${button.dataset.action} is disabled`);
  }
  card.update({ name: 'feed', state: 'STOPPED', is_active: false }, { synced: true, hasToken: true, cluster: {} });
  assert.equal(card.buttons.start.disabled, false);
  assert.equal(card.buttons.stop.disabled, true);
});

test('what a state adds (uptime and silence, the retry, why no node runs it) shares one line, with all of it in its title', () => {
  const card = new ListenerCard('feed', { command: () => {} });
  const view = { synced: true, hasToken: true, cluster: {} };
  const line = card.nowLine;
  for (const key of ['uptime', 'silent', 'retry', 'unassigned']) {
    assert.equal(card.fields[key].parentNode, line, `${key} is in the state's line`);
  }
  const since = new Date(Date.now() - 65_000).toISOString();
  card.update({ name: 'feed', state: 'CONNECTED', is_active: true, connected_since: since, stale: true }, view);
  assert.match(line.title, /^up 1m [56]s · silent for longer than staleAfter$/);
  assert.equal(line.textContent.replace(/\s/g, ''), line.title.replace(/[\s·]/g, ''));
  card.update({ name: 'feed', state: 'BACKOFF', is_active: true, attempt: 2, next_retry_at: new Date(Date.now() + 3_000).toISOString() }, view);
  assert.match(line.textContent, /^retry in [23]s \(attempt 2\)$/);
  card.update({ name: 'feed', state: 'UNASSIGNED', is_active: true, epoch: 3, unassigned_reason: 'node-a stopped it: handing over' }, view);
  assert.equal(line.textContent, 'between owners: node-a stopped it: handing over');
  assert.equal(line.title, line.textContent);
});

test('the buttons of a card are named with its listener, its outcome is announced, and a reason no other line shows is said', () => {
  const card = new ListenerCard('feed', { command: () => {}, remove: () => {} });
  const buttons = [...Object.values(card.buttons), card.editButton, card.removeButton];
  assert.deepEqual(buttons.map((b) => b.getAttribute('aria-label')), ['Start feed', 'Stop feed', 'Restart feed', 'Edit feed', 'Remove feed']);
  assert.deepEqual(buttons.map((b) => b.textContent), ['Start', 'Stop', 'Restart', 'Edit', 'Remove']);
  assert.equal(card.fields.result.getAttribute('role'), 'status');
  const status = { name: 'feed', state: 'CONNECTED', is_active: true };
  card.update(status, { synced: true, hasToken: true, cluster: { clustered: true, majority_present: false } });
  assert.equal(card.buttons.stop.disabled, true);
  assert.match(card.fields['control-note'].textContent, /^Buttons disabled: no majority of Switchboard nodes is present/);
  card.update(status, { synced: true, hasToken: true, cluster: { clustered: true, majority_present: true } });
  assert.equal(card.buttons.stop.disabled, false);
  assert.equal(card.fields['control-note'].textContent, '');
});

test('a command whose answer was lost with the socket is not confirmed, not failed: the server may have done it', async () => {
  const card = new ListenerCard('feed', { command: () => Promise.reject(lostAnswer()) });
  card.update({ name: 'feed', state: 'CONNECTED', is_active: true }, { synced: true, hasToken: true, cluster: {} });
  await card.run('restart');
  const result = card.fields.result;
  assert.equal(result.dataset.outcome, 'unknown');
  assert.equal(result.textContent, 'restart not confirmed: the connection was lost before the reply (it may have been done)');
});

test('a command that timed out is not confirmed either; one the server refused is failed', async () => {
  let failure = new BusError('no reply within 20 s', 'TIMEOUT', -1);
  const card = new ListenerCard('feed', { command: () => Promise.reject(failure) });
  card.update({ name: 'feed', state: 'CONNECTED', is_active: true }, { synced: true, hasToken: true, cluster: {} });
  await card.run('stop');
  assert.equal(card.fields.result.dataset.outcome, 'unknown');
  assert.match(card.fields.result.textContent, /^stop not confirmed: no reply within 20 s/);
  failure = new BusError('the control token is wrong', 'RECIPIENT_FAILURE', 403);
  await card.run('stop');
  assert.equal(card.fields.result.dataset.outcome, 'failed');
  assert.equal(card.fields.result.textContent, 'stop failed: the control token is wrong');
});

test('a toggle whose answer was lost with the socket is not confirmed, not failed', async () => {
  let failure = lostAnswer();
  const panel = new HomeAssistantPanel('home', { call: () => Promise.reject(failure) });
  panel.update({ open: true, status: null, hasToken: true });
  panel.change('light.kitchen', { entity_id: 'light.kitchen', state: 'on', attributes: {} });
  const row = panel.rows.get('light.kitchen');
  await panel.toggle(row);
  assert.equal(row.result.dataset.outcome, 'unknown');
  assert.equal(row.result.textContent, 'not confirmed: the connection was lost before the reply (it may have been done)');
  failure = new BusError('entity not found', 'RECIPIENT_FAILURE', 404);
  await panel.toggle(row);
  assert.equal(row.result.dataset.outcome, 'failed');
  assert.equal(row.result.textContent, 'failed: entity not found');
});

test('a symbol added while the page resyncs is registered once, so Remove ends its subscription upstream', () => {
  const { conn, socket, reconnect } = openConnection();
  const panel = new MarketPanel('alpaca');
  const trades = (symbol) => `market.alpaca.trades.${symbol}`;
  panel.input.value = 'aapl';
  panel.watchTyped();
  panel.attach(conn);
  reconnect();
  // Connected again, the resync not done: the new symbol is registered at once on the new socket.
  panel.input.value = 'msft';
  panel.watchTyped();
  assert.equal(socket().handlerCount(trades('MSFT')), 1);
  // The resync is done: the page attaches its panels to the new socket.
  panel.attach(conn);
  assert.equal(socket().handlerCount(trades('MSFT')), 1, 'not registered a second time');
  assert.equal(socket().handlerCount(trades('AAPL')), 1, 'a symbol of the old socket is registered again');
  panel.unwatch('MSFT');
  assert.equal(socket().handlerCount(trades('MSFT')), 0);
  assert.equal(socket().registeredUpstream(trades('MSFT')), false, 'the server was told unregister');
  assert.equal(socket().registeredUpstream(trades('AAPL')), true);
});

test('activity: a snapshot that got no answer after a reconnect forgets the old server\'s seq, so the new server\'s pushes apply, and is asked again', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { conn, socket, reconnect } = openConnection();
  const panel = new ActivityPanel();
  panel.attach(conn);
  socket().requests[0].callback(null, { body: { seq: 500, channels: [{ channel: 'ai', flags: { thinking: false } }] } });
  await Promise.resolve();
  assert.equal(panel.seq, 500);

  reconnect(); // the server restarted: its seq starts over
  panel.attach(conn);
  const first = socket().requests.length;
  socket().requests[first - 1].callback({ failureType: 'TIMEOUT', message: 'no reply within 5 s' });
  await new Promise((resolve) => setImmediate(resolve));
  assert.match(panel.note.textContent, /no snapshot from the server \(no reply within 5 s\); asking again in 5 s/);
  panel.push({ channel: 'ai', flag: 'thinking', value: true, seq: 1, reason: 'set' });
  assert.equal(panel.channels.get('ai').flags.thinking, true, 'the new server\'s first push is applied');

  t.mock.timers.tick(5000);
  assert.equal(socket().requests.length, first + 1, 'the snapshot is asked again');
  assert.equal(socket().requests.at(-1).address, 'switchboard.activity.snapshot');
});

test('activity: a snapshot lost with its socket says so, not that the server lacks the feature; the next connection asks again', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] }); // the panel's periodic refresh would keep the run alive
  const { conn, socket, reconnect } = openConnection();
  const panel = new ActivityPanel();
  panel.attach(conn);
  socket().requests[0].callback(lostAnswer());
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(panel.note.textContent, 'activity channels: the connection was lost before the snapshot; asked again once it is back');
  reconnect();
  panel.attach(conn);
  assert.equal(socket().requests.at(-1).address, 'switchboard.activity.snapshot');
  socket().requests.at(-1).callback(null, { body: { seq: 1, channels: [] } });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(panel.seq, 1);
});

test('the controls a panel repeats per row, and its inputs, are named with what they act on', () => {
  const home = new HomeAssistantPanel('home', { call: () => Promise.resolve() });
  home.change('light.kitchen', { entity_id: 'light.kitchen', state: 'on', attributes: {} });
  assert.equal(home.rows.get('light.kitchen').toggle.getAttribute('aria-label'), 'Toggle light.kitchen');
  assert.equal(home.filter.getAttribute('aria-label'), "Filter home's entities");
  const market = new MarketPanel('alpaca');
  market.input.value = 'aapl';
  market.watchTyped();
  assert.equal(market.symbols.get('AAPL').el.find('action', 'unwatch').getAttribute('aria-label'), 'Stop watching AAPL');
  assert.equal(market.input.getAttribute('aria-label'), 'Symbol for alpaca to watch');
  assert.equal(new FeedPanel('feed', { send: () => Promise.resolve() }).input.getAttribute('aria-label'), "Message for feed's upstream");
});

test('Home Assistant: a read of the states that failed after a reconnect is said at once and asked again, and its answer replaces the table', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { conn, socket } = openConnection();
  const panel = new HomeAssistantPanel('home', { call: () => Promise.resolve() });
  panel.update({ open: true, status: null, hasToken: true });
  panel.attach(conn);
  const states = () => socket().requests.filter((r) => r.address === 'homeassistant.home.states');
  states()[0].callback({ failureType: 'TIMEOUT', message: 'no reply within 10 s' });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(panel.note.textContent, 'could not read the states (no reply within 10 s): the table may be out of date; asking again in 5 s');

  t.mock.timers.tick(5000);
  assert.equal(states().length, 2, 'asked again');
  states()[1].callback(null, { body: { states: [{ entity_id: 'light.kitchen', state: 'off', attributes: {} }] } });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(panel.note.textContent, '');
  assert.deepEqual([...panel.entities.keys()], ['light.kitchen']);

  // A panel whose listener was removed stops asking.
  panel.readStates();
  states()[2].callback({ failureType: 'NO_HANDLERS', message: 'no handlers' });
  await new Promise((resolve) => setImmediate(resolve));
  panel.detach();
  t.mock.timers.tick(5000);
  assert.equal(states().length, 3, 'not asked again once detached');
});

/** An activity panel attached to a fake connection; `snapshots()` are the snapshot requests of the current socket. */
function activityPanel() {
  const { conn, socket, reconnect } = openConnection();
  const panel = new ActivityPanel();
  panel.attach(conn);
  const snapshots = () => socket().requests.filter((r) => r.address === 'switchboard.activity.snapshot');
  const answer = async (body) => {
    snapshots().at(-1).callback(null, { body });
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { conn, panel, snapshots, answer, reconnect };
}

const change = (seq, channel, flag, value, reason, at = '2026-01-02T10:15:00.000Z') =>
  ({ seq, channel, flag, value, reason, flags: { [flag]: value }, at });

test('activity: while a channel shown is idle the snapshot is asked again now and then, so one the server forgot goes from the page too', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { panel, snapshots, answer } = activityPanel();
  await answer({ seq: 10, channels: [{ channel: 'conversation:1', flags: { thinking: true }, updated_at: '2026-01-02T10:00:00Z' }] });
  panel.push(change(11, 'conversation:2', 'thinking', true, 'set'));
  t.mock.timers.tick(5 * 60 * 1000);
  assert.equal(snapshots().length, 1, 'every channel busy: the server forgets none, nothing is asked');

  panel.push(change(12, 'conversation:1', 'thinking', false, 'cleared'));
  t.mock.timers.tick(5 * 60 * 1000);
  assert.equal(snapshots().length, 2, 'one idle: asked again');
  // The server forgot conversation:1, idle for its forgetAfter; that is pushed to nobody.
  await answer({ seq: 12, channels: [{ channel: 'conversation:2', flags: { thinking: true }, updated_at: '2026-01-02T10:15:00Z' }] });
  assert.deepEqual([...panel.channels.keys()], ['conversation:2']);
  assert.deepEqual(panel.list.children.map((row) => row.dataset.channel), ['conversation:2']);
});

test('activity: a snapshot row says its state as of its last change, not a change shown before the page was away', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { conn, panel, answer, reconnect } = activityPanel();
  await answer({ seq: 1, channels: [] });
  panel.push(change(2, 'ai', 'thinking', true, 'set', '2026-01-02T10:15:00.000Z'));
  const last = () => panel.channels.get('ai').last;
  assert.equal(last().textContent, `thinking set at ${clock(Date.parse('2026-01-02T10:15:00.000Z'))}`);

  // Away meanwhile: the flag went stale and was cleared.
  reconnect();
  panel.attach(conn);
  await answer({ seq: 3, channels: [{ channel: 'ai', flags: { thinking: false }, updated_at: '2026-01-02T10:15:30.120Z' }] });
  assert.equal(last().textContent, `no flag set as of ${clock(Date.parse('2026-01-02T10:15:30.120Z'))}`);
  assert.equal(last().dataset.reason, '');
  assert.equal(panel.channels.get('ai').flags.thinking, false);

  // A snapshot that stands at the change shown leaves its words (and reason) as they are.
  panel.push(change(4, 'ai', 'thinking', true, 'set', '2026-01-02T10:20:00.000Z'));
  panel.push(change(5, 'ai', 'thinking', false, 'stale', '2026-01-02T10:20:30.000Z'));
  reconnect();
  panel.attach(conn);
  await answer({ seq: 5, channels: [{ channel: 'ai', flags: { thinking: false }, updated_at: '2026-01-02T10:20:30Z' }] });
  assert.equal(last().textContent, `thinking cleared (stale) at ${clock(Date.parse('2026-01-02T10:20:30.000Z'))}`);
  assert.equal(last().dataset.reason, 'stale');
});

test('activity: rows stay in the order of their names as channels come and go', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { conn, panel, answer, reconnect } = activityPanel();
  await answer({ seq: 0, channels: [] });
  ['c', 'a', 'b', 'aa'].forEach((name, i) => panel.push(change(i + 1, name, 'thinking', true, 'set')));
  const rows = () => panel.list.children.map((row) => row.dataset.channel);
  assert.deepEqual(rows(), ['a', 'aa', 'b', 'c']);
  reconnect();
  panel.attach(conn);
  await answer({ seq: 9, channels: ['c', 'ab', 'a', 'b'].map((channel) => ({ channel, flags: { thinking: true }, updated_at: '2026-01-02T10:00:00Z' })) });
  assert.deepEqual(rows(), ['a', 'ab', 'b', 'c']);
  panel.push(change(10, 'b0', 'thinking', true, 'set'));
  assert.deepEqual(rows(), ['a', 'ab', 'b', 'b0', 'c']);
});

test('a refresh for another listener leaves a card and the Home Assistant rows as they are; a change of theirs renders them', () => {
  const card = new ListenerCard('feed', { command: () => {} });
  let renders = 0;
  const render = card.render.bind(card);
  card.render = () => { renders++; render(); };
  const status = { name: 'feed', state: 'CONNECTED', is_active: true };
  const facts = {};
  card.update(status, { synced: true, hasToken: true, cluster: facts });
  card.update(status, { synced: true, hasToken: true, cluster: facts });
  assert.equal(renders, 1, 'the same status and view: nothing to draw');
  card.update({ ...status, messages_in: 1 }, { synced: true, hasToken: true, cluster: facts });
  card.update({ ...status, messages_in: 1 }, { synced: false, hasToken: true, cluster: facts });
  assert.equal(renders, 3);
  assert.match(card.fields.counters.textContent, /^in 1 /);

  const panel = new HomeAssistantPanel('home', { call: () => Promise.resolve() });
  panel.update({ open: true, status: null, hasToken: false });
  panel.change('light.kitchen', { entity_id: 'light.kitchen', state: 'on', attributes: {} });
  const row = panel.rows.get('light.kitchen');
  let rowRenders = 0;
  const renderRow = panel.renderRow.bind(panel);
  panel.renderRow = (r) => { rowRenders++; renderRow(r); };
  panel.update({ open: true, status: { subscribed: true, entities: 1 }, hasToken: false });
  assert.equal(rowRenders, 0, 'its own counters moved: the rows did not');
  assert.equal(row.toggle.disabled, true);
  panel.update({ open: true, status: { subscribed: true, entities: 1 }, hasToken: true });
  assert.equal(rowRenders, 1);
  assert.equal(row.toggle.disabled, false, 'the token came: Toggle follows');
});

test('a feed panel dropped with messages still waiting says how many, so the page can tell they were never sent', () => {
  const panel = new FeedPanel('feed', { send: () => Promise.resolve() });
  panel.update({ open: false, status: null, hasToken: true, sizeKnown: true });
  panel.input.value = 'one';
  panel.submit();
  panel.input.value = 'two';
  panel.submit();
  assert.equal(panel.outbox.waiting, 2);
  assert.equal(panel.detach(), 2);
});

test('Home Assistant: told that its messages were dropped, the panel reads every state again, once more after a read on its way', async () => {
  const { conn, socket } = openConnection();
  const panel = new HomeAssistantPanel('home', { call: () => Promise.resolve() });
  panel.attach(conn);
  const states = () => socket().requests.filter((r) => r.address === 'homeassistant.home.states');
  const answer = async (n, state) => {
    states()[n].callback(null, { body: { states: [{ entity_id: 'light.kitchen', state, attributes: {} }] } });
    await new Promise((resolve) => setImmediate(resolve));
  };
  await answer(0, 'off');
  // A kitchen light switched on while the page read too slowly: its state_changed was dropped.
  panel.missed(['upstream.feed.message', 'homeassistant.other.event.state_changed']);
  assert.equal(states().length, 1, 'not its addresses: nothing to read');
  panel.missed(['homeassistant.home.event.state_changed']);
  assert.equal(states().length, 2, 'read again');
  panel.missed(['homeassistant.home.event.state_changed']); // while that read is on its way
  assert.equal(states().length, 2, 'one read at a time');
  await answer(1, 'off');
  assert.equal(states().length, 3, 'and once more after it: its answer may be older than the second drop');
  await answer(2, 'on');
  assert.equal(panel.entities.get('light.kitchen').state, 'on');
  assert.equal(states().length, 3);
});

test('Home Assistant: a state_changed without new_state changes no row (the server counts it as malformed); one with null removes it', async () => {
  const { conn, socket } = openConnection();
  const panel = new HomeAssistantPanel('home', { call: () => Promise.resolve() });
  panel.attach(conn);
  socket().requests[0].callback(null, { body: { states: [{ entity_id: 'light.kitchen', state: 'on', attributes: {} }] } });
  await new Promise((resolve) => setImmediate(resolve));
  const event = (data) => socket().handlers.get('homeassistant.home.event.state_changed')
    .forEach((handler) => handler(null, { body: { seq: 1, type: 'event', data: { event_type: 'state_changed', data } } }));
  event({ entity_id: 'light.kitchen' });
  assert.deepEqual([...panel.entities.keys()], ['light.kitchen'], 'kept');
  event({ entity_id: 'light.kitchen', new_state: null });
  assert.deepEqual([...panel.entities.keys()], [], 'removed');
});
