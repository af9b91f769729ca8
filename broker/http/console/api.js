// The JSON API client, the session (CSRF token) and the error banner.

export const session = {auth_required: false, user: null, admin: false, csrf_token: null, loaded: false};

const sessionListeners = [];
export function onSessionChange(fn) { sessionListeners.push(fn); }
export function setSession(s) {
  Object.assign(session, s, {loaded: true});
  for (const fn of sessionListeners) fn(session);
}

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

let unauthorized = () => {};
export function onUnauthorized(fn) { unauthorized = fn; }

// api('GET', '/api/v1/topics?prefix=a') -> parsed JSON, null for 204.
// A 401 (outside login/session) sends the user to the login page.
export async function api(method, path, body, {noRedirect = false} = {}) {
  const headers = {Accept: 'application/json'};
  const init = {method, headers, credentials: 'same-origin', cache: 'no-store'};
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (session.csrf_token) headers['X-CSRF-Token'] = session.csrf_token;
    if (body !== undefined) init.body = JSON.stringify(body);
    else if (method !== 'DELETE') init.body = '{}';
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network_error', `could not reach the broker (${e.message})`);
  }
  const text = res.status === 204 ? '' : await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch {
      if (res.ok) throw new ApiError(res.status, 'bad_response', 'the broker answered with something that is not JSON');
    }
  }
  if (!res.ok) {
    const err = data && data.error;
    const e = new ApiError(res.status, (err && err.code) || 'http_' + res.status,
      (err && err.message) || res.statusText || 'request failed', data);
    if (res.status === 401 && !noRedirect) unauthorized();
    throw e;
  }
  if (method !== 'GET') clearError();  // a successful action clears the last error
  return data;
}

// ---- banners ----

const banner = () => document.getElementById('error-banner');

export function errorText(e) {
  if (e && e.code) return `${e.code}: ${e.message}`;
  return `error: ${(e && e.message) || e}`;
}

export function showError(e) {
  const b = banner();
  if (!b) return;
  b.textContent = errorText(e);
  b.hidden = false;
  if (!(e instanceof ApiError) && !(e && e.code)) console.error(e);  // keep the stack for bugs
}

export function clearError() {
  const b = banner();
  if (b) { b.textContent = ''; b.hidden = true; }
}

export function showNotice(text) {
  const n = document.getElementById('notice');
  if (!n) return;
  n.textContent = text || '';
  n.hidden = !text;
}
