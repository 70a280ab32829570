/**
 * The page's resync of the statuses, after every (re)connect and every gap: from the missed deltas
 * when the server still has them, else (or when it cannot say) from the snapshot. Returns `resync()`,
 * which runs one at a time (called while one runs, it returns that one).
 *
 * `generation()` names the socket: an answer that comes after the page reconnected belongs to the old
 * one. `onBegin()` runs as each resync starts (the store no longer synced: what the page shows is the last
 * known, and its buttons must say so), `onSynced()` after each resync that worked.
 */
export function makeResync({ conn, store, generation, onBegin = () => {}, onSynced, retryDelay = 1000 }) {
  let running = null;

  function resync() {
    if (running) return running;
    const gen = generation();
    const since = store.seq;
    // The view names the stream the seq counts in: a server (or node) of another view answers a snapshot.
    const view = store.view;
    store.beginResync();
    onBegin();
    const snapshot = () => conn.request('switchboard.status.snapshot', null).then((reply) => store.applySnapshot(reply));
    const asked = since === null ? snapshot()
      : conn.request('switchboard.status.since', view === null ? { seq: since } : { seq: since, view }, { timeout: 5000 })
        .then((reply) => (store.applySince(reply) ? null : snapshot()))
        .catch(() => snapshot());
    let synced = false;
    running = asked
      .then(() => {
        synced = true;
        if (gen === generation()) onSynced();
      })
      .catch((err) => {
        // Still connected but no answer: try again shortly; a lost socket starts over on its own.
        if (gen === generation() && conn.open) setTimeout(resync, retryDelay);
        console.warn('resync failed:', err.message);
      })
      .finally(() => {
        running = null;
        // The pushes held meanwhile skipped a seq: no later push may come to show it, so ask now. (After a
        // failure the delayed retry above asks, not this: a server that fails fast would be asked in a loop.)
        if (synced && store.gap && gen === generation() && conn.open) resync();
      });
    return running;
  }

  return resync;
}
