// The hub's REST API: bearer token from sessionStorage, JSON in and out, errors as ApiError.
const TOKEN_KEY = "pm25.console.token";

export class ApiError extends Error {
  constructor(status, detail) {
    super(`${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    for (const item of Array.isArray(v) ? v : [v]) q.append(k, String(item));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

async function failure(r, path) {
  let detail = r.statusText;
  try { detail = (await r.json()).detail ?? detail; } catch { /* not JSON */ }
  if (r.status === 401 && path !== "/auth/login") {
    session.token = null;
    window.dispatchEvent(new CustomEvent("console:logout"));
  }
  return new ApiError(r.status, typeof detail === "string" ? detail : JSON.stringify(detail));
}

// A file (markdown, an image) with the token; the Response, for .text() or .blob().
export async function apiFile(path) {
  const headers = session.token ? { Authorization: `Bearer ${session.token}` } : {};
  const r = await fetch(`/api/v1${path}`, { headers });
  if (!r.ok) throw await failure(r, path);
  return r;
}

export async function api(path, { method = "GET", body, form } = {}) {
  const headers = {};
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let payload;
  if (form !== undefined) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const r = await fetch(`/api/v1${path}`, { method, headers, body: payload });
  if (!r.ok) throw await failure(r, path);
  return r.status === 204 ? null : r.json();
}

export async function openapiPaths() {
  const r = await fetch("/openapi.json");
  return r.ok ? Object.keys((await r.json()).paths) : [];
}
