// A helper, not a test file: node --test loads it with the rest of test/ and finds no tests in it.
/** Waits for a condition, not for a time: resolves once `condition()` holds, fails with `what` after `ms`. */
export async function until(what, condition, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}
