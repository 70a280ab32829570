/**
 * The listener editor's logic, without a DOM: which inputs a kind's schema gives, what they start
 * with, the definition the filled inputs make, and where the server's complaints go.
 *
 * A value, as the form reads it back, is `{raw, checked, touched}`: `raw` the text of a text,
 * number or JSON input, `checked` a checkbox's state, `touched` whether the user changed it.
 */

/** What the server shows instead of a stored secret; sent back, it keeps the secret. */
export const MASK = '***';

const FIXED = new Set(['name', 'type']);
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const PLACEHOLDER = /^\$\{/;

/** `restart` + `initialDelay` -> `restart.initialDelay`. */
export function joinPath(parent, name) {
  return parent ? `${parent}.${name}` : name;
}

/**
 * The inputs of a kind's form, in order: the common fields but name and type (plain ones first),
 * then the kind's own, then the common objects (restart). Each is `{path, field, children?}`.
 */
export function formFields(kind, common = []) {
  const seen = new Set(FIXED);
  const take = (fields) => fields.filter((f) => {
    if (seen.has(f.name)) return false;
    seen.add(f.name);
    return true;
  });
  const shared = take(common || []);
  const own = take((kind && kind.fields) || []);
  const isGroup = (f) => f.type === 'object' && Array.isArray(f.fields) && f.fields.length > 0;
  return [...shared.filter((f) => !isGroup(f)), ...own, ...shared.filter(isGroup)].map((f) => spec(f, ''));
}

function spec(field, parent) {
  const path = joinPath(parent, field.name);
  if (field.type === 'object' && Array.isArray(field.fields) && field.fields.length) {
    return { path, field, children: field.fields.map((f) => spec(f, path)) };
  }
  return { path, field };
}

/** Every input spec, the groups' sub-fields included. */
export function leaves(specs) {
  return specs.flatMap((s) => (s.children ? leaves(s.children) : [s]));
}

/** Every path the form has an input or a group for. */
export function formPaths(specs) {
  return specs.flatMap((s) => (s.children ? [s.path, ...formPaths(s.children)] : [s.path]));
}

/** The value at a dotted path of a definition (undefined when absent). */
export function valueAt(definition, path) {
  let value = definition;
  for (const key of path.split('.')) {
    if (!value || typeof value !== 'object' || Array.isArray(value) || !(key in value)) return undefined;
    value = value[key];
  }
  return value;
}

/**
 * The input a field gets: checkbox, number, text, password, json, or secret-json (JSON typed in a password
 * input, on one line: a secret map such as the feed's headers is not shown on screen). A stored value the input
 * cannot hold (a `${ENV}` placeholder in a number or boolean field) gets a text input instead, so
 * that saving keeps it.
 */
export function controlFor(field, stored) {
  const placeholderStored = typeof stored === 'string';
  switch (field.type) {
    case 'boolean': return placeholderStored ? 'text' : 'checkbox';
    case 'integer':
    case 'number': return placeholderStored && !NUMERIC.test(stored.trim()) ? 'text' : 'number';
    case 'string':
    case 'url':
    case 'duration': return field.secret ? 'password' : 'text';
    default: return field.secret ? 'secret-json' : 'json';
  }
}

/** The default as a placeholder: `5s`, `true`, `["a"]`. */
export function placeholderFor(field, parentDefault) {
  const value = field.default !== undefined ? field.default
    : parentDefault && typeof parentDefault === 'object' ? parentDefault[field.name] : undefined;
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * What an input starts with: from the stored definition when editing, else empty (its default is
 * its placeholder). A checkbox starts at the stored value, else at the default.
 */
export function initialValue(spec, stored, parentDefault) {
  const { field } = spec;
  const control = controlFor(field, stored);
  const fallback = field.default !== undefined ? field.default
    : parentDefault && typeof parentDefault === 'object' ? parentDefault[field.name] : undefined;
  const value = { control, raw: '', checked: false, present: stored !== undefined, storedSecret: false };
  if (control === 'checkbox') {
    value.checked = stored !== undefined ? stored === true : fallback === true;
  } else if (field.secret && stored === MASK) {
    value.storedSecret = true;
  } else if (stored === undefined || stored === null) {
    value.raw = '';
  } else if (control === 'json') {
    value.raw = JSON.stringify(stored, null, 2);
  } else if (control === 'secret-json') {
    value.raw = JSON.stringify(stored);
  } else {
    value.raw = String(stored);
  }
  return value;
}

/** A message for the form: `{path, message}`. */
function problem(path, message) {
  return { path, message };
}

/**
 * The value one input contributes, or undefined when it is left to the server's default.
 * Returns `{value}` or `{error}`.
 */
export function readValue(spec, input = {}, initial = {}) {
  const { field, path } = spec;
  const control = initial.control || controlFor(field);
  if (control === 'checkbox') {
    const send = input.touched || initial.present || (field.required && field.default === undefined);
    return send ? { value: Boolean(input.checked) } : {};
  }
  const raw = typeof input.raw === 'string' ? input.raw : '';
  if (raw.trim() === '') {
    // An untouched secret keeps the stored one; any other empty input takes the default.
    if (initial.storedSecret) return { value: MASK };
    if (field.required && field.default === undefined) return { error: problem(path, 'required') };
    return {};
  }
  const text = raw.trim();
  switch (field.type) {
    case 'integer':
    case 'number':
      if (PLACEHOLDER.test(text)) return { value: text };
      if (!NUMERIC.test(text)) return { error: problem(path, field.type === 'integer' ? 'a whole number is needed' : 'a number is needed') };
      if (field.type === 'integer' && !Number.isInteger(Number(text))) return { error: problem(path, 'a whole number is needed') };
      return { value: Number(text) };
    case 'boolean':
      if (text === 'true' || text === 'false') return { value: text === 'true' };
      return { value: text };
    case 'duration':
      // A bare number is milliseconds; otherwise "500ms", "5s", "2m", "1h" or a ${placeholder}.
      return { value: /^\d+$/.test(text) ? Number(text) : text };
    case 'url':
      return { value: text };
    case 'string':
      return { value: raw };
    default: {
      let parsed;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        return { error: problem(path, `not valid JSON (${e.message})`) };
      }
      if (field.type === 'string[]' && !(Array.isArray(parsed) && parsed.every((v) => typeof v === 'string'))) {
        return { error: problem(path, 'a JSON array of strings is needed, e.g. ["a", "b"]') };
      }
      if ((field.type === 'map' || field.type === 'object') && (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))) {
        return { error: problem(path, 'a JSON object is needed, e.g. {"key": "value"}') };
      }
      return { value: parsed };
    }
  }
}

/**
 * The definition the form sends: type, name, and only the inputs that were filled (so the
 * server's defaults apply to the rest). `values` and `initial` map paths to what the inputs hold
 * and started with. Returns `{definition, errors}`; with errors, nothing should be sent.
 */
export function buildDefinition({ type, name, specs, values = {}, initial = {} }) {
  const errors = [];
  const definition = {};
  if (!type) errors.push(problem('type', 'choose a type'));
  else definition.type = type;
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (!trimmed) errors.push(problem('name', 'a name is needed'));
  else if (!/^[A-Za-z0-9_-]+$/.test(trimmed)) errors.push(problem('name', 'letters, digits, "_" and "-" only'));
  else definition.name = trimmed;
  const fill = (list, target) => {
    for (const s of list) {
      if (s.children) {
        const group = {};
        fill(s.children, group);
        if (Object.keys(group).length) target[s.field.name] = group;
        continue;
      }
      const read = readValue(s, values[s.path], initial[s.path]);
      if (read.error) errors.push(read.error);
      else if (read.value !== undefined) target[s.field.name] = read.value;
    }
  };
  fill(specs || [], definition);
  return { definition, errors };
}

/**
 * A definition as the server shows it stored (`GET /api/listeners/{name}/config`): every secret
 * field's value, inside groups too, replaced by the mask. What a save sent is compared in this shape
 * with what is stored.
 */
export function maskSecrets(definition, specs) {
  const out = { ...definition };
  for (const { field, children } of specs || []) {
    const value = out[field.name];
    if (value === undefined || value === null) continue;
    if (field.secret) out[field.name] = MASK;
    else if (children && typeof value === 'object' && !Array.isArray(value)) out[field.name] = maskSecrets(value, children);
  }
  return out;
}

/** `onConnect[0].text` -> [`onConnect[0].text`, `onConnect[0]`, `onConnect`]: the path and its ancestors. */
export function ancestry(path) {
  const out = [];
  let p = String(path || '');
  while (p) {
    out.push(p);
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
  }
  return out;
}

/**
 * Where each complaint goes: next to the input of its path, else next to the nearest input above
 * it (an error inside a JSON value goes to that JSON's input, prefixed by where inside), else at
 * the top of the form. Returns `{byPath: Map<path, string[]>, top: string[]}`.
 */
export function placeErrors(errors, paths) {
  const known = new Set(paths);
  const byPath = new Map();
  const top = [];
  for (const e of errors || []) {
    if (!e) continue;
    const message = typeof e.message === 'string' && e.message ? e.message : 'invalid';
    const path = typeof e.path === 'string' ? e.path : '';
    const home = ancestry(path).find((p) => known.has(p));
    if (!home) {
      top.push(path ? `${path}: ${message}` : message);
      continue;
    }
    if (!byPath.has(home)) byPath.set(home, []);
    byPath.get(home).push(home === path ? message : `${path.slice(home.length).replace(/^\./, '')}: ${message}`);
  }
  return { byPath, top };
}
