/**
 * The REST API, for what the event bus does not carry: the kinds' schemas and the listeners'
 * definitions. Every call answers `{status, body}` (body: the parsed JSON, or null); only a
 * failure to reach the server at all rejects.
 */
export async function apiRequest(method, path, { body, token, fetchImpl = globalThis.fetch } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetchImpl(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
    });
  } catch (err) {
    throw new Error(`could not reach the server (${err.message || err})`);
  }
  let parsed = null;
  const text = await response.text().catch(() => '');
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
