// app.js: the console's entry point. Hash routing (#/cases/12), the header, sign-in state.
// Each view is a module whose render(params, query) fills <main>.

import * as api from "./api.js";
import { clearMessages, focusHeading, page, failed, warn, say, showPending, closeDialogs } from "./ui.js";
import { h, setZone, timeZone, when } from "./dom.js";
import * as drafts from "./drafts.js";
import { parseHash } from "./nav.js";
import * as login from "./view-login.js";
import * as dashboard from "./view-dashboard.js";
import * as cases from "./view-cases.js";
import * as casePage from "./view-case.js";
import * as programmes from "./view-programme.js";
import * as rules from "./view-rules.js";
import * as users from "./view-users.js";
import * as audit from "./view-audit.js";
import * as mine from "./view-mine.js";
import * as caseload from "./view-caseload.js";
import * as reports from "./view-reports.js";
import * as password from "./view-password.js";
import * as family from "./view-family.js";

const routes = [
  [/^\/login$/, login.render, "login", true],
  [/^\/dashboard$/, dashboard.render, "dashboard"],
  [/^\/mine$/, mine.render, "mine"],
  [/^\/caseload$/, caseload.render, "caseload"],
  [/^\/cases$/, cases.render, "cases"],
  [/^\/cases\/(\d+)$/, casePage.render, "cases"],
  [/^\/programmes$/, programmes.renderList, "programmes"],
  [/^\/programmes\/([\w-]+)$/, programmes.render, "programmes"],
  [/^\/rules$/, rules.render, "rules"],
  [/^\/users$/, users.render, "users"],
  [/^\/audit$/, audit.render, "audit"],
  [/^\/reports$/, reports.render, "reports"],
  [/^\/password$/, password.render, "password"],
  [/^\/family$/, family.render, "family"],
];

// A family account has its family page and its password: no staff page is theirs.
const FAMILY_PATHS = new Set(["/family", "/password"]);

let renderSeq = 0;
let firstRender = true;

async function route() {
  const seq = ++renderSeq;
  const { path, query } = parseHash();
  const signedIn = Boolean(api.current());
  if (!signedIn && path !== "/login") {
    const back = path === "/" || path === "/login" ? undefined : location.hash.slice(1);
    location.replace("#/login" + api.qs({ next: back }));
    return;
  }
  if (signedIn && api.mustChange() && path !== "/password") {
    location.replace("#/password");
    return;
  }
  if (signedIn && api.isFamily() && !FAMILY_PATHS.has(path)) {
    location.replace("#/family");
    return;
  }
  if (signedIn && (path === "/login" || path === "/")) {
    location.replace("#" + api.home());
    return;
  }
  showHeader(signedIn);
  if (!firstRender) clearMessages();
  const main = document.getElementById("main");
  const view = h("div.view");
  const ctx = { isCurrent: () => seq === renderSeq, view };
  const found = routes.find(([re]) => re.test(path));
  if (!found) {
    page(ctx, "Page not found");
    view.append(h("p", "There is no page at this address. ", h("a", { href: "#/" }, "Go to your start page"), "."));
    return;
  }
  const [re, render, nav] = found;
  markNav(nav);
  const params = re.exec(path).slice(1);
  main.setAttribute("aria-busy", "true");
  try {
    await render(params, query, ctx);
  } catch (err) {
    if (seq !== renderSeq) return;
    if (err.status === 401) return;   // whenSignedOut has sent the person to sign in
    if (!view.querySelector("h1")) page(ctx, err.status === 404 ? "Not found" : "Something went wrong");
    failed(view, err);
  }
  if (seq === renderSeq) {
    if (!view.isConnected) main.replaceChildren(view);
    main.removeAttribute("aria-busy");
    if (!firstRender) focusHeading();
    showPending();
  }
  firstRender = false;
}

function showHeader(signedIn) {
  const top = document.getElementById("top");
  top.hidden = !signedIn;
  const s = api.current();
  if (!s) return;
  document.getElementById("who-name").textContent = `${s.login}${s.role ? " (" + s.role + ")" : ""}`;
  setZone(s.timezone);
  document.getElementById("tz-label").textContent = `Times in ${timeZone()}`;
  for (const a of top.querySelectorAll("[data-needs]")) {
    a.parentElement.hidden = !api.can(a.dataset.needs);
  }
  // A family account sees its own page only: no staff menu; its name, and its password.
  const family = api.isFamily();
  top.querySelector("nav.staff").hidden = family;
  top.querySelector("nav.family").hidden = !family;
  if (family && s.family && s.family.name) document.getElementById("who-name").textContent = s.family.name;
}

function markNav(which) {
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === which) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

// --- the idle timeout: a warning two minutes before the session ends ------------------------
// The server ends a session left unused for `idle` seconds (given with the session). Every
// answer from the server starts the count again; the warning offers to stay signed in.
let idleTimer = 0, endTimer = 0;
function idleDialog() { return document.getElementById("idle-warning"); }
function hideIdle() { const d = idleDialog(); if (d.open) d.close(); }
function armIdle() {
  clearTimeout(idleTimer);
  clearTimeout(endTimer);
  hideIdle();
  const s = api.current();
  if (!s || !s.idle) return;
  // Two minutes before; half the time for a session that lasts less than that (tests).
  const lead = s.idle >= 125 ? 120 : Math.floor(s.idle / 2);
  const endsAt = Date.now() + s.idle * 1000;
  idleTimer = setTimeout(() => showIdle(endsAt), (s.idle - lead) * 1000);
  endTimer = setTimeout(idleEnded, s.idle * 1000 + 2000);
}
function showIdle(endsAt) {
  if (!api.current()) return;
  const mins = Math.max(1, Math.round((endsAt - Date.now()) / 60000));
  document.getElementById("idle-body").textContent =
    `You have not used the console for a while. Your session ends at ${when(new Date(endsAt).toISOString())} ` +
    `(in about ${mins} minute${mins === 1 ? "" : "s"}) unless you stay signed in.`;
  const d = idleDialog();
  if (!d.open) d.showModal();
  document.getElementById("idle-stay").focus();
}
// The time has passed: unless another tab kept the session in use, it has ended.
async function idleEnded() {
  if (!api.current()) return;
  try {
    await api.touch();
  } catch (err) {
    if (err.status !== 401) return;
    api.forget();
    signedOutHere();
  }
}
function signedOutHere() {
  clearTimeout(idleTimer);
  clearTimeout(endTimer);
  hideIdle();
  closeDialogs();
  if (parseHash().path === "/login") return;
  location.hash = "#/login" + api.qs({ next: location.hash.slice(1), ended: "1" });
}
api.whenActive(armIdle);

api.whenSignedOut((msg) => {
  clearTimeout(idleTimer);
  clearTimeout(endTimer);
  hideIdle();
  closeDialogs();
  if (parseHash().path === "/login") return;
  const next = location.hash.slice(1);
  location.hash = "#/login" + api.qs({ next, ended: "1" });
  void msg;
});

async function start() {
  // The skip link moves focus to the page's content; it is not a page of its own.
  document.querySelector("a.skip").addEventListener("click", (e) => {
    e.preventDefault();
    const main = document.getElementById("main");
    main.focus();
    main.scrollIntoView();
  });
  document.getElementById("idle-stay").addEventListener("click", async () => {
    try {
      await api.touch();
      say("You are still signed in.");
    } catch (err) {
      if (err.status === 401) { api.forget(); signedOutHere(); } else warn(err.message);
    }
  });
  document.getElementById("idle-leave").addEventListener("click", () => document.getElementById("sign-out").click());
  // Escape means "stay", as closing the warning does not sign anyone out.
  idleDialog().addEventListener("cancel", (e) => { e.preventDefault(); document.getElementById("idle-stay").click(); });
  document.getElementById("sign-out").addEventListener("click", async () => {
    hideIdle();
    const s = api.current();
    if (s) drafts.dropAll(s.login);
    try { await api.signOut(); } catch { /* signed out here whatever the server said */ }
    location.hash = "#/login" + api.qs({ bye: "1" });
  });
  try {
    await api.resume();
  } catch (err) {
    warn(err.message);
  }
  window.addEventListener("hashchange", route);
  await route();
}

start();
