/**
 * The delay before reconnect attempt `attempt` (1, 2, ...): exponential, capped, with a random
 * share on either side so that many pages cut off by one server restart do not come back in step.
 */
export function backoffDelay(attempt, options = {}, random = Math.random) {
  const { base = 500, max = 15000, factor = 2, jitter = 0.3 } = options;
  const raw = Math.min(max, base * Math.pow(factor, Math.max(0, attempt - 1)));
  const spread = raw * jitter;
  return Math.max(0, Math.round(raw - spread + random() * 2 * spread));
}

/** The delay before asking the server again for something the page needs (the kinds, the bridge's limits): 1 s doubling to 30 s. */
export function refetchDelay(attempt) {
  return backoffDelay(attempt, { base: 1000, max: 30000 });
}
