// The admin API, with the token from session storage as a bearer header.
// The token never goes into a URL: it would end up in logs and history.

const KEY = 'switchyard.admin.token';

export const token = {
  get: () => sessionStorage.getItem(KEY) || '',
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export class APIError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// api calls /admin/v1/<path> and returns the decoded JSON; it throws an
// APIError for any answer but 2xx. A 401 sends the page back to sign-in.
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Authorization: 'Bearer ' + token.get() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch('/admin/v1/' + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store', credentials: 'omit',
  });
  let data = null;
  try { data = await res.json(); } catch { /* an empty or non-JSON body */ }
  if (!res.ok) {
    const err = new APIError(res.status, data);
    if (res.status === 401) window.dispatchEvent(new CustomEvent('unauthorized'));
    throw err;
  }
  return data;
}

// optional is api for endpoints that may not exist on this build: null on
// 404 or 501, so the page can say "not available" instead of failing.
export async function optional(path) {
  try {
    return await api(path);
  } catch (e) {
    if (e.status === 404 || e.status === 501 || e.status === 503) return null;
    throw e;
  }
}

export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  return p.toString();
}
