/** How long a REST call waits for the server's answer: a request on a dead socket would otherwise wait for minutes. */
export const API_TIMEOUT_MS = 10000;

/**
 * A call that got no answer. `failureType` is the page's word for why, as a bridge request's:
 * TIMEOUT (none within the time) or DISCONNECTED (the request or its answer did not get through).
 * Either way the server may have acted on it (outcome.js).
 */
export class ApiError extends Error {
  constructor(message, failureType) {
    super(message);
    this.failureType = failureType;
  }
}

/**
 * The REST API, for what the event bus does not carry: the kinds' schemas and the listeners'
 * definitions. Every call answers `{status, body}` (body: the parsed JSON, or null when it is not
 * JSON); a call that got no whole answer rejects, with an ApiError.
 */
export async function apiRequest(method, path, { body, token, ifMatch, fetchImpl = globalThis.fetch, timeout = API_TIMEOUT_MS } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  // A change only over this version of the listener (0: create only): 412 when it changed meanwhile.
  if (Number.isInteger(ifMatch)) headers['If-Match'] = `"${ifMatch}"`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  let response;
  try {
    response = await fetchImpl(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
      signal: controller.signal,
    });
  } catch (err) {
    clearTimeout(timer);
    if (controller.signal.aborted) throw new ApiError(`no answer within ${timeout / 1000} s`, 'TIMEOUT');
    throw new ApiError(`could not reach the server (${err.message || err})`, 'DISCONNECTED');
  }
  // An answer cut short (or whose body came later than the timeout) is no answer: its body would be
  // read as a refusal, and what the server did is unknown.
  let text;
  try {
    text = await response.text();
  } catch (err) {
    throw new ApiError(`the answer (HTTP ${response.status}) was cut short${controller.signal.aborted ? ` after ${timeout / 1000} s` : ''}`,
      controller.signal.aborted ? 'TIMEOUT' : 'DISCONNECTED');
  } finally {
    clearTimeout(timer);
  }
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      parsed = null;
    }
  }
  return { status: response.status, body: parsed };
}

/** What a refused or failed call says to the user, from its HTTP status and body. */
export function failureMessage(status, body) {
  const said = body && typeof body.error === 'string' && body.error ? body.error : '';
  switch (status) {
    case 401: return said || 'the control token is missing or wrong';
    case 403: return said || 'the control token is wrong';
    case 404: return said || 'not found';
    case 413: return 'the definition is too large for the server';
    default:
      if (said) return said;
      return status >= 500 ? `the server failed (HTTP ${status})` : `refused (HTTP ${status})`;
  }
}

/** `/api/listeners/<name>` with the name escaped. */
export function listenerPath(name, rest = '') {
  return `/api/listeners/${encodeURIComponent(name)}${rest}`;
}
