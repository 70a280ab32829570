import { test } from 'node:test';
import assert from 'node:assert/strict';
import './fake-dom.mjs';
import { apiRequest } from '../src/api.js';
import { removeListener } from '../src/panels/listener-editor.js';
import { ListenerCard } from '../src/panels/listener-card.js';

/** A fetch that never answers, as on a dead socket: only its abort ends it. */
const neverAnswers = (path, { signal }) => new Promise((resolve, reject) => {
  signal.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError')));
});
const unreachable = () => Promise.reject(new TypeError('Failed to fetch'));

test('a call without an answer gives up after its timeout, as TIMEOUT', async () => {
  const started = Date.now();
  await assert.rejects(apiRequest('GET', '/api/kinds', { fetchImpl: neverAnswers, timeout: 50 }),
    (err) => err.failureType === 'TIMEOUT' && err.message === 'no answer within 0.05 s');
  assert.ok(Date.now() - started < 1000);
});

test('a change over a version sends it as If-Match, quoted as the ETag; none without one', async () => {
  const seen = [];
  const records = (path, { headers }) => {
    seen.push(headers['If-Match']);
    return Promise.resolve({ status: 200, text: () => Promise.resolve('{}') });
  };
  await apiRequest('PUT', '/api/listeners/feed', { body: {}, ifMatch: 3, fetchImpl: records });
  await apiRequest('PUT', '/api/listeners/feed', { body: {}, ifMatch: 0, fetchImpl: records });
  await apiRequest('PUT', '/api/listeners/feed', { body: {}, fetchImpl: records });
  assert.deepEqual(seen, ['"3"', '"0"', undefined]);
});

test('a call that could not get through is DISCONNECTED, with the browser\'s reason', async () => {
  await assert.rejects(apiRequest('DELETE', '/api/listeners/feed', { fetchImpl: unreachable }),
    (err) => err.failureType === 'DISCONNECTED' && err.message === 'could not reach the server (Failed to fetch)');
});

test('an answer is the status and the parsed body, whatever the status; one cut short is no answer', async () => {
  const answer = (status, text) => () => Promise.resolve({ status, text: () => text });
  assert.deepEqual(await apiRequest('GET', '/api/cluster', { fetchImpl: answer(503, Promise.resolve('{"error":"no"}')) }),
    { status: 503, body: { error: 'no' } });
  assert.deepEqual(await apiRequest('GET', '/api/cluster', { fetchImpl: answer(200, Promise.resolve('not json')) }),
    { status: 200, body: null });
  await assert.rejects(apiRequest('GET', '/api/cluster', { fetchImpl: answer(200, Promise.reject(new TypeError('network error'))) }),
    (err) => err.failureType === 'DISCONNECTED' && err.message === 'the answer (HTTP 200) was cut short');
  // Headers in time, the body never: the timeout aborts the read.
  const headersOnly = (path, { signal }) => Promise.resolve({
    status: 200,
    text: () => new Promise((resolve, reject) => signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
  });
  await assert.rejects(apiRequest('PUT', '/api/listeners/feed', { fetchImpl: headersOnly, timeout: 50 }),
    (err) => err.failureType === 'TIMEOUT' && err.message === 'the answer (HTTP 200) was cut short after 0.05 s');
});

test('a Remove whose answer was lost is not confirmed on the card, not failed: the server may have removed it', async () => {
  for (const fetchImpl of [unreachable, neverAnswers]) {
    const request = (method, path, options) => apiRequest(method, path, { ...options, fetchImpl, timeout: 50 });
    const card = new ListenerCard('feed', { command: () => {}, remove: (name) => removeListener(name, 't', request), confirm: () => true });
    card.update({ name: 'feed', state: 'CONNECTED', is_active: true }, { synced: true, hasToken: true, cluster: {} });
    await card.runRemove();
    assert.equal(card.fields.result.dataset.outcome, 'unknown');
    assert.match(card.fields.result.textContent, /^remove not confirmed: (could not reach the server \(Failed to fetch\)|no answer within 0.05 s) \(it may have been done\)$/);
  }
});
