/**
 * Failures after which nobody knows whether the server acted: the socket died before the answer, or
 * the answer came later than the page waited. The server may well have done it.
 */
const UNCONFIRMED = new Set(['TIMEOUT', 'DISCONNECTED']);

/** What the page says of a send, command or call whose answer was lost. */
export const NOT_CONFIRMED = 'not confirmed';

/** Whether a failed request may have been carried out all the same: doing it again could do it twice. */
export function unconfirmed(err) {
  return Boolean(err) && UNCONFIRMED.has(err.failureType);
}

/**
 * A failed command as the page shows it: `outcome` for its data-outcome, `unknown` when the server
 * may have done it (as the outbox's data-state says), else `failed`; `text` with the reason.
 */
export function failureOutcome(err) {
  const reason = (err && err.message) || String(err);
  return unconfirmed(err)
    ? { outcome: 'unknown', text: `${NOT_CONFIRMED}: ${reason} (it may have been done)` }
    : { outcome: 'failed', text: `failed: ${reason}` };
}
