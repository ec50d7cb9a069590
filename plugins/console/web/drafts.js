// drafts.js: what a person is typing and has not saved yet (a form's answers, a move's
// reason), kept in this browser tab (sessionStorage) per person and case, so that a session
// that ends, a refused save or a reload loses none of it. A draft is removed once saved,
// when the person cancels, and when they sign out; it never leaves the browser.

import * as api from "./api.js";

const PREFIX = "kinflow.draft.";

// The storage key of one draft: the person, the case, and what it is ("form:review").
export function key(caseId, what) {
  const s = api.current();
  return s && s.login ? `${PREFIX}${encodeURIComponent(s.login)}|${caseId}|${what}` : "";
}

export function load(k) {
  if (!k) return null;
  try {
    const v = JSON.parse(sessionStorage.getItem(k) || "null");
    return v && typeof v === "object" ? v : null;
  } catch {
    return null;
  }
}

// Keep value (an object); an empty one removes the draft.
export function keep(k, value) {
  if (!k) return;
  try {
    if (value && Object.keys(value).length) sessionStorage.setItem(k, JSON.stringify(value));
    else sessionStorage.removeItem(k);
  } catch { /* storage full or switched off: the typing is still on the page */ }
}

export function drop(k) {
  if (!k) return;
  try { sessionStorage.removeItem(k); } catch { /* nothing kept */ }
}

// Every draft of one person (when they sign out on purpose).
export function dropAll(login) {
  try {
    const mine = `${PREFIX}${encodeURIComponent(login)}|`;
    for (let i = sessionStorage.length - 1; i >= 0; i--) {
      const k = sessionStorage.key(i);
      if (k && k.startsWith(mine)) sessionStorage.removeItem(k);
    }
  } catch { /* nothing kept */ }
}
