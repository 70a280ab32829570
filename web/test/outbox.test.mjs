import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox } from '../src/outbox.js';
import { until } from './until.mjs';

const failure = (failureType, failureCode, message = failureType) => Object.assign(new Error(message), { failureType, failureCode });
const settle = () => new Promise((r) => setTimeout(r, 0));

test('messages wait while not ready, then go out once each, in order, one at a time', async () => {
  const sent = [];
  let inFlight = 0;
  const box = new Outbox(async (text) => {
    inFlight += 1;
    assert.equal(inFlight, 1);
    await settle();
    sent.push(text);
    inFlight -= 1;
  });
  box.add('a'); box.add('b'); box.add('c');
  await settle();
  assert.deepEqual(sent, []);
  assert.equal(box.waiting, 3);
  box.setReady(true);
  box.setReady(false);
  box.setReady(true);
  for (let i = 0; i < 10; i++) await settle();
  assert.deepEqual(sent, ['a', 'b', 'c']);
  assert.equal(box.waiting, 0);
  assert.deepEqual(box.items.map((i) => i.state), ['sent', 'sent', 'sent']);
});

test('a refused send is marked failed with the reason and the next one still goes', async () => {
  const box = new Outbox(async (text) => { if (text === 'bad') throw failure('RECIPIENT_FAILURE', 403, 'the control token is wrong'); });
  box.setReady(true);
  box.add('bad'); box.add('good');
  for (let i = 0; i < 5; i++) await settle();
  assert.deepEqual(box.items.map((i) => [i.text, i.state]), [['bad', 'failed'], ['good', 'sent']]);
  assert.equal(box.items[0].error, 'the control token is wrong');
});

test('a send that certainly did not leave (503, no handler) stays first in line and is tried again', async () => {
  let refuse = 2;
  const sent = [];
  const box = new Outbox(async (text) => {
    if (refuse-- > 0) throw failure('RECIPIENT_FAILURE', 503, 'not connected yet; nothing was sent');
    sent.push(text);
  }, () => {}, { retryDelay: 5 });
  box.setReady(true);
  box.add('x'); box.add('y');
  await until('both sent', () => box.items.every((i) => i.state === 'sent'));
  assert.deepEqual(sent, ['x', 'y']);
});

test('a send whose answer was lost is not sent again', async () => {
  let calls = 0;
  const box = new Outbox(async () => { calls += 1; throw failure('DISCONNECTED', -1); });
  box.setReady(true);
  box.add('once');
  for (let i = 0; i < 5; i++) await settle();
  assert.equal(calls, 1);
  assert.equal(box.items[0].state, 'unknown');
});
