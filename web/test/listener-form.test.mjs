import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formFields, formPaths, leaves, controlFor, initialValue, readValue, placeholderFor, buildDefinition, placeErrors, ancestry, valueAt, MASK, maskSecrets,
} from '../src/listener-form.js';
import { failureMessage, apiRequest, listenerPath } from '../src/api.js';
import { removeListener } from '../src/panels/listener-editor.js';

const common = [
  { name: 'name', type: 'string', required: true, doc: 'the name' },
  { name: 'type', type: 'string', required: true, doc: 'the kind' },
  { name: 'autoStart', type: 'boolean', default: true, doc: 'start with the server' },
  {
    name: 'restart', type: 'object', doc: 'backoff', fields: [
      { name: 'initialDelay', type: 'duration', default: '500ms' },
      { name: 'maxDelay', type: 'duration', default: '30s' },
      { name: 'multiplier', type: 'number', default: 2 },
      { name: 'maxAttempts', type: 'integer' },
    ],
  },
];
const upstream = {
  type: 'upstream', namespace: 'upstream',
  fields: [
    { name: 'url', type: 'url', required: true, doc: 'ws:// or wss://' },
    { name: 'token', type: 'string', secret: true },
    { name: 'onConnect', type: 'string[]' },
    { name: 'headers', type: 'map' },
    { name: 'hello', type: 'any' },
    { name: 'autoStart', type: 'boolean' },
  ],
};

/** The form's values as the DOM would read them: path -> {raw, checked, touched}. */
const typed = (entries) => Object.fromEntries(Object.entries(entries).map(([p, raw]) =>
  [p, typeof raw === 'boolean' ? { checked: raw, touched: true } : { raw, touched: true }]));
const initials = (specs, stored) => Object.fromEntries(leaves(specs).map((s) => [s.path, initialValue(s, stored ? valueAt(stored, s.path) : undefined)]));

test('the form has the common fields but name and type, then the kind\'s, then the common groups', () => {
  const specs = formFields(upstream, common);
  assert.deepEqual(specs.map((s) => s.path), ['autoStart', 'url', 'token', 'onConnect', 'headers', 'hello', 'restart']);
  assert.deepEqual(specs.at(-1).children.map((s) => s.path), ['restart.initialDelay', 'restart.maxDelay', 'restart.multiplier', 'restart.maxAttempts']);
  assert.ok(formPaths(specs).includes('restart'));
  assert.ok(formPaths(specs).includes('restart.maxDelay'));
});

test('each type gets its input; a ${placeholder} in a number or boolean field keeps a text input', () => {
  assert.equal(controlFor({ type: 'boolean' }), 'checkbox');
  assert.equal(controlFor({ type: 'integer' }), 'number');
  assert.equal(controlFor({ type: 'number' }, 2.5), 'number');
  assert.equal(controlFor({ type: 'url' }), 'text');
  assert.equal(controlFor({ type: 'duration' }), 'text');
  assert.equal(controlFor({ type: 'string', secret: true }), 'password');
  for (const type of ['string[]', 'map', 'any', 'object']) assert.equal(controlFor({ type }), 'json');
  assert.equal(controlFor({ type: 'map', secret: true }), 'secret-json', 'the feed\'s headers are not shown as typed');
  assert.equal(controlFor({ type: 'integer' }, '${PORT}'), 'text');
  assert.equal(controlFor({ type: 'boolean' }, '${FLAG}'), 'text');
});

test('defaults are placeholders, a group\'s default reaching its sub-fields', () => {
  assert.equal(placeholderFor({ name: 'x', default: '5s' }), '5s');
  assert.equal(placeholderFor({ name: 'x', default: 2 }), '2');
  assert.equal(placeholderFor({ name: 'x', default: ['a'] }), '["a"]');
  assert.equal(placeholderFor({ name: 'x' }), '');
  assert.equal(placeholderFor({ name: 'maxDelay' }, { maxDelay: '1m' }), '1m');
});

test('on add, only what was filled is sent', () => {
  const specs = formFields(upstream, common);
  const { definition, errors } = buildDefinition({
    type: 'upstream', name: ' feed-2 ', specs, initial: initials(specs),
    values: typed({ url: 'wss://example.test/ws', token: '', 'restart.maxDelay': ' 10s ', 'restart.initialDelay': '', hello: '' }),
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(definition, { type: 'upstream', name: 'feed-2', url: 'wss://example.test/ws', restart: { maxDelay: '10s' } });
});

test('values are sent in their JSON types', () => {
  const specs = formFields(upstream, common);
  const { definition, errors } = buildDefinition({
    type: 'upstream', name: 'feed', specs, initial: initials(specs),
    values: typed({
      url: 'ws://x', autoStart: false, onConnect: '["hi", "there"]', headers: '{"X-A": "1"}', hello: '42',
      'restart.multiplier': '1.5', 'restart.maxAttempts': '7', 'restart.initialDelay': '250',
    }),
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(definition, {
    type: 'upstream', name: 'feed', url: 'ws://x', autoStart: false, onConnect: ['hi', 'there'], headers: { 'X-A': '1' }, hello: 42,
    restart: { multiplier: 1.5, maxAttempts: 7, initialDelay: 250 },
  });
});

test('a checkbox the user did not touch is left to the default, unless the stored definition had it', () => {
  const specs = formFields(upstream, common);
  const untouched = { autoStart: { checked: true, touched: false }, url: { raw: 'ws://x' } };
  assert.equal('autoStart' in buildDefinition({ type: 'upstream', name: 'a', specs, values: untouched, initial: initials(specs) }).definition, false);
  const stored = { type: 'upstream', name: 'a', url: 'ws://x', autoStart: true };
  const fromStored = buildDefinition({ type: 'upstream', name: 'a', specs, values: untouched, initial: initials(specs, stored) });
  assert.equal(fromStored.definition.autoStart, true);
});

test('on edit, a masked secret left empty is sent back masked (the server keeps it); a typed one replaces it', () => {
  const specs = formFields(upstream, common);
  const stored = { type: 'upstream', name: 'feed', url: 'ws://x', token: MASK, restart: { maxDelay: '20s' }, onConnect: ['a'] };
  const initial = initials(specs, stored);
  const tokenSpec = leaves(specs).find((s) => s.path === 'token');
  assert.equal(initial.token.storedSecret, true);
  assert.equal(initial.token.raw, '', 'the mask is never put into the input');
  assert.equal(initialValue(tokenSpec, undefined).storedSecret, false);
  assert.equal(initial['restart.maxDelay'].raw, '20s');
  assert.equal(initial.onConnect.raw, JSON.stringify(['a'], null, 2));
  const kept = buildDefinition({ type: 'upstream', name: 'feed', specs, initial, values: { url: { raw: 'ws://x' }, token: { raw: '' } } });
  assert.equal(kept.definition.token, MASK);
  const replaced = buildDefinition({ type: 'upstream', name: 'feed', specs, initial, values: typed({ url: 'ws://x', token: 's3cret' }) });
  assert.equal(replaced.definition.token, 's3cret');
});

test('what the page can tell is wrong is reported on its path, and nothing is sent', () => {
  const specs = formFields(upstream, common);
  const { errors } = buildDefinition({
    type: 'upstream', name: 'bad name', specs, initial: initials(specs),
    values: typed({ url: '', onConnect: '["a", 1]', headers: '[1]', hello: '{oops', 'restart.maxAttempts': '2.5', 'restart.multiplier': 'fast' }),
  });
  assert.deepEqual(errors.map((e) => e.path).sort(),
    ['headers', 'hello', 'name', 'onConnect', 'restart.maxAttempts', 'restart.multiplier', 'url'].sort());
  assert.deepEqual(buildDefinition({ type: '', name: '', specs: [], values: {} }).errors.map((e) => e.path), ['type', 'name']);
});

test('a ${placeholder} in a number field is sent as written', () => {
  const specs = formFields(upstream, common);
  const { definition, errors } = buildDefinition({
    type: 'upstream', name: 'a', specs, initial: initials(specs), values: typed({ url: 'ws://x', 'restart.maxAttempts': '${TRIES}' }),
  });
  assert.deepEqual(errors, []);
  assert.equal(definition.restart.maxAttempts, '${TRIES}');
});

test('server errors go next to their input, inside-JSON ones to that JSON\'s input, the rest to the top', () => {
  const paths = ['type', 'name', ...formPaths(formFields(upstream, common))];
  const { byPath, top } = placeErrors([
    { path: 'restart.initialDelay', message: 'must be a duration' },
    { path: 'onConnect[1]', message: 'must be a string' },
    { path: 'headers.X-A', message: 'too long' },
    { path: 'restart', message: 'maxDelay below initialDelay' },
    { path: 'nonsense.deep', message: 'unknown field' },
    { path: '', message: 'the body is empty' },
    { message: 'no path at all' },
  ], paths);
  assert.deepEqual(Object.fromEntries(byPath), {
    'restart.initialDelay': ['must be a duration'],
    onConnect: ['[1]: must be a string'],
    headers: ['X-A: too long'],
    restart: ['maxDelay below initialDelay'],
  });
  assert.deepEqual(top, ['nonsense.deep: unknown field', 'the body is empty', 'no path at all']);
  assert.deepEqual(ancestry('a.b[0].c'), ['a.b[0].c', 'a.b[0]', 'a.b', 'a']);
});

test('refusals are said plainly', () => {
  assert.equal(failureMessage(401, null), 'the control token is missing or wrong');
  assert.equal(failureMessage(401, { error: 'control actions need the control token' }), 'control actions need the control token');
  assert.equal(failureMessage(413, { error: 'Request Entity Too Large' }), 'the definition is too large for the server');
  assert.equal(failureMessage(404, { error: 'no listener named x' }), 'no listener named x');
  assert.equal(failureMessage(502, null), 'the server failed (HTTP 502)');
  assert.equal(listenerPath('a b', '/config'), '/api/listeners/a%20b/config');
});

test('requests carry the bearer token and JSON, and answers are parsed whatever the status', async () => {
  const calls = [];
  const fetchImpl = async (path, init) => {
    calls.push({ path, init });
    return { status: 400, text: async () => '{"error":"invalid","fields":[]}' };
  };
  const reply = await apiRequest('PUT', '/api/listeners/x', { body: { type: 'upstream' }, token: 'tok', fetchImpl });
  assert.deepEqual(reply, { status: 400, body: { error: 'invalid', fields: [] } });
  assert.equal(calls[0].init.method, 'PUT');
  assert.equal(calls[0].init.headers.Authorization, 'Bearer tok');
  assert.equal(calls[0].init.headers['Content-Type'], 'application/json');
  assert.equal(calls[0].init.body, '{"type":"upstream"}');
  const bare = await apiRequest('GET', '/api/kinds', { fetchImpl: async () => ({ status: 502, text: async () => '<html>' }) });
  assert.deepEqual(bare, { status: 502, body: null });
  await assert.rejects(apiRequest('GET', '/api/kinds', { fetchImpl: async () => { throw new TypeError('Failed to fetch'); } }), /could not reach the server/);
});

test('remove: removed, already gone, or the reason', async () => {
  const answer = (status, body) => async (method, path, { token }) => {
    assert.equal(method, 'DELETE');
    assert.equal(path, '/api/listeners/feed');
    assert.equal(token, 'tok');
    return { status, body };
  };
  assert.equal(await removeListener('feed', 'tok', answer(200, { status: 'removed', name: 'feed', seq: 9 })), 'removed');
  assert.equal(await removeListener('feed', 'tok', answer(404, { error: 'unknown' })), 'already removed');
  await assert.rejects(removeListener('feed', 'tok', answer(401, { error: 'wrong token' })), /wrong token/);
});

test('a definition masked as the server shows it stored: secret fields, inside groups too, whatever their value', () => {
  const specs = formFields({ fields: [
    { name: 'url', type: 'url' },
    { name: 'headers', type: 'map', secret: true },
    { name: 'auth', type: 'object', fields: [{ name: 'user', type: 'string' }, { name: 'password', type: 'string', secret: true }] },
    { name: 'apiKey', type: 'string', secret: true },
  ] });
  const sent = { type: 'x', name: 'n', url: 'ws://a', headers: { Authorization: 'Bearer s' }, auth: { user: 'u', password: 'p' }, apiKey: MASK };
  assert.deepEqual(maskSecrets(sent, specs),
    { type: 'x', name: 'n', url: 'ws://a', headers: MASK, auth: { user: 'u', password: MASK }, apiKey: MASK });
  assert.equal(sent.auth.password, 'p', 'what was sent is left as it is');
  assert.deepEqual(maskSecrets({ url: 'ws://a' }, specs), { url: 'ws://a' }, 'a secret left out stays out');
});

test('a secret map is shown on one line when it is not masked, and read back as JSON', () => {
  const spec = { field: { name: 'headers', type: 'map', secret: true }, path: 'headers' };
  const initial = initialValue(spec, { Authorization: 'Bearer x' });
  assert.equal(initial.control, 'secret-json');
  assert.equal(initial.raw, '{"Authorization":"Bearer x"}');
  assert.deepEqual(readValue(spec, { raw: '{"Authorization": "Bearer y"}', touched: true }, initial), { value: { Authorization: 'Bearer y' } });
  assert.equal(initialValue(spec, MASK).storedSecret, true);
});
