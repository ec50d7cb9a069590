// api.js: the JSON API, as the page uses it. Keeps the session's CSRF token (sent on every
// request that changes something) and turns refusals into messages a person can act on.

const KEY = "kinflow.session";   // {login, role, csrf} for this tab; the session cookie is HttpOnly

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

let session = load();
let onSignedOut = () => {};
let onActive = () => {};   // told after every answer from the server (the session was used)

function load() {
  try {
    const v = JSON.parse(sessionStorage.getItem(KEY) || "null");
    return v && typeof v === "object" ? v : null;
  } catch {
    return null;
  }
}

function save(v) {
  session = v;
  try {
    if (v) sessionStorage.setItem(KEY, JSON.stringify(v));
    else sessionStorage.removeItem(KEY);
  } catch { /* private mode: keep it in memory only */ }
}

export function current() { return session; }
export function whenSignedOut(fn) { onSignedOut = fn; }
export function whenActive(fn) { onActive = fn; }

// What a person is told when the server gives no message of its own.
const PLAIN = {
  400: "Something in that request was not right. Check what you entered and try again.",
  401: "You are not signed in, or your session has ended. Please sign in again.",
  403: "You do not have permission to do that.",
  404: "That record could not be found. It may have been removed, or the link is wrong.",
  409: "Someone else changed this record while you were working on it. The page shows the latest now; check it, then try again.",
  413: "That is too much to send in one go. Shorten it and try again.",
  422: "That could not be saved. Check the details below.",
  429: "Too many attempts in a short time. Wait a minute, then try again.",
  500: "Something went wrong on the server. Try again; if it keeps happening, tell your administrator.",
  503: "The system is busy. Wait a moment and try again.",
};

export function plain(status) {
  return PLAIN[status] || `The request failed (status ${status}).`;
}

export async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && session && session.csrf) headers["X-CSRF-Token"] = session.csrf;
  let res;
  try {
    res = await fetch("/api" + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "The console cannot reach the server. Check your connection, then try again.");
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (res.status !== 401 && session) onActive();
  if (!res.ok) {
    const msg = data && typeof data.error === "string" && data.error ? data.error : plain(res.status);
    if (res.status === 401 && path !== "/session") {
      save(null);
      onSignedOut(msg);
    }
    throw new ApiError(res.status, msg, data);
  }
  return data;
}

export const get = (path, query) => request("GET", path + qs(query));
export const post = (path, body = {}) => request("POST", path, body);
export const patch = (path, body = {}) => request("PATCH", path, body);
export const put = (path, body = {}) => request("PUT", path, body);
export const del = (path) => request("DELETE", path);

export function qs(query) {
  if (!query) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "" || v === false) continue;
    p.set(k, v === true ? "1" : String(v));
  }
  const s = p.toString();
  return s ? "?" + s : "";
}

export async function signIn(login, password) {
  const res = await request("POST", "/session", { login, password });
  save(keep(res, login));
  return session;
}

// On load: ask the server whether the session cookie is still good. A server that answers
// GET /api/session gives the CSRF token again; otherwise the token kept for this tab is used.
export async function resume() {
  try {
    const res = await request("GET", "/session");
    if (res && res.csrf) {
      save(keep(res));
      return session;
    }
  } catch (e) {
    if (e.status === 401) { save(null); return null; }
    if (e.status !== 404 && e.status !== 405) throw e;
  }
  if (!session) return null;
  try {
    await request("GET", "/workflows");
    return session;
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

// What the page keeps of a session: who, their console role, the workflow roles they may
// act as, what the server says they may do, and the CSRF token.
function keep(res, login) {
  return { login: res.login || login || "", role: res.role || "", csrf: res.csrf,
           roles: Array.isArray(res.roles) ? res.roles : [], can: res.can || null,
           must_change: Boolean(res.must_change),
           idle: Number(res.idle) > 0 ? Number(res.idle) : 0,
           timezone: typeof res.timezone === "string" ? res.timezone : "",
           family: res.family && typeof res.family === "object" ? res.family : null };
}

// A family account (a parent, carer or young person): its own family page only.
export function isFamily() { return Boolean(session && session.role === "family"); }

// After a reset, the person must choose a new password before anything else.
export function mustChange() { return Boolean(session && session.must_change); }

export async function changePassword(old, password) {
  await request("POST", "/session/password", { old, password });
  save({ ...session, must_change: false });
}

export async function signOut() {
  try { await request("DELETE", "/session"); } finally { save(null); }
}

// Forget the session here (the server has ended it).
export function forget() { save(null); }

// Keep the session going (the server counts the idle time from its last request).
export async function touch() {
  const res = await request("GET", "/session");
  if (res && res.csrf) save(keep(res));
  return session;
}

// What the signed-in person may do in the console: as the server said when they signed in
// (it checks again on every request), or from their role for an older server.
export function can(what) {
  const role = session ? session.role : "";
  if (role === "family") return false;
  const c = session && session.can;
  if (c) {
    if (what === "deploy") return Boolean(c.rules);
    if (what === "write") return Boolean(c.work);
    if (what in c) return Boolean(c[what]);
  }
  switch (what) {
    case "users": return role === "admin";
    case "rules": return role === "admin" || role === "analyst";
    case "deploy": return role === "admin" || role === "analyst";
    case "audit": return role === "admin" || role === "supervisor" || role === "analyst";
    case "any_role": return role === "admin" || role === "supervisor";
    case "supervise": return role === "admin" || role === "supervisor";
    case "write": return role !== "viewer" && role !== "analyst";
    default: return true;
  }
}

// Where a person lands after signing in: a supervisor on their team's caseload, a
// caseworker on their own cases, everyone else on the overview.
export function home() {
  const role = session ? session.role : "";
  if (role === "family") return "/family";
  if (role === "supervisor") return "/caseload";
  if (role === "caseworker") return "/mine";
  return "/dashboard";
}

// The workflow roles this person may act as in programme `workflow`, of `roles` (the
// programme's). Mirrors the server's rule: admins and supervisors act as anyone; others as
// the roles on their account ("family_link", or "coparenthood:family_link" for one
// programme), or as a caseworker when their account lists none.
export function actingRoles(workflow, roles) {
  if (!session) return [];
  if (can("any_role")) return roles.slice();
  if (!can("write")) return [];
  const mine = Array.isArray(session.roles) ? session.roles : [];
  if (!mine.length) return roles.filter(r => r === "caseworker");
  const ok = new Set();
  for (const r of mine) {
    const i = String(r).indexOf(":");
    if (i < 0) ok.add(r);
    else if (r.slice(0, i) === workflow) ok.add(r.slice(i + 1));
  }
  return roles.filter(r => ok.has(r));
}
