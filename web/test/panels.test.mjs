import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedActions, errorLine } from '../src/panels/listener-card.js';
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
