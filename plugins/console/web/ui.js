// ui.js: the page's shared pieces: messages read out by screen readers, the confirmation
// dialog, page titles and headings, and showing a refusal from the server.

import { h, clear, append } from "./dom.js";
import * as drafts from "./drafts.js";

const messages = () => document.getElementById("messages");
const alerts = () => document.getElementById("alerts");
let timer = 0;

// A short message that something worked ("Form saved"). Read out politely.
export function say(text) {
  const box = messages();
  clear(box);
  clear(alerts());
  box.append(h("p.msg.ok", text));
  clearTimeout(timer);
  timer = setTimeout(() => clear(box), 8000);
}

// A problem the person must see ("You do not have permission"). Read out at once.
export function warn(text) {
  const box = alerts();
  clear(box);
  clear(messages());
  box.append(h("p.msg.bad", text, " ", h("button.link.dismiss", {
    type: "button", "aria-label": "Dismiss this message", on: { click: () => clear(box) },
  }, "Dismiss")));
}

// A message to show once the next view has been drawn (after go()).
let pending = null;
export function later(text, { problem = false } = {}) { pending = { text, problem }; }
export function showPending() {
  if (pending) (pending.problem ? warn : say)(pending.text);
  pending = null;
}

export function clearMessages() {
  clear(messages());
  clear(alerts());
}

// Start a view: the document title, the main heading, and focus for keyboard and screen
// reader users when they arrived by following a link.
// ctx.view is this view's own container: once another view has replaced it in <main>, a
// render still finishing writes into its detached container and nothing shows.
export function page(ctx, title, ...intro) {
  if (ctx.isCurrent()) document.title = `${title} · kinflow`;
  const main = ctx.view;
  clear(main);
  main.className = "view";
  if (ctx.isCurrent()) document.getElementById("main").replaceChildren(main);
  const h1 = h("h1", { tabindex: "-1" }, title);
  append(main, [h1, ...intro]);
  return { main, h1 };
}

export function focusHeading() {
  const h1 = document.querySelector("#main .view h1");
  if (h1) h1.focus({ preventScroll: false });
}

// A message shown in place of a view that could not be loaded.
export function failed(main, err) {
  const friendly = {
    404: "This record could not be found. It may have been removed, or the link may be wrong.",
    403: "You do not have permission to see this. Ask an administrator if you need to.",
  }[err.status];
  main.append(h("div.panel.problem", { role: "alert" },
    h("p", friendly || err.message || String(err)),
    friendly && err.message ? h("p.muted.small", `The server said: ${err.message}`) : null,
    h("p", h("a", { href: "#/dashboard" }, "Back to the overview"))));
}

// The open confirmation dialog's way to close without an answer (when the session ends:
// its reason stays kept as a draft).
let abandon = null;
export function closeDialogs() { if (abandon) abandon(); }

// confirm({title, body, reason, okText, draftKey}) -> Promise<{reason} | null>
// With draftKey, the reason being typed is kept (drafts.js) and filled in when the dialog
// opens again; cancelling drops it, and the caller drops it once the action is done.
export function confirm({ title, body, reason = false, reasonOptional = false, okText = "Yes, go ahead",
                          draftKey = "",
                          reasonLabel = "Reason",
                          reasonHelp = "Say why, in words the family and the team will understand. It is kept on the case's record." }) {
  const dlg = document.getElementById("confirm");
  const form = document.getElementById("confirm-form");
  const reasonBox = document.getElementById("confirm-reason");
  const text = document.getElementById("confirm-reason-text");
  const err = document.getElementById("confirm-reason-error");
  const ok = document.getElementById("confirm-ok");
  const cancel = document.getElementById("confirm-cancel");
  document.getElementById("confirm-title").textContent = title;
  const bodyEl = clear(document.getElementById("confirm-body"));
  for (const b of [].concat(body || [])) bodyEl.append(typeof b === "string" ? h("p", b) : b);
  reasonBox.hidden = !reason;
  const lab = reasonBox.querySelector("label");
  lab.replaceChildren(reasonLabel + " ", h("span.req", reasonOptional ? "(optional)" : "(needed)"));
  document.getElementById("confirm-reason-help").textContent = reasonHelp;
  const kept = reason && draftKey ? drafts.load(draftKey) : null;
  text.value = kept && typeof kept.reason === "string" ? kept.reason : "";
  if (text.value) bodyEl.append(h("p.muted.dialog-notice", "The reason you typed before is filled in below."));
  const remember = () => drafts.keep(draftKey, text.value.trim() ? { reason: text.value } : null);
  text.removeAttribute("aria-invalid");
  err.hidden = true;
  ok.textContent = okText;
  const opener = document.activeElement;

  return new Promise(resolve => {
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      abandon = null;
      if (draftKey) text.removeEventListener("input", remember);
      form.removeEventListener("submit", onSubmit);
      cancel.removeEventListener("click", onCancel);
      dlg.removeEventListener("cancel", onCancel);
      if (dlg.open) dlg.close();
      if (opener && opener.isConnected) opener.focus();
      resolve(v);
    };
    const onSubmit = (e) => {
      e.preventDefault();
      const r = text.value.trim();
      if (reason && !reasonOptional && !r) {
        err.textContent = "Give a reason before you go ahead.";
        err.hidden = false;
        text.setAttribute("aria-invalid", "true");
        text.focus();
        return;
      }
      finish({ reason: r });
    };
    const onCancel = (e) => { if (e) e.preventDefault(); if (draftKey) drafts.drop(draftKey); finish(null); };
    abandon = () => finish(null);
    if (draftKey) text.addEventListener("input", remember);
    form.addEventListener("submit", onSubmit);
    cancel.addEventListener("click", onCancel);
    dlg.addEventListener("cancel", onCancel);
    dlg.showModal();
    (reason ? text : ok).focus();
  });
}

// A busy state for a button while its request runs.
export async function busy(btn, fn) {
  const was = btn.disabled;
  btn.disabled = true;
  btn.setAttribute("aria-busy", "true");
  try {
    return await fn();
  } finally {
    btn.disabled = was;
    btn.removeAttribute("aria-busy");
  }
}
