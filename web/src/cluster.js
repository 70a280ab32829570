/**
 * This node's cluster facts, `GET /api/cluster`: read on every (re)connect, then every `every` ms
 * while the server says it is clustered, and at once when asked (an owner changed: a node may have
 * come or gone). A single process answers `{clustered: false}` and is not asked again until the next
 * connect: it cannot become a cluster without a restart, which is a reconnect.
 */
export class ClusterWatch {
  constructor(read, onFacts, { every = 5000, timers = globalThis } = {}) {
    this.read = read;
    this.onFacts = onFacts;
    this.every = every;
    this.timers = timers;
    this.facts = null;
    this.error = null;
    this.reading = null;
    this.again = false;
    this.timer = null;
    this.running = false;
    /** Raised by stop(): a read still under way then is of the server the page lost, and is dropped. */
    this.round = 0;
  }

  /** The page is connected (again): read now, and keep reading while clustered. */
  start() {
    this.running = true;
    return this.refresh();
  }

  /**
   * The page lost its server: no reading until it is back (the facts shown are then the last known).
   * A read under way is dropped, not waited for: on a dead path it would hold the next connect's read
   * back until it timed out, with the old server's facts shown as current meanwhile.
   */
  stop() {
    this.running = false;
    this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.round += 1;
    this.reading = null;
    this.again = false;
  }

  get clustered() {
    return Boolean(this.facts && this.facts.clustered === true);
  }

  /** Reads now; a call while a read is under way reads once more after it, so no change is missed. */
  refresh() {
    if (!this.running) return Promise.resolve();
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.timers.clearTimeout(this.timer);
    this.timer = null;
    const round = this.round;
    this.reading = Promise.resolve().then(() => this.read()).then(
      (facts) => { if (round === this.round) { this.facts = facts; this.error = null; } },
      (err) => { if (round === this.round) this.error = err; },
    ).then(() => {
      if (round !== this.round) return undefined;
      this.reading = null;
      this.onFacts(this.facts, this.error);
      if (this.again) {
        this.again = false;
        return this.refresh();
      }
      if (this.running && this.clustered) this.timer = this.timers.setTimeout(() => this.refresh(), this.every);
      return undefined;
    });
    return this.reading;
  }
}

/**
 * What the cluster panel shows, from the facts and the listeners' statuses: every node present (and
 * any owner not among them), each with the listeners it owns and whether it was heard from lately; the
 * listeners between owners. Null in a single process.
 */
export function clusterSummary(facts, statuses) {
  if (!facts || facts.clustered !== true) return null;
  const present = Array.isArray(facts.nodes) ? facts.nodes : [];
  const owns = new Map(present.map((node) => [node, []]));
  const unassigned = [];
  for (const s of statuses) {
    if (s.state === 'UNASSIGNED') unassigned.push(s.name);
    else if (s.owner) {
      if (!owns.has(s.owner)) owns.set(s.owner, []);
      owns.get(s.owner).push(s.name);
    }
  }
  // Members not heard from lately no longer count toward the majority (an older node does not say: all count).
  const heard = Array.isArray(facts.heard) ? facts.heard : present;
  const nodes = [...owns.keys()].sort().map((name) => ({
    name, self: name === facts.node, present: present.includes(name), heard: heard.includes(name), owns: owns.get(name).sort(),
  }));
  return {
    node: facts.node,
    nodes,
    unassigned: unassigned.sort(),
    present: present.length,
    heard: present.filter((name) => heard.includes(name)).length,
    configured: facts.configured,
    majority: facts.majority,
    majorityPresent: facts.majority_present === true,
    // Every partition backed up and none moving: what a rolling restart waits for before the next node.
    safe: facts.safe === true,
  };
}

/**
 * This node's cluster counters in one line: leases, takeovers, fencing, what the epoch guard dropped,
 * and the event-bus routes a refresh found stale and mended (a lost registration report). A node that
 * does not take listeners (still starting, leaving, or just merged back) says so first.
 */
export function clusterCounters(facts) {
  const taking = facts.takes_leases === false ? 'not taking listeners now · ' : '';
  return `On ${facts.node}: ${taking}${facts.leases_held} leases held · ${facts.takeovers} takeovers · `
    + `${facts.fenced} stopped for a late renewal or a silent majority · ${facts.stale_dropped} stale messages dropped · `
    + `${facts.routes_mended ?? 0} stale event-bus routes mended`;
}

/** A listener's owner changed (or it came or went): who owns what, and maybe who is present, changed. */
export function ownerChanged(status, old) {
  return ((status && status.owner) || null) !== ((old && old.owner) || null) || !status !== !old;
}
