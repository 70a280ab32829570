import { h, setText } from '../dom.js';
import { clusterCounters, clusterSummary } from '../cluster.js';

/**
 * The cluster, as the node serving this page sees it: which node that is, the Switchboard nodes
 * present and the listeners each owns, and whether a majority is present (without one, nothing runs
 * and nothing can change). Hidden in a single process.
 */
export class ClusterPanel {
  constructor() {
    this.badge = h('span', { class: 'badge', dataset: { field: 'majority' } });
    this.summary = h('p', { class: 'stats', dataset: { field: 'summary' } });
    this.nodes = h('ul', { class: 'nodes', dataset: { field: 'nodes' } });
    this.unassigned = h('p', { class: 'unassigned', dataset: { field: 'unassigned' } });
    this.counters = h('p', { class: 'note', dataset: { field: 'counters' } });
    this.note = h('p', { class: 'note', dataset: { field: 'note' } });
    this.el = h('section', { class: 'panel cluster', id: 'cluster', hidden: true },
      h('h2', {}, 'Cluster ', this.badge), this.summary, this.nodes, this.unassigned, this.counters, this.note);
    this.shown = '';
  }

  /** `facts`: the last answer of /api/cluster (null before the first); `error`: why the last read failed. */
  render(facts, error, statuses, { synced }) {
    const summary = clusterSummary(facts, statuses);
    this.el.hidden = !summary;
    this.el.dataset.clustered = String(Boolean(summary));
    if (!summary) return;
    this.el.dataset.node = summary.node;
    this.el.classList.toggle('is-stale', !synced || Boolean(error));
    this.badge.dataset.present = String(summary.majorityPresent);
    setText(this.badge, summary.majorityPresent ? 'majority present' : 'no majority');
    this.summary.dataset.safe = String(summary.safe);
    const silent = summary.present - summary.heard;
    setText(this.summary, `This page is served by ${summary.node}. ${summary.present} of ${summary.configured} Switchboard nodes `
      + `present${silent ? `, ${silent} of them silent` : ''}; ${summary.majority} make a majority. `
      + (summary.safe ? 'Safe to stop another node.' : 'Not yet safe to stop another node: the cluster\'s state is still moving or lacks a backup.'));
    // Rebuilt only when what it shows changed, so a hover or a selection survives the many status pushes.
    const key = JSON.stringify(summary.nodes);
    if (key !== this.shown) {
      this.shown = key;
      this.nodes.replaceChildren(...summary.nodes.map((node) => h('li', {
        dataset: { node: node.name, self: String(node.self), present: String(node.present), heard: String(node.heard), owns: node.owns.join(',') },
      },
      h('b', {}, node.name), node.self ? ' (this node)' : '', nodeNote(node),
      h('span', { class: 'detail' }, node.owns.length ? ` owns ${node.owns.join(', ')}` : ' owns nothing'))));
    }
    setText(this.unassigned, summary.unassigned.length ? `between owners: ${summary.unassigned.join(', ')}` : '');
    setText(this.counters, clusterCounters(facts));
    setText(this.note, error ? `could not read /api/cluster (${error.message}): the nodes shown are the last known`
      : synced ? '' : 'last known: reconnecting to the server');
  }
}

/** A node that is not a member, or a member not heard from within three heartbeats (it does not count toward the majority). */
function nodeNote(node) {
  if (!node.present) return h('em', { class: 'stale' }, ' not present');
  return node.heard ? '' : h('em', { class: 'stale', title: 'no heartbeat for three heartbeat intervals: it does not count toward the majority' }, ' silent');
}
