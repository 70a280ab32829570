import { h, setText } from '../dom.js';
import { apiRequest, failureMessage, listenerPath } from '../api.js';
import { failureOutcome, unconfirmed } from '../outcome.js';
import {
  formFields, formPaths, initialValue, buildDefinition, placeErrors, placeholderFor, valueAt, maskSecrets,
} from '../listener-form.js';

export const NEEDS_TOKEN = 'needs the control token (top right)';

/** Removes listener `name` (after the user confirmed): resolves with a word for the card, rejects with the reason. */
export async function removeListener(name, token, request = apiRequest) {
  const { status, body } = await request('DELETE', listenerPath(name), { token });
  if (status === 200) return 'removed';
  if (status === 404) return 'already removed';
  throw new Error(failureMessage(status, body));
}

/**
 * Adds and edits listeners through the REST API, with a form made from the kind's schema
 * (`GET /api/kinds`). Only the inputs the user filled are sent, so the server's defaults apply to
 * the rest; the server's complaints are shown next to the inputs they are about.
 */
export class ListenerEditor {
  constructor({ catalog, token, addButton, onSaved = () => {}, request = apiRequest }) {
    this.catalog = catalog;
    this.token = token;
    this.request = request;
    this.onSaved = onSaved;
    this.addButton = addButton;
    this.mode = null; // 'add' | 'edit' | null (closed)
    this.name = null;
    this.version = null;
    this.stored = null;
    this.specs = [];
    this.inputs = new Map(); // path -> {el, slot, spec, initial, touched}
    this.groups = new Map(); // path -> {el, slot}
    this.busy = false;
    this.loadToken = 0;
    this.el = h('section', { class: 'panel editor', id: 'listener-editor', hidden: true, 'aria-label': 'Listener editor' });
    this.addButton.addEventListener('click', () => this.openAdd());
    this.render();
  }

  get open() {
    return this.mode !== null;
  }

  /** The token came or went: the buttons that act follow it. */
  render() {
    const hasToken = this.token.present;
    this.addButton.disabled = !hasToken;
    this.addButton.title = hasToken ? '' : NEEDS_TOKEN;
    if (this.saveButton) {
      this.saveButton.disabled = !hasToken || this.busy || !this.formReady;
      this.saveButton.title = hasToken ? '' : NEEDS_TOKEN;
    }
  }

  openAdd() {
    if (!this.token.present) return;
    this.start('add', null);
    this.showForm();
  }

  /** Opens the form for listener `name`, filled from its stored definition. */
  async openEdit(name) {
    if (!this.token.present) return;
    const ticket = this.start('edit', name);
    this.showMessage(`reading the definition of ${name}…`);
    let reply;
    try {
      reply = await this.request('GET', listenerPath(name, '/config'), { token: this.token.value });
    } catch (err) {
      if (ticket === this.loadToken) this.showMessage(`could not read the definition of ${name}: ${err.message}`, true);
      return;
    }
    if (ticket !== this.loadToken) return;
    if (reply.status !== 200 || !reply.body || !reply.body.definition) {
      this.showMessage(`could not read the definition of ${name}: ${failureMessage(reply.status, reply.body)}`, true);
      return;
    }
    this.stored = reply.body.definition;
    this.version = reply.body.version ?? null;
    this.over = this.version;
    this.showForm();
  }

  start(mode, name) {
    this.loadToken += 1;
    this.mode = mode;
    this.name = name;
    this.stored = null;
    this.version = null;
    /**
     * The version a save goes over (If-Match): the one read, or the one a note told of since ("changed
     * meanwhile (version 3)"; 0 once removed, and for a new listener). A change the page has not told of
     * is not overwritten: the server refuses the save (412) and the note says what changed.
     */
    this.over = mode === 'add' ? 0 : null;
    /** A save of this form whose answer was lost: what it sent (secrets masked), until the stored definition says whether it went through. */
    this.unconfirmedSave = null;
    this.busy = false;
    this.el.hidden = false;
    this.el.dataset.mode = mode;
    this.el.scrollIntoView?.({ block: 'nearest' });
    return this.loadToken;
  }

  close() {
    this.loadToken += 1;
    this.mode = null;
    this.name = null;
    this.stored = null;
    this.forgetForm();
    this.el.hidden = true;
    delete this.el.dataset.mode;
    this.el.replaceChildren();
  }

  /** The form and what points into it are gone (closed, or replaced by a message). */
  forgetForm() {
    this.formReady = false;
    this.form = null;
    this.saveButton = null;
    this.formNote = null;
    this.formError = null;
    this.inputs.clear();
    this.groups.clear();
  }

  /** A plain message in place of the form (loading, or it could not load), with a way out. */
  showMessage(text, failed = false) {
    this.forgetForm();
    this.el.replaceChildren(
      h('h2', {}, this.mode === 'edit' ? `Edit ${this.name}` : 'Add listener'),
      h('p', { class: failed ? 'error' : 'note', dataset: { field: failed ? 'form-error' : 'form-note' } }, text),
      h('div', { class: 'controls' }, h('button', { type: 'button', dataset: { action: 'cancel' }, onclick: () => this.close() }, 'Cancel')));
  }

  /** The form, once the kinds are known (they are read again until they are). */
  showForm() {
    const ticket = this.loadToken;
    if (!this.catalog.ready) {
      this.showMessage('reading the kinds of listener from the server…');
      this.catalog.load().then(() => {
        if (ticket === this.loadToken) this.showForm();
      }, (err) => {
        if (ticket !== this.loadToken) return;
        this.showMessage(`could not read the kinds of listener (${err.message}); trying again…`, true);
        const stop = this.catalog.onReady((value) => {
          if (!value) return;
          stop && stop();
          if (ticket === this.loadToken) this.showForm();
        });
      });
      return;
    }
    const { kinds } = this.catalog.value;
    const type = this.mode === 'edit' ? this.stored && this.stored.type : [...kinds.keys()].sort()[0];
    this.build(type || '');
  }

  build(type, keep = null) {
    const { kinds, common } = this.catalog.value;
    const kind = kinds.get(type) || null;
    this.type = type;
    this.specs = kind ? formFields(kind, common) : [];
    this.inputs.clear();
    this.groups.clear();
    this.busy = false;
    this.formError = h('div', { class: 'form-error', role: 'alert', dataset: { field: 'form-error' } });
    this.formNote = h('p', { class: 'note', dataset: { field: 'form-note' } });
    this.result = h('span', { class: 'result', dataset: { field: 'form-result' } });

    const editing = this.mode === 'edit';
    const types = [...kinds.keys()].sort();
    if (type && !kinds.has(type)) types.unshift(type);
    this.typeSelect = h('select', { id: 'listener-type', dataset: { path: 'type' }, disabled: editing, required: true,
      onchange: () => this.build(this.typeSelect.value, this.readAll()) },
    ...types.map((t) => h('option', { value: t, selected: t === type }, t)));
    this.nameInput = h('input', { type: 'text', id: 'listener-name', dataset: { path: 'name' }, autocomplete: 'off',
      required: true, readonly: editing, maxlength: 64, pattern: '[A-Za-z0-9_-]+',
      placeholder: 'e.g. feed-2', title: 'letters, digits, "_" and "-"; it is part of the listener\'s addresses' });
    this.nameInput.value = editing ? this.name : (keep && keep.name) || '';
    const typeRow = this.row('type', 'Type', this.typeSelect, kind ? kind.description : `the server describes no kind "${type}"`);
    const nameRow = this.row('name', 'Name', this.nameInput, editing ? '' : 'letters, digits, "_" and "-"');
    this.inputs.set('type', { el: this.typeSelect, slot: typeRow.slot });
    this.inputs.set('name', { el: this.nameInput, slot: nameRow.slot });

    this.saveButton = h('button', { type: 'submit', dataset: { action: 'save' } }, editing ? 'Save' : 'Add');
    this.form = h('form', { id: 'listener-form', novalidate: true, dataset: { mode: this.mode, kind: type },
      onsubmit: (e) => { e.preventDefault(); this.submit(); },
      onkeydown: (e) => { if (e.key === 'Escape') this.close(); } },
    h('h2', {}, editing ? `Edit ${this.name}` : 'Add listener',
      editing && this.version !== null ? h('small', { class: 'version' }, ` version ${this.version}`) : null),
    this.formError, this.formNote,
    typeRow.el, nameRow.el,
    h('div', { class: 'fields' }, ...this.specs.map((s) => this.fieldEl(s, this.stored, undefined, keep))),
    h('div', { class: 'controls' }, this.saveButton,
      h('button', { type: 'button', dataset: { action: 'validate' }, onclick: () => this.check() }, 'Check'),
      h('button', { type: 'button', dataset: { action: 'cancel' }, onclick: () => this.close() }, 'Cancel'),
      this.result));
    this.formReady = Boolean(kind);
    this.el.replaceChildren(this.form);
    this.render();
    if (!kind) this.showErrors([], [`the server describes no kind "${type}": the form cannot be made`]);
    if (!keep) {
      // Opened (not a change of type): bring the form into view, at its first input.
      this.el.scrollIntoView?.({ block: 'nearest' });
      const first = editing ? this.form.querySelector('.fields [data-path]') : this.nameInput;
      if (first) first.focus({ preventScroll: true });
    }
  }

  /** A label, an input (or group), its doc and its error slot. */
  row(path, label, control, hint, required = false) {
    const slot = h('span', { class: 'field-error', dataset: { errorFor: path }, 'aria-live': 'polite' });
    const id = control.id;
    const el = h('div', { class: 'field', dataset: { row: path } },
      h('label', { for: id }, label, required ? h('span', { class: 'required', title: 'required' }, ' *') : null),
      control,
      hint ? h('small', { class: 'hint' }, hint) : null,
      slot);
    return { el, slot };
  }

  fieldEl(spec, stored, parentDefault, keep) {
    const { field, path } = spec;
    if (spec.children) {
      const slot = h('span', { class: 'field-error', dataset: { errorFor: path } });
      const groupDefault = field.default && typeof field.default === 'object' ? field.default : undefined;
      const el = h('fieldset', { class: 'group', dataset: { group: path }, title: field.doc || null },
        h('legend', {}, field.name),
        field.doc ? h('small', { class: 'hint' }, field.doc) : null, slot,
        ...spec.children.map((c) => this.fieldEl(c, stored, groupDefault, keep)));
      this.groups.set(path, { el, slot });
      return el;
    }
    const storedValue = stored ? valueAt(stored, path) : undefined;
    const initial = initialValue(spec, storedValue, parentDefault);
    const id = `field-${path.replace(/[^A-Za-z0-9_-]/g, '-')}`;
    const placeholder = initial.storedSecret ? 'unchanged' : placeholderFor(field, parentDefault);
    const common = { id, dataset: { path, type: field.type }, title: field.doc || null, 'aria-required': field.required ? 'true' : null };
    let el;
    switch (initial.control) {
      case 'checkbox':
        el = h('input', { ...common, type: 'checkbox' });
        el.checked = initial.checked;
        break;
      case 'number':
        el = h('input', { ...common, type: 'number', step: field.type === 'integer' ? '1' : 'any', placeholder });
        el.value = initial.raw;
        break;
      case 'json':
        el = h('textarea', { ...common, rows: 3, spellcheck: 'false', placeholder: placeholder || jsonExample(field.type) });
        el.value = initial.raw;
        break;
      case 'secret-json':
        el = h('input', { ...common, type: 'password', placeholder: placeholder || jsonExample(field.type), autocomplete: 'new-password',
          spellcheck: 'false' });
        el.value = initial.raw;
        break;
      default:
        el = h('input', { ...common, type: initial.control === 'password' ? 'password' : 'text', placeholder,
          autocomplete: initial.control === 'password' ? 'new-password' : 'off', spellcheck: 'false' });
        el.value = initial.raw;
    }
    const entry = { el, spec, initial, touched: false };
    const carried = keep && keep.values[path];
    if (carried && carried.touched) {
      // The type changed: what was typed into a field both kinds have stays.
      if (initial.control === 'checkbox') el.checked = Boolean(carried.checked);
      else el.value = carried.raw || '';
      entry.touched = true;
    }
    const mark = () => {
      entry.touched = true;
      this.clearError(path);
    };
    el.addEventListener('input', mark);
    el.addEventListener('change', mark);
    const hint = [field.doc, field.type === 'duration' ? 'e.g. 500ms, 5s, 2m, 1h' : '',
      initial.control === 'json' || initial.control === 'secret-json' ? `JSON (${field.type})` : ''].filter(Boolean).join(' · ');
    const r = this.row(path, field.name, el, hint, field.required);
    entry.slot = r.slot;
    this.inputs.set(path, entry);
    if (initial.control === 'checkbox') r.el.classList.add('check');
    return r.el;
  }

  /** What every input holds now: `{name, values: {path: {raw, checked, touched}}}`. */
  readAll() {
    const values = {};
    for (const [path, entry] of this.inputs) {
      if (!entry.spec) continue;
      const el = entry.el;
      const bad = el.type === 'number' && el.validity && el.validity.badInput;
      values[path] = { raw: bad ? '\u0000not a number' : el.value, checked: el.checked, touched: entry.touched };
    }
    return { name: this.nameInput ? this.nameInput.value : '', values };
  }

  /** The definition the form makes, or the errors that keep it from being sent (shown). */
  definition() {
    const { name, values } = this.readAll();
    const initial = Object.fromEntries([...this.inputs].filter(([, e]) => e.spec).map(([p, e]) => [p, e.initial]));
    return buildDefinition({ type: this.type, name: this.mode === 'edit' ? this.name : name, specs: this.specs, values, initial });
  }

  async submit() {
    if (!this.form || this.busy) return;
    this.clearErrors();
    const { definition, errors } = this.definition();
    if (errors.length) {
      this.showErrors(errors);
      return;
    }
    if (!this.token.present) {
      this.showErrors([], [`saving ${NEEDS_TOKEN}`]);
      return;
    }
    const reply = await this.exchange('saving…', 'PUT', listenerPath(definition.name),
      { body: definition, token: this.token.value, ifMatch: this.over ?? undefined });
    if (!reply) return;
    this.setBusy(false, '');
    if (reply.status === 200 || reply.status === 201) {
      this.close();
      this.onSaved(definition.name, reply.body || {});
      return;
    }
    this.showReplyErrors(reply);
    // Changed meanwhile, unknown to the page: read it again, so that the note says how, and saving again replaces it.
    if (reply.status === 412 && this.mode === 'edit') await this.recheck();
  }

  /**
   * One request of the form, shown as busy: the reply, or null when it failed (the reason is shown)
   * or the form has moved on to another listener meanwhile.
   */
  async exchange(busyText, method, path, options) {
    const ticket = this.loadToken;
    this.setBusy(true, busyText);
    try {
      const reply = await this.request(method, path, options);
      return ticket === this.loadToken ? reply : null;
    } catch (err) {
      if (ticket === this.loadToken) {
        this.setBusy(false, '');
        // A save whose answer was lost may have been saved all the same; a check changes nothing.
        this.showErrors([], [method === 'PUT' ? `saving ${failureOutcome(err).text}` : err.message]);
        // Kept masked: the stored definition is read back so, and a typed secret need not stay in memory.
        if (method === 'PUT' && unconfirmed(err)) this.unconfirmedSave = maskSecrets(options.body, this.specs);
      }
      return null;
    }
  }

  /** Asks the server whether the definition is valid, without saving it. */
  async check() {
    if (!this.form || this.busy) return;
    this.clearErrors();
    const { definition, errors } = this.definition();
    if (errors.length) {
      this.showErrors(errors);
      return;
    }
    const reply = await this.exchange('checking…', 'POST', `/api/kinds/${encodeURIComponent(definition.type)}/validate`,
      { body: definition, token: this.token.value || undefined });
    if (!reply) return;
    if (reply.status === 200 && reply.body && reply.body.valid) {
      this.setBusy(false, 'valid');
      this.result.dataset.outcome = 'ok';
      return;
    }
    this.setBusy(false, '');
    this.showReplyErrors(reply);
  }

  showReplyErrors(reply) {
    const body = reply.body || {};
    const fields = reply.status === 400 && Array.isArray(body.fields) ? body.fields : [];
    const general = reply.status === 400 && body.error ? body.error : failureMessage(reply.status, body);
    this.showErrors(fields, [general]);
  }

  setBusy(busy, text) {
    this.busy = busy;
    setText(this.result, text);
    this.result.dataset.outcome = busy ? 'pending' : '';
    this.render();
  }

  /** Field errors next to their inputs (or at the top when no input is theirs), and general ones at the top. */
  showErrors(fieldErrors, general = []) {
    const paths = ['type', 'name', ...formPaths(this.specs)];
    const { byPath, top } = placeErrors(fieldErrors, paths);
    const messages = [...general.filter(Boolean), ...top];
    if (this.formError) this.formError.replaceChildren(...messages.map((m) => h('p', {}, m)));
    let first = null;
    for (const [path, list] of byPath) {
      const target = this.inputs.get(path) || this.groups.get(path);
      if (!target) continue;
      setText(target.slot, list.join('; '));
      if (this.inputs.has(path)) {
        target.el.setAttribute('aria-invalid', 'true');
        target.el.setAttribute('aria-describedby', slotId(target.slot, path));
        first = first || target.el;
      } else {
        target.el.classList.add('invalid');
      }
    }
    if (first) first.focus();
    else if (messages.length && this.formError) this.formError.scrollIntoView?.({ block: 'nearest' });
  }

  clearError(path) {
    const target = this.inputs.get(path);
    if (!target) return;
    setText(target.slot, '');
    target.el.removeAttribute('aria-invalid');
  }

  clearErrors() {
    if (this.formError) this.formError.replaceChildren();
    for (const [, target] of this.inputs) {
      setText(target.slot, '');
      target.el.removeAttribute('aria-invalid');
    }
    for (const [, group] of this.groups) {
      setText(group.slot, '');
      group.el.classList.remove('invalid');
    }
  }

  /** Whether the edit form of listener `name` is shown (not loading, not closed). */
  editing(name) {
    return this.mode === 'edit' && name === this.name && Boolean(this.formNote);
  }

  /**
   * A push on `switchboard.definitions`: say so when the listener being edited changed or went
   * elsewhere. Any other version is a change (one removed and made again goes on from its last version).
   */
  definitionChanged(change) {
    if (!change || !this.editing(change.name)) return;
    if (change.action === 'removed') this.noteRemoved();
    else if (typeof change.version === 'number' && this.version !== null && change.version !== this.version) {
      // Perhaps this form's own save, whose answer was lost: only the stored content can tell.
      if (this.unconfirmedSave) this.recheck();
      else this.noteChanged(change.version);
    }
  }

  /** The listener went (its status says so): the same note, for servers that do not publish definitions. */
  listenerRemoved(name) {
    if (this.editing(name)) this.noteRemoved();
  }

  /**
   * The page is synced again after pushes may have been missed (a reconnect, or a gap): nothing
   * replays `switchboard.definitions`, so an open edit form reads its definition again and says
   * whether it changed or went meanwhile.
   */
  async recheck() {
    const name = this.name;
    if (!this.editing(name) || !this.token.present) return;
    const ticket = this.loadToken;
    let reply;
    try {
      reply = await this.request('GET', listenerPath(name, '/config'), { token: this.token.value });
    } catch (err) {
      reply = { status: 0, error: err.message };
    }
    if (ticket !== this.loadToken || !this.editing(name)) return;
    if (reply.status === 404) this.noteRemoved();
    else if (reply.status === 200 && reply.body && reply.body.definition) this.compareStored(reply.body);
    else this.noteUnchecked(reply.error || failureMessage(reply.status, reply.body));
  }

  /** The definition as stored now against the one the form was filled from. */
  compareStored({ version, definition }) {
    // A new version too: a save that changed only a secret reads back the same, masked, whether it went through or not.
    if (this.unconfirmedSave && (version ?? null) !== this.version && sameJson(definition, this.unconfirmedSave)) {
      this.unconfirmedSave = null;
      this.version = version ?? null;
      this.over = this.version;
      this.stored = definition;
      this.clearErrors();
      this.note('saved', `${this.name}: the save went through after all (version ${version}); the form shows what is stored.`);
      return;
    }
    // The same version with another content: removed and made again up to the same version.
    const changed = (version ?? null) !== this.version || !sameJson(definition, this.stored);
    if (changed) this.noteChanged(version);
    else if (this.formNote.dataset.note === 'unchecked') this.note('', ''); // an earlier check failed; this one says nothing changed
  }

  noteRemoved() {
    this.over = 0;
    this.note('removed', `${this.name} was removed meanwhile: saving creates it again.`);
  }

  noteChanged(version) {
    if (typeof version === 'number') this.over = version; // told: a save now replaces that change, knowingly
    const which = typeof version === 'number' ? ` (version ${version})` : '';
    this.note('changed', `${this.name} was changed meanwhile${which}: saving replaces that change.`);
  }

  noteUnchecked(reason) {
    this.note('unchecked', `could not check whether ${this.name} changed while the page was away (${reason}): saving replaces any change made meanwhile.`);
  }

  /** The form's note on its listener, and which (`data-note`: removed, changed, unchecked, saved), for the browser tests. */
  note(kind, text) {
    this.formNote.dataset.note = kind;
    setText(this.formNote, text);
  }
}

/** Whether two JSON values are equal, whatever the order of their keys. */
function sameJson(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
}

function slotId(slot, path) {
  if (!slot.id) slot.id = `error-${path.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  return slot.id;
}

function jsonExample(type) {
  return { 'string[]': '["a", "b"]', map: '{"key": "value"}', object: '{}' }[type] || 'JSON';
}
