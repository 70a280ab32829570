import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedActions } from '../src/panels/listener-card.js';
import { lifecycleEvent } from '../src/panels/activity-log.js';
import { flagMap } from '../src/panels/activity-panel.js';

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
