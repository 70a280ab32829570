import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../src/backoff.js';

test('the delay doubles up to the cap, with jitter on both sides', () => {
  const middle = () => 0.5;
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, {}, middle)), [500, 1000, 2000, 4000, 8000, 15000, 15000]);
  assert.equal(backoffDelay(3, {}, () => 0), 1400);
  assert.equal(backoffDelay(3, {}, () => 1), 2600);
});
