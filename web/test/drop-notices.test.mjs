import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DropNotices, NOTE_EVERY_MS } from '../src/drop-notices.js';

test('a drop notice reaches the views at once; the log says it at once, then at most once per interval with all that came since', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const told = [];
  const notes = [];
  const notices = new DropNotices({ onAddresses: (a) => told.push(a), note: (text) => notes.push(text) });

  notices.tell({ dropped: { 'homeassistant.home.event.state_changed': 3 } });
  assert.deepEqual(told, [['homeassistant.home.event.state_changed']]);
  assert.deepEqual(notes, ['the server dropped 3 message(s) for this page, which read them too slowly: 3 of homeassistant.home.event.state_changed']);

  notices.tell({ dropped: { 'homeassistant.home.event.state_changed': 2, 'upstream.feed.message': 5 } });
  notices.tell({ dropped: { 'upstream.feed.message': 1 } });
  assert.equal(told.length, 3, 'every notice reaches the views');
  assert.equal(notes.length, 1, 'not logged again within the interval');
  t.mock.timers.tick(NOTE_EVERY_MS);
  assert.deepEqual(notes.slice(1), ['the server dropped 8 message(s) for this page, which read them too slowly: '
    + '2 of homeassistant.home.event.state_changed, 6 of upstream.feed.message']);
  t.mock.timers.tick(NOTE_EVERY_MS);
  assert.equal(notes.length, 2, 'nothing more to say');
});

test('a notice without counts is ignored', () => {
  const told = [];
  const notices = new DropNotices({ onAddresses: (a) => told.push(a), note: () => assert.fail('nothing to log') });
  for (const notice of [null, {}, { dropped: null }, { dropped: { a: 0 } }, { dropped: { a: 'many' } }, { dropped: { a: -1 } }]) {
    notices.tell(notice);
  }
  assert.deepEqual(told, []);
});
