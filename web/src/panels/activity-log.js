import { h, clock } from '../dom.js';

/** What a change of state is called in the log. */
export function lifecycleEvent(old, status) {
  if (!status) return old ? { word: 'removed', detail: 'no longer configured' } : null;
  // In a cluster, a listener may change owner without a state the log would show in between.
  const moved = Boolean(old && status.owner && old.owner && old.owner !== status.owner);
  if (old && old.state === status.state) return moved ? { word: 'moved', detail: `to ${ownedBy(status)}` } : null;
  const error = status.last_error ? status.last_error.message : '';
  switch (status.state) {
    case 'CONNECTED': return { word: 'connected', detail: [status.owner ? `on ${ownedBy(status)}` : '', status.websocket_url || ''].filter(Boolean).join(' · ') };
    case 'UNASSIGNED': return { word: 'unassigned', detail: status.unassigned_reason || '' };
    case 'STARTING': return { word: 'starting', detail: status.attempt ? `attempt ${status.attempt}` : '' };
    case 'BACKOFF': return {
      word: old && old.state === 'CONNECTED' ? 'disconnected' : 'backoff',
      detail: [status.attempt ? `attempt ${status.attempt}` : '', error].filter(Boolean).join(': '),
    };
    case 'FAILED': return { word: 'failed', detail: error };
    case 'STOPPING': return { word: 'stopping', detail: '' };
    case 'STOPPED': return { word: 'stopped', detail: old && old.state === 'CONNECTED' ? 'disconnected' : '' };
    default: return { word: status.state.toLowerCase(), detail: '' };
  }
}

function ownedBy(status) {
  return `${status.owner} (epoch ${status.epoch})`;
}

/** The listeners' lifecycle events, newest first, at most `limit` of them. */
export class ActivityLog {
  constructor({ limit = 200 } = {}) {
    this.limit = limit;
    this.list = h('ol', { class: 'log', dataset: { field: 'log' } });
    this.el = h('section', { class: 'panel', id: 'activity-log' }, h('h2', {}, 'Lifecycle'), this.list);
  }

  record(name, status, old, how) {
    const event = lifecycleEvent(old, status);
    if (!event) return;
    const at = Date.now();
    const item = h('li', { dataset: { listener: name, event: event.word, how } },
      h('time', { datetime: new Date(at).toISOString() }, clock(at)), ' ',
      h('b', {}, name), ' ', h('span', { class: `word ${event.word}` }, event.word),
      event.detail ? h('span', { class: 'detail' }, ` ${event.detail}`) : null,
      how === 'push' ? null : h('em', { class: 'detail' }, ' (seen on resync)'));
    this.list.prepend(item);
    while (this.list.children.length > this.limit) this.list.lastElementChild.remove();
  }

  note(text) {
    const at = Date.now();
    this.list.prepend(h('li', { class: 'note' }, h('time', {}, clock(at)), ' ', text));
    while (this.list.children.length > this.limit) this.list.lastElementChild.remove();
  }
}
