import { test } from 'node:test';
import assert from 'node:assert/strict';
import './fake-dom.mjs';
import { ListenerEditor } from '../src/panels/listener-editor.js';
import { KindCatalog } from '../src/kinds.js';

const kindsJson = {
  kinds: [{ type: 'upstream', namespace: 'upstream', fields: [{ name: 'url', type: 'url', required: true }, { name: 'token', type: 'string', secret: true }] }],
  common: [{ name: 'autoStart', type: 'boolean', default: true }],
};
const stored = (version, url = 'ws://a.test/feed') => ({ name: 'feed', version, definition: { name: 'feed', type: 'upstream', url } });

/**
 * An editor whose REST calls are answered by `answers` in turn (a reply `{status, body}`, or an Error
 * to throw), with the edit form of `feed` open on version 2.
 */
async function editingFeed(...answers) {
  const catalog = new KindCatalog(async () => kindsJson);
  await catalog.load();
  const calls = [];
  const request = async (method, path) => {
    calls.push(`${method} ${path}`);
    const answer = answers.shift();
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const editor = new ListenerEditor({
    catalog, request, token: { present: true, value: 'secret' }, addButton: document.createElement('button'),
  });
  await editor.openEdit('feed');
  assert.equal(editor.version, 2, 'the form is open on version 2');
  return { editor, calls, note: () => editor.formNote };
}

test('a change pushed with a lower version is a change too: the listener was removed and made again', async () => {
  const { editor, note } = await editingFeed({ status: 200, body: stored(2) });
  editor.definitionChanged({ name: 'feed', action: 'defined', version: 2 });
  assert.equal(note().textContent, '', 'its own version is no change');
  editor.definitionChanged({ name: 'feed', action: 'defined', version: 1 });
  assert.equal(note().textContent, 'feed was changed meanwhile (version 1): saving replaces that change.');
  assert.equal(note().dataset.note, 'changed');
});

test('synced again after a reconnect, an open edit form reads its listener again and says it changed meanwhile', async () => {
  const { editor, calls, note } = await editingFeed({ status: 200, body: stored(2) }, { status: 200, body: stored(3) });
  await editor.recheck();
  assert.deepEqual(calls, ['GET /api/listeners/feed/config', 'GET /api/listeners/feed/config']);
  assert.equal(note().textContent, 'feed was changed meanwhile (version 3): saving replaces that change.');
  assert.equal(note().dataset.note, 'changed');
});

test('read again, a listener removed meanwhile says so; one removed and made again is a change even at a lower version', async () => {
  const removed = await editingFeed({ status: 200, body: stored(2) }, { status: 404, body: { error: 'no listener feed' } });
  await removed.editor.recheck();
  assert.equal(removed.note().textContent, 'feed was removed meanwhile: saving creates it again.');
  assert.equal(removed.note().dataset.note, 'removed');
  const remade = await editingFeed({ status: 200, body: stored(2) }, { status: 200, body: stored(1) });
  await remade.editor.recheck();
  assert.equal(remade.note().textContent, 'feed was changed meanwhile (version 1): saving replaces that change.');
});

test('read again with the same version: a note only when the content differs (made again up to the same version)', async () => {
  const same = await editingFeed({ status: 200, body: stored(2) }, { status: 200, body: stored(2) });
  await same.editor.recheck();
  assert.equal(same.note().textContent, '');
  const other = await editingFeed({ status: 200, body: stored(2) }, { status: 200, body: stored(2, 'ws://b.test/feed') });
  await other.editor.recheck();
  assert.equal(other.note().textContent, 'feed was changed meanwhile (version 2): saving replaces that change.');
});

test('a read again that fails says the form could not check; one that works later takes that back', async () => {
  const { editor, note } = await editingFeed({ status: 200, body: stored(2) },
    new Error('could not reach the server (network down)'), { status: 200, body: stored(2) });
  await editor.recheck();
  assert.equal(note().dataset.note, 'unchecked');
  assert.match(note().textContent, /^could not check whether feed changed while the page was away \(could not reach the server \(network down\)\)/);
  await editor.recheck();
  assert.equal(note().textContent, '');
});

test('a closed form, or one for adding, reads nothing again', async () => {
  const { editor, calls } = await editingFeed({ status: 200, body: stored(2) });
  editor.close();
  await editor.recheck();
  editor.openAdd();
  await editor.recheck();
  assert.equal(calls.length, 1);
});

test('a form closed while it reads its listener again is left closed', async () => {
  let answer;
  const late = new Promise((resolve) => { answer = resolve; });
  const { editor } = await editingFeed({ status: 200, body: stored(2) }, late);
  const reading = editor.recheck();
  editor.close();
  answer({ status: 200, body: stored(3) });
  await reading;
  assert.equal(editor.open, false);
  assert.equal(editor.formNote, null);
});

test('a save whose answer was lost says it may have been saved; a check that got no answer says only why', async () => {
  const lost = Object.assign(new Error('could not reach the server (Failed to fetch)'), { failureType: 'DISCONNECTED' });
  const { editor, calls } = await editingFeed({ status: 200, body: stored(2) }, lost, lost);
  await editor.submit();
  assert.equal(calls.at(-1), 'PUT /api/listeners/feed');
  assert.equal(editor.formError.textContent, 'saving not confirmed: could not reach the server (Failed to fetch) (it may have been done)');
  await editor.check();
  assert.equal(calls.at(-1), 'POST /api/kinds/upstream/validate');
  assert.equal(editor.formError.textContent, 'could not reach the server (Failed to fetch)');
});

test('a save whose answer was lost but which went through is told apart from another change by the stored content', async () => {
  const lost = Object.assign(new Error('no answer within 10 s'), { failureType: 'TIMEOUT' });
  let sent;
  const mine = () => ({ status: 200, body: { name: 'feed', version: 3, definition: { ...sent } } });
  const { editor, calls, note } = await editingFeed({ status: 200, body: stored(2) }, lost);
  const request = editor.request;
  editor.request = async (method, path, options) => {
    if (method === 'PUT') sent = options.body;
    return request(method, path, options);
  };
  await editor.submit();
  assert.equal(editor.formError.textContent, 'saving not confirmed: no answer within 10 s (it may have been done)');

  // Its own save, pushed as version 3: the form reads it back, and the stored content is what it sent.
  editor.request = async (method, path) => { calls.push(`${method} ${path}`); return mine(); };
  editor.definitionChanged({ name: 'feed', action: 'defined', version: 3 });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(calls.at(-1), 'GET /api/listeners/feed/config');
  assert.equal(note().dataset.note, 'saved');
  assert.equal(note().textContent, 'feed: the save went through after all (version 3); the form shows what is stored.');
  assert.equal(editor.formError.textContent, '');
  assert.equal(editor.version, 3);

  // Once confirmed, a later version is someone else's change again.
  editor.definitionChanged({ name: 'feed', action: 'defined', version: 4 });
  assert.equal(note().textContent, 'feed was changed meanwhile (version 4): saving replaces that change.');
});

test('after a lost save, another content at the new version is still a change made elsewhere', async () => {
  const lost = Object.assign(new Error('no answer within 10 s'), { failureType: 'TIMEOUT' });
  const { editor, note } = await editingFeed({ status: 200, body: stored(2) }, lost, { status: 200, body: stored(3, 'ws://other.test/feed') });
  await editor.submit();
  editor.definitionChanged({ name: 'feed', action: 'defined', version: 3 });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(note().textContent, 'feed was changed meanwhile (version 3): saving replaces that change.');
});

test('a lost save that set a secret is told apart by the stored content too, which the server shows masked', async () => {
  const lost = Object.assign(new Error('no answer within 10 s'), { failureType: 'TIMEOUT' });
  const storedMasked = { name: 'feed', version: 3, definition: { name: 'feed', type: 'upstream', url: 'ws://a.test/feed', token: '***' } };
  const { editor, calls, note } = await editingFeed({ status: 200, body: stored(2) }, lost, { status: 200, body: storedMasked });
  const token = editor.inputs.get('token').el;
  token.value = 'a new secret';
  token.dispatch('input');
  await editor.submit();
  assert.equal(calls.at(-1), 'PUT /api/listeners/feed');
  assert.equal(editor.unconfirmedSave.token, '***', 'the typed secret is not kept');

  editor.definitionChanged({ name: 'feed', action: 'defined', version: 3 });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(note().dataset.note, 'saved');
  assert.equal(note().textContent, 'feed: the save went through after all (version 3); the form shows what is stored.');
});

test('a save goes over the version the form knows of: one changed unknown to the page is refused, read again, then replaced knowingly', async () => {
  const refused = { status: 412, body: { error: "listener 'feed' is at version 3, not 2: it changed since it was read" } };
  const { editor, note } = await editingFeed({ status: 200, body: stored(2) }, refused, { status: 200, body: stored(3, 'ws://b.test/feed') },
    { status: 200, body: { status: 'updated', version: 4 } });
  const sent = [];
  const request = editor.request;
  editor.request = async (method, path, options) => {
    if (method === 'PUT') sent.push(options.ifMatch);
    return request(method, path, options);
  };
  await editor.submit();
  assert.deepEqual(sent, [2], 'over the version read');
  assert.match(editor.formError.textContent, /is at version 3, not 2/);
  assert.equal(note().textContent, 'feed was changed meanwhile (version 3): saving replaces that change.');

  await editor.submit();
  assert.deepEqual(sent, [2, 3], 'saved again over the change the note told of');
  assert.equal(editor.el.hidden, true, 'saved and closed');
});

test('a change told of by a push, and a removal, move the version a save goes over; a new listener is created only', async () => {
  const { editor } = await editingFeed({ status: 200, body: stored(2) });
  editor.definitionChanged({ name: 'feed', action: 'defined', version: 5 });
  assert.equal(editor.over, 5);
  editor.listenerRemoved('feed');
  assert.equal(editor.over, 0, 'saving creates it again, unless someone else did first');
  editor.openAdd();
  assert.equal(editor.over, 0);
});

test('a lost save that changed only a secret is not taken as saved when the version did not move: it may not have been', async () => {
  const lost = Object.assign(new Error('no answer within 10 s'), { failureType: 'TIMEOUT' });
  const storedMasked = { name: 'feed', version: 2, definition: { name: 'feed', type: 'upstream', url: 'ws://a.test/feed', token: '***' } };
  const { editor, note } = await editingFeed({ status: 200, body: { ...storedMasked } }, lost, { status: 200, body: storedMasked });
  const token = editor.inputs.get('token').el;
  token.value = 'a rotated secret';
  token.dispatch('input');
  await editor.submit();
  await editor.recheck();
  assert.notEqual(note().dataset.note, 'saved', 'still version 2: nothing says the new secret was stored');
});

test('a secret map (the feed\'s headers) is typed in a password input, as JSON on one line, and saved parsed', async () => {
  const withHeaders = { kinds: [{ type: 'upstream', namespace: 'upstream', fields: [{ name: 'url', type: 'url', required: true },
    { name: 'headers', type: 'map', secret: true }] }], common: [] };
  const catalog = new KindCatalog(async () => withHeaders);
  await catalog.load();
  const sent = [];
  const request = async (method, path, options) => {
    sent.push({ method, path, body: options && options.body });
    return method === 'GET' ? { status: 200, body: { name: 'feed', version: 2, definition: { name: 'feed', type: 'upstream', url: 'ws://a.test/feed',
      headers: '***' } } } : { status: 200, body: { status: 'changed', version: 3 } };
  };
  const editor = new ListenerEditor({ catalog, request, token: { present: true, value: 'secret' }, addButton: document.createElement('button') });
  await editor.openEdit('feed');
  const headers = editor.inputs.get('headers');
  assert.equal(headers.el.tagName, 'INPUT');
  assert.equal(headers.el.getAttribute('type'), 'password');
  assert.equal(headers.el.value, '', 'the stored secret is not shown: "unchanged"');
  assert.equal(headers.el.getAttribute('placeholder'), 'unchanged');
  headers.el.value = '{"Authorization": "Bearer y"}';
  headers.el.dispatch('input');
  await editor.submit();
  const put = sent.find((c) => c.method === 'PUT');
  assert.deepEqual(put.body.headers, { Authorization: 'Bearer y' }, 'saved as the object typed');
});
