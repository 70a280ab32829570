import { Connection, BusError } from './connection.js';
import { StatusStore } from './status-store.js';
import { makeResync } from './resync.js';
import { TokenField } from './token.js';
import { setText, duration } from './dom.js';
import { ListenerCard } from './panels/listener-card.js';
import { ActivityLog } from './panels/activity-log.js';
import { FeedPanel } from './panels/feed-panel.js';
import { HomeAssistantPanel } from './panels/homeassistant-panel.js';
import { MarketPanel } from './panels/market-panel.js';
import { ActivityPanel } from './panels/activity-panel.js';
import { GenericPanel } from './panels/generic-panel.js';
import { ListenerEditor, removeListener } from './panels/listener-editor.js';
import { KindCatalog } from './kinds.js';
import { apiRequest, failureMessage } from './api.js';
import { ClusterWatch, ownerChanged } from './cluster.js';
import { ClusterPanel } from './panels/cluster-panel.js';
import { DropNotices } from './drop-notices.js';

/** The panel a kind of listener gets beside its card, where it has one of its own; any other gets the generic panel. */
const PANELS = {
  upstream: (name) => new FeedPanel(name, { send: (n, text) => act(`upstream.${n}.send`, text) }),
  homeassistant: (name) => new HomeAssistantPanel(name, { call: (n, body) => act(`homeassistant.${n}.call`, body, 15000) }),
  alpaca: (name) => new MarketPanel(name),
};

const cards = new Map();
const panels = new Map();
const log = new ActivityLog();
const activity = new ActivityPanel();
const token = new TokenField(() => {
  editor.render();
  refreshAll();
});
/** The kinds (their schemas and data addresses), read once per page load and again only after a failure. */
const catalog = new KindCatalog(() => apiRequest('GET', '/api/kinds').then(({ status, body }) => {
  if (status !== 200 || !body) throw new Error(failureMessage(status, body));
  return body;
}));
const store = new StatusStore(onStatus);
const clusterPanel = new ClusterPanel();
/** This node's cluster facts; who owns what comes from the statuses, which are pushed. */
const cluster = new ClusterWatch(() => apiRequest('GET', '/api/cluster').then(({ status, body }) => {
  if (status !== 200 || !body) throw new Error(failureMessage(status, body));
  return body;
}), () => refreshAll());
let generation = 0;
/**
 * The server's notices of messages it dropped for this page: the views built from those addresses read their
 * state again (the statuses and activity channels see the hole in their own seq and resync by themselves), and the
 * log says so, once in a while however often they come.
 */
const dropped = new DropNotices({
  onAddresses: (addresses) => {
    if (addresses.includes('switchboard.definitions')) editor.recheck();
    panels.forEach((panel) => panel.missed && panel.missed(addresses));
  },
  note: (text) => log.note(text),
});

const ui = {
  connection: document.getElementById('connection'),
  connectionText: document.getElementById('connection-text'),
  connectionSaid: document.getElementById('connection-said'),
  reconnect: document.getElementById('reconnect'),
  listeners: document.getElementById('listeners'),
  empty: document.getElementById('no-listeners'),
  data: document.getElementById('data-panels'),
  side: document.getElementById('side'),
  editorResult: document.getElementById('listener-result'),
};
const editor = new ListenerEditor({
  catalog,
  token,
  addButton: document.getElementById('add-listener'),
  onSaved: (name, reply) => setText(ui.editorResult, `${name}: ${reply.status || 'saved'}${reply.version !== undefined ? ` (version ${reply.version})` : ''}`),
});
document.getElementById('editor-slot').replaceWith(editor.el);
document.getElementById('token-slot').replaceWith(token.el);
ui.side.append(clusterPanel.el, log.el, activity.el);
ui.reconnect.addEventListener('click', () => conn.reconnectNow());

const conn = new Connection(`${location.origin}/eventbus`, {
  onOpen,
  onClose: (c, wasOpen) => {
    store.beginResync();
    cluster.stop();
    if (wasOpen) log.note(`connection to the server lost: ${c.lostBecause || 'closed'}`);
    refreshAll();
  },
  onChange: renderConnection,
  staleAfter: staleAfterFromUrl(),
});

/** `?staleAfter=<ms>`: how long the page waits without a word from the server (default 15 s, 3 missed pings). */
function staleAfterFromUrl() {
  const ms = Number(new URLSearchParams(location.search).get('staleAfter'));
  return Number.isFinite(ms) && ms >= 1000 ? ms : 15000;
}

/** Every (re)connect: listen first, then ask what changed, so that nothing falls between the two. */
function onOpen() {
  generation += 1;
  store.beginResync();
  // The bridge's limits, read on every connect (a restarted server may have others): a send too large
  // for the server is refused by the page with the reason, instead of the server closing the socket.
  // The feed's outbox waits until they are known.
  conn.readLimits(() => apiRequest('GET', '/api/bridge').then(({ status, body }) => {
    if (status !== 200 || !body) throw new Error(failureMessage(status, body));
    return body;
  }), { onKnown: () => refreshAll() });
  // A push that shows a gap starts a resync, which redraws everything as not synced until it is done.
  conn.register('switchboard.status', (push) => (store.push(push) ? resync() : refreshAll()));
  // Optional on the server: an open edit form then says when its listener changed elsewhere (and after a resync, reads it again).
  conn.register('switchboard.definitions', (change) => editor.definitionChanged(change));
  // What the server dropped for this page when it read too slowly (slowClients: "conflate").
  conn.register('switchboard.bridge.dropped', (notice) => dropped.tell(notice));
  activity.attach(conn);
  resync();
  // The page may now be served by another node (or a restarted one): read its facts again.
  cluster.start();
}

/** From the missed deltas when the server still has them, else (or when it cannot say) from the snapshot. */
const resync = makeResync({
  conn,
  store,
  generation: () => generation,
  onBegin: () => refreshAll(),
  onSynced: () => {
    refreshAll();
    // What was pushed on switchboard.definitions meanwhile is not replayed: an open edit form reads its listener again.
    editor.recheck();
  },
});

function onStatus(name, status, old, how) {
  // The first snapshot tells how things stand, not what changed: logged, a listener up for days would seem to
  // have connected just now, and a large install would push every real event out of the log.
  if (old || store.snapshots > 0) log.record(name, status, old, how);
  // An owner moved: a node may have left or joined, so the nodes present are read again now, not at the next poll.
  if (cluster.clustered && ownerChanged(status, old)) cluster.refresh();
  if (!status) {
    cards.get(name)?.el.remove();
    cards.delete(name);
    dropPanel(name, 'the listener was removed');
    editor.listenerRemoved(name);
    return;
  }
  if (!cards.has(name)) {
    const card = new ListenerCard(name, {
      command: (n, action) => act('switchboard.control', { action, name: n }, 20000),
      edit: (n) => editor.openEdit(n),
      remove: (n) => removeListener(n, token.value),
    });
    cards.set(name, card);
    insertSorted(ui.listeners, cards, name, card.el);
  }
  // A listener redefined as another kind gets that kind's panel.
  if (panels.has(name) && panels.get(name).forType !== status.type) dropPanel(name, `it is now of type ${status.type}`);
  if (!panels.has(name)) {
    const make = PANELS[status.type] || ((n, type) => new GenericPanel(n, type, { catalog }));
    const panel = make(name, status.type);
    panel.forType = status.type;
    panels.set(name, panel);
    insertSorted(ui.data, panels, name, panel.el);
  }
}

function dropPanel(name, why) {
  const panel = panels.get(name);
  if (!panel) return;
  const unsent = panel.detach ? panel.detach() : 0;
  if (unsent > 0) log.note(`${name}: ${unsent} message(s) in the outbox were not confirmed sent, and will not be: ${why}`);
  panel.el.remove();
  panels.delete(name);
}

function insertSorted(parent, map, name, el) {
  const after = [...map.keys()].sort().find((n) => n > name && map.get(n).el.isConnected);
  parent.insertBefore(el, after ? map.get(after).el : null);
}

/** A send that acts: it needs the token, which goes in the headers. */
function act(address, body, timeout = 10000) {
  if (!token.present) return Promise.reject(new BusError('the control token is needed', 'NO_TOKEN', 401));
  return conn.request(address, body, { headers: token.headers(), timeout });
}

/** The cluster facts a card is given before any are known: one object, so that a card can tell nothing changed. */
const NO_FACTS = Object.freeze({});

function refreshAll() {
  const synced = conn.open && store.synced;
  const facts = cluster.facts || NO_FACTS;
  for (const [name, card] of cards) {
    const status = store.get(name);
    if (status) card.update(status, { synced, hasToken: token.present, cluster: facts });
  }
  clusterPanel.render(cluster.facts, cluster.error, store.all(), { synced });
  for (const [name, panel] of panels) {
    if (synced && panel.attachedTo !== generation) {
      panel.attachedTo = generation;
      panel.attach(conn);
    }
    panel.update({ open: synced, status: store.get(name), hasToken: token.present, sizeKnown: conn.maxMessageSize !== null });
    // Disconnected or resyncing, what a panel shows is the last known, as on the cards.
    panel.el.classList.toggle('is-stale', !synced);
  }
  ui.listeners.dataset.synced = String(synced);
  ui.listeners.dataset.view = store.view || ''; // the status stream followed: which node's (or process's)
  ui.empty.hidden = !(synced && cards.size === 0);
}

function renderConnection() {
  const phase = conn.phase;
  ui.connection.dataset.phase = phase;
  ui.reconnect.hidden = phase === 'connected';
  const named = {
    connected: 'connected',
    connecting: 'connecting…',
    offline: 'offline: waiting for the network',
  }[phase];
  const countdown = `in ${duration(Math.max(0, (conn.retryAt - Date.now()) / 1000))} `;
  const why = phase !== 'connected' && conn.lostBecause ? ` — lost: ${conn.lostBecause}` : '';
  setText(ui.connectionText, (named || `reconnecting ${countdown}(attempt ${conn.attempt})`) + why);
  setText(ui.connectionSaid, (named || `reconnecting (attempt ${conn.attempt})`) + why);
  ui.connection.dataset.lost = phase === 'connected' ? '' : (conn.lostBecause || '');
  document.title = phase === 'connected' ? 'Switchboard' : `Switchboard (${phase})`;
  if (phase !== 'connected') refreshAll();
}

setInterval(() => {
  const now = Date.now();
  cards.forEach((card) => card.tick(now));
  panels.forEach((panel) => panel.tick && panel.tick(now));
  if (conn.phase === 'reconnecting') renderConnection();
}, 1000);

conn.start();
