// app.js: the console's entry point. Hash routing (#/cases/12), the header, sign-in state.
// Each view is a module whose render(params, query) fills <main>.

import * as api from "./api.js";
import { clearMessages, focusHeading, page, failed, warn, showPending } from "./ui.js";
import { h } from "./dom.js";
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
];

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
  for (const a of top.querySelectorAll("[data-needs]")) {
    a.parentElement.hidden = !api.can(a.dataset.needs);
  }
}

function markNav(which) {
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === which) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

api.whenSignedOut((msg) => {
  if (parseHash().path === "/login") return;
  const next = location.hash.slice(1);
  location.hash = "#/login" + api.qs({ next, ended: "1" });
  void msg;
});

async function start() {
  document.getElementById("sign-out").addEventListener("click", async () => {
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
