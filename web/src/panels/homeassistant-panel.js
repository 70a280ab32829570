import { h, setText, count, clock } from '../dom.js';
import { failureOutcome } from '../outcome.js';

const TOGGLED = new Set(['light', 'switch']);
/** How long after a read of the states that failed it is asked again. */
const STATES_RETRY_MS = 5000;

/**
 * A Home Assistant listener: its entities with their live state (filterable), its counters from the
 * status, and a toggle for lights and switches that calls the service through the bridge.
 */
export class HomeAssistantPanel {
  constructor(name, { call }) {
    this.name = name;
    this.call = call;
    this.entities = new Map();
    this.rows = new Map();
    this.hasToken = false;
    this.open = false;
    this.statesError = null;
    this.held = null;
    this.filter = h('input', { type: 'search', placeholder: 'filter: entity, name or state', 'aria-label': `Filter ${name}'s entities`, dataset: { field: 'filter' },
      oninput: () => this.applyFilter() });
    this.stats = h('p', { class: 'stats', dataset: { field: 'stats' } });
    this.note = h('p', { class: 'note', dataset: { field: 'control-note' } });
    this.body = h('tbody');
    this.el = h('section', { class: 'panel homeassistant', dataset: { homeassistant: name } },
      h('h2', {}, `Home Assistant · ${name}`), this.stats, this.filter, this.note,
      h('div', { class: 'scroll' },
        h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'entity'), h('th', {}, 'state'), h('th', {}, 'changed'), h('th', {}, ''))), this.body)));
  }

  /** The socket is (re)open: listen to state changes and snapshots, then read every state. */
  attach(conn) {
    this.held = [];
    const onEvent = (envelope) => {
      const data = envelope && envelope.data && envelope.data.data;
      // Without new_state the server changed nothing either (it counts it as malformed); only null removes an entity.
      if (!data || !data.entity_id || !('new_state' in data)) return;
      if (this.held) this.held.push(data);
      else this.change(data.entity_id, data.new_state);
    };
    this.conn = conn;
    this.registrations = [
      conn.register(`homeassistant.${this.name}.event.state_changed`, onEvent),
      conn.register(`homeassistant.${this.name}.snapshot`, (envelope) => this.replaceAll(envelope.data.states || [])),
    ];
    this.attached = (this.attached || 0) + 1;
    this.readStates();
  }

  /**
   * Every state, replacing the table. One that fails is asked again: until then the table holds the
   * states from before the reconnect, which the note says.
   */
  readStates() {
    const attached = this.attached;
    this.readAgain = false;
    this.held = this.held || [];
    this.conn.request(`homeassistant.${this.name}.states`, {}, { timeout: 10000 })
      .then((reply) => {
        this.statesError = null;
        this.replaceAll(reply.states || []);
      })
      .catch((err) => {
        this.statesError = `could not read the states (${err.message}): the table may be out of date; asking again in 5 s`;
        setTimeout(() => {
          if (this.attached === attached && this.conn.open) this.readStates();
        }, STATES_RETRY_MS);
      })
      .finally(() => {
        const held = this.held || [];
        this.held = null;
        held.forEach((d) => this.change(d.entity_id, d.new_state));
        this.showNote();
        if (this.readAgain && this.attached === attached && this.conn.open) this.readStates();
      });
  }

  /**
   * The server dropped messages of these addresses for this page, which read too slowly (`slowClients:
   * "conflate"`): a state change of this listener among them leaves a row out of date, so every state is read
   * again, once more after a read already on its way (its answer may be older than the drop).
   */
  missed(addresses) {
    if (!this.conn || !addresses.some((a) => a.startsWith(`homeassistant.${this.name}.`))) return;
    if (this.held) this.readAgain = true;
    else this.readStates();
  }

  showNote() {
    setText(this.note, this.statesError || (this.hasToken ? '' : 'Toggling needs the control token (top right).'));
  }

  /** The listener is gone: stop listening (and asking for its states). */
  detach() {
    this.attached = (this.attached || 0) + 1;
    for (const registration of this.registrations || []) if (this.conn) this.conn.unregister(registration);
    this.registrations = [];
  }

  replaceAll(states) {
    const seen = new Set();
    for (const state of states) {
      seen.add(state.entity_id);
      this.change(state.entity_id, state, true);
    }
    for (const id of [...this.entities.keys()]) {
      if (!seen.has(id)) this.change(id, null);
    }
  }

  /** A newer state replaces the one shown; an older one (a late event against a fresh snapshot) does not. */
  change(entityId, state, force = false) {
    const current = this.entities.get(entityId);
    if (state && current && !force && state.last_updated && current.last_updated && state.last_updated < current.last_updated) return;
    if (!state) {
      this.entities.delete(entityId);
      const row = this.rows.get(entityId);
      if (row) row.el.remove();
      this.rows.delete(entityId);
      return;
    }
    this.entities.set(entityId, state);
    let row = this.rows.get(entityId);
    if (!row) {
      row = this.row(entityId);
      this.rows.set(entityId, row);
      const after = [...this.rows.keys()].sort().find((id) => id > entityId);
      this.body.insertBefore(row.el, after ? this.rows.get(after).el : null);
    }
    const friendly = state.attributes && state.attributes.friendly_name;
    setText(row.name, friendly && friendly !== entityId ? friendly : '');
    const unit = state.attributes && state.attributes.unit_of_measurement;
    setText(row.state, unit ? `${state.state} ${unit}` : state.state);
    row.state.dataset.state = state.state;
    setText(row.changed, state.last_changed ? clock(Date.parse(state.last_changed)) : '');
    row.el.dataset.search = `${entityId} ${friendly || ''} ${state.state}`.toLowerCase();
    this.renderRow(row);
    this.applyFilter(row);
  }

  row(entityId) {
    const domain = entityId.split('.')[0];
    const row = {
      entityId,
      name: h('small'),
      state: h('span', { dataset: { field: 'state' } }),
      changed: h('time'),
      result: h('span', { class: 'result', dataset: { field: 'result' } }),
      toggle: TOGGLED.has(domain)
        ? h('button', { type: 'button', 'aria-label': `Toggle ${entityId}`, dataset: { action: 'toggle' }, onclick: () => this.toggle(row) }, 'Toggle')
        : null,
      inFlight: false,
    };
    row.el = h('tr', { dataset: { entity: entityId } },
      h('td', {}, h('code', {}, entityId), ' ', row.name), h('td', {}, row.state), h('td', {}, row.changed),
      h('td', {}, row.toggle, row.result));
    return row;
  }

  async toggle(row) {
    const domain = row.entityId.split('.')[0];
    row.inFlight = true;
    setText(row.result, '…');
    row.result.dataset.outcome = 'pending';
    this.renderRow(row);
    try {
      await this.call(this.name, { domain, service: 'toggle', target: { entity_id: row.entityId } });
      setText(row.result, '');
      row.result.dataset.outcome = 'ok';
    } catch (err) {
      // An answer lost with the socket (or too late) is no refusal: the light may have been toggled.
      const shown = failureOutcome(err);
      setText(row.result, shown.text);
      row.result.dataset.outcome = shown.outcome;
    } finally {
      row.inFlight = false;
      this.renderRow(row);
    }
  }

  renderRow(row) {
    if (!row.toggle) return;
    row.toggle.disabled = !this.hasToken || !this.open || row.inFlight;
    row.toggle.title = this.hasToken ? '' : 'needs the control token (top right)';
  }

  applyFilter(only) {
    const words = this.filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    for (const row of only ? [only] : this.rows.values()) {
      row.el.hidden = !words.every((w) => (row.el.dataset.search || '').includes(w));
    }
  }

  update({ open, status, hasToken }) {
    // The rows' Toggle depends on these two only: every other listener's push leaves them as they are.
    const controlsChanged = open !== this.open || hasToken !== this.hasToken;
    this.open = open;
    this.hasToken = hasToken;
    if (status) {
      setText(this.stats, [
        status.subscribed ? 'subscribed' : 'not subscribed',
        status.ha_version ? `Home Assistant ${status.ha_version}` : null,
        `${count(status.entities)} entities`,
        `${count(status.event_rate_per_min)} events/min`,
        `${count(status.events_session)} events this session`,
        `${count(status.events_total)} in total`,
      ].filter(Boolean).join(' · '));
      this.stats.dataset.subscribed = String(Boolean(status.subscribed));
    }
    this.showNote();
    if (controlsChanged) this.rows.forEach((row) => this.renderRow(row));
  }
}
