import { h } from './dom.js';

const KEY = 'switchboard.controlToken';

/**
 * The control token, asked for once and kept in localStorage. It goes only into the headers of
 * the sends that act (control, sends to an upstream, service calls); the bridge checks it.
 */
export class TokenField {
  constructor(onChange) {
    this.onChange = onChange;
    this.el = h('div', { id: 'token' });
    window.addEventListener('storage', (e) => {
      if (e.key === KEY) this.render();
    });
    this.render(false);
  }

  get value() {
    try {
      return localStorage.getItem(KEY) || '';
    } catch (e) {
      return '';
    }
  }

  get present() {
    return this.value.length > 0;
  }

  headers() {
    return this.present ? { token: this.value } : {};
  }

  set(value) {
    if (value) localStorage.setItem(KEY, value);
    else localStorage.removeItem(KEY);
    this.render();
  }

  render(notify = true) {
    if (this.present) {
      this.el.replaceChildren(h('span', { id: 'token-state', dataset: { present: 'true' } }, 'control token set'), ' ',
        h('button', { type: 'button', id: 'token-forget', onclick: () => this.set('') }, 'Forget'));
    } else {
      const input = h('input', { type: 'password', id: 'token-input', placeholder: 'control token', autocomplete: 'off', size: 18 });
      this.el.replaceChildren(h('form', { onsubmit: (e) => { e.preventDefault(); this.set(input.value.trim()); } },
        h('label', { for: 'token-input', id: 'token-state', dataset: { present: 'false' } }, 'Control token '), input, ' ',
        h('button', { type: 'submit', id: 'token-save' }, 'Save')));
    }
    if (notify) this.onChange(this);
  }
}
