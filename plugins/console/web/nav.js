// nav.js: the address of a view, as a hash (#/cases?workflow=fpr), read and set.

import { qs } from "./api.js";

export function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const i = raw.indexOf("?");
  const path = decodeURIComponent(i < 0 ? raw : raw.slice(0, i)) || "/";
  const q = i < 0 ? "" : raw.slice(i + 1);
  return { path, query: Object.fromEntries(new URLSearchParams(q)) };
}

export function href(path, query) {
  return "#" + path + qs(query);
}

// Go to a view: go("/cases", {workflow: "fpr"}). Re-renders when already there.
export function go(path, query) {
  const target = href(path, query);
  if (location.hash === target) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = target;
}
