// A helper, not a test file: node --test loads it with the rest of test/ and finds no tests in it.
/**
 * Just enough of a DOM for the panels to be built and driven in Node: elements with children, text,
 * attributes, dataset, classList and listeners. No layout, no selectors, no events but the ones a
 * test dispatches itself. Importing it installs `document`, `Node` and `sessionStorage` globally.
 */
/** Boolean attributes whose presence a browser's element shows in the property of the same name. */
const REFLECTED = ['disabled', 'hidden'];

class FakeNode {
  constructor() {
    this.parentNode = null;
  }

  remove() {
    if (this.parentNode) this.parentNode.removeChild(this);
  }

  get isConnected() {
    return false;
  }
}

class FakeText extends FakeNode {
  constructor(text) {
    super();
    this.data = String(text);
  }

  get textContent() {
    return this.data;
  }
}

class FakeElement extends FakeNode {
  constructor(tagName) {
    super();
    this.tagName = tagName.toUpperCase();
    this.childNodes = [];
    this.attributes = new Map();
    this.dataset = {};
    this.className = '';
    this.listeners = new Map();
    // What an input, a button or any element starts with in a browser.
    Object.assign(this, { value: '', checked: false, disabled: false, hidden: false, title: '' });
    this.classList = {
      add: (name) => this.editClasses((set) => { set.add(name); }),
      remove: (name) => this.editClasses((set) => { set.delete(name); }),
      contains: (name) => this.editClasses((set) => set.has(name)),
      toggle: (name, on) => this.editClasses((set) => {
        const wanted = on === undefined ? !set.has(name) : Boolean(on);
        if (wanted) set.add(name); else set.delete(name);
        return wanted;
      }),
    };
  }

  /** Calls `change` with the class names as a set, and keeps what it made of them. */
  editClasses(change) {
    const set = new Set(this.className.split(/\s+/).filter(Boolean));
    const result = change(set);
    this.className = [...set].join(' ');
    return result;
  }

  setAttribute(name, value) {
    this.attributes.set(name, String(value));
    if (REFLECTED.includes(name)) this[name] = true; // as a browser's element reflects them in its properties
  }

  getAttribute(name) {
    return this.attributes.has(name) ? this.attributes.get(name) : null;
  }

  removeAttribute(name) {
    this.attributes.delete(name);
    if (REFLECTED.includes(name)) this[name] = false;
  }

  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(fn);
  }

  /** Calls the listeners of `type`, as a user's click or input would. */
  dispatch(type, event = {}) {
    for (const fn of this.listeners.get(type) || []) fn({ type, target: this, preventDefault() {}, ...event });
  }

  get children() {
    return this.childNodes.filter((n) => n instanceof FakeElement);
  }

  get firstElementChild() {
    return this.children[0] || null;
  }

  get lastElementChild() {
    const children = this.children;
    return children[children.length - 1] || null;
  }

  get textContent() {
    return this.childNodes.map((n) => n.textContent).join('');
  }

  set textContent(text) {
    this.replaceChildren();
    if (text !== '') this.append(text);
  }

  adopt(child) {
    const node = child instanceof FakeNode ? child : new FakeText(child);
    node.remove();
    node.parentNode = this;
    return node;
  }

  append(...children) {
    for (const child of children) this.childNodes.push(this.adopt(child));
  }

  prepend(...children) {
    this.childNodes.unshift(...children.map((c) => this.adopt(c)));
  }

  insertBefore(child, before) {
    const node = this.adopt(child);
    const at = before ? this.childNodes.indexOf(before) : -1;
    if (at < 0) this.childNodes.push(node);
    else this.childNodes.splice(at, 0, node);
    return node;
  }

  replaceChildren(...children) {
    for (const node of this.childNodes) node.parentNode = null;
    this.childNodes = [];
    this.append(...children);
  }

  replaceWith(other) {
    const parent = this.parentNode;
    if (parent) parent.insertBefore(other, this);
    this.remove();
  }

  removeChild(child) {
    this.childNodes = this.childNodes.filter((n) => n !== child);
    child.parentNode = null;
    return child;
  }

  focus() {}

  querySelector() {
    return null;
  }

  /** Only a bare tag name, which is all the page asks for this way ('polyline'). */
  querySelectorAll(tag) {
    return this.findAll((el) => el.tagName === tag.toUpperCase());
  }

  /** Every element below this one (depth first) for which `test(el)` holds. */
  findAll(test) {
    const found = [];
    for (const child of this.children) {
      if (test(child)) found.push(child);
      found.push(...child.findAll(test));
    }
    return found;
  }

  /** The first element below this one whose dataset has `key` equal to `value`. */
  find(key, value) {
    return this.findAll((el) => el.dataset[key] === value)[0] || null;
  }
}

class FakeStorage {
  constructor() {
    this.items = new Map();
  }

  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }

  setItem(key, value) {
    this.items.set(key, String(value));
  }

  removeItem(key) {
    this.items.delete(key);
  }

  clear() {
    this.items.clear();
  }
}

globalThis.Node = FakeNode;
globalThis.document = {
  createElement: (tag) => new FakeElement(tag),
  createElementNS: (ns, tag) => new FakeElement(tag),
  createTextNode: (text) => new FakeText(text),
};
globalThis.sessionStorage = new FakeStorage();
