// view-case.js: one case: its stage and worker, the moves that can and cannot be made now
// (and why), its forms, the people and their roles (and who left), the cases linked to it,
// and the timeline of what happened. A
// case outside the user's caseload shows its summary, or the engine's refusal with the
// offer to break the glass (a reason, then access for a limited time).

import * as api from "./api.js";
import { h, field, list, words, plural, timeEl, when, daysSince, uid, aRole, roleName, duration } from "./dom.js";
import { page, warn, confirm, busy, later } from "./ui.js";
import { loadTeams, allocate, allocatedText } from "./allocate.js";
import { go, href } from "./nav.js";
import { definition, stateTitle } from "./view-cases.js";
import { buildForm, answers, attested } from "./forms.js";
import * as drafts from "./drafts.js";
import { flagsPanel, consentsPanel, decisionsPanel, invitePanel, sharingPanel } from "./case-family.js";

const schemas = new Map();   // form name -> schema
const titles = new Map();    // form name -> title, once its schema has been seen
function formTitle(name) {
  const t = titles.get(name);
  return t ? t.replace(/\s+form$/i, "").toLowerCase() : words(name).toLowerCase();
}
async function schema(name, caseId) {
  if (!schemas.has(name)) {
    const sc = await api.get(`/forms/${encodeURIComponent(name)}`, { case: caseId });
    schemas.set(name, sc);
    if (sc && sc.title) titles.set(name, sc.title);
  }
  return schemas.get(name);
}

function roleKey(wf) { return `kinflow.as.${wf}`; }
function chosenRole(wf, roles) {
  let r = null;
  try { r = sessionStorage.getItem(roleKey(wf)); } catch { /* no storage */ }
  if (r && roles.includes(r)) return r;
  const mine = (api.current() || {}).role;
  if (roles.includes(mine)) return mine;
  if (roles.includes("caseworker")) return "caseworker";
  return roles[0] || "";
}

// "Only a supervisor or a Family Link worker"
function orList(items) {
  return items.length > 1 ? `${items.slice(0, -1).join(", ")} or ${items.at(-1)}` : items[0];
}

function sentence(text) {
  const t = String(text || "");
  return t.charAt(0).toUpperCase() + t.slice(1);
}

// Why a move cannot be made: one of the engine's refusals, {code, params, text}, in a
// practitioner's words. A code this page does not know is shown as the engine's own text.
export function plainRefusal(r) {
  const p = (r && r.params) || {};
  switch (r && r.code) {
    case "role": {
      const by = list(p.by).map(aRole);
      return by.length ? `Only ${orList(by)} can make this move.` : "No one can make this move by hand.";
    }
    case "by_time": return `This happens by itself after ${duration(p.after)} in this stage.`;
    case "form_missing": return `The ${formTitle(p.form)} form has not been filled in yet.`;
    case "reason_required": return "This move needs a reason.";
    case "state": return "This move cannot be made from the stage the case is in now.";
    case "final": return "This case is finished. No more moves can be made.";
    case "guard": if (p.reason) return sentence(p.reason); break;
    default: break;
  }
  return sentence(r && r.text);
}

// A refused move's answer ({error, refusals}) as one message: every unmet condition in
// plain words, or the engine's message when it gave none.
export function refusal(body, message) {
  const all = list(body && body.refusals).map(r => plainRefusal(r).replace(/\.$/, ""));
  if (!all.length) return message || (body && body.error) || "";
  return all.map((r, i) => (i ? r.charAt(0).toLowerCase() + r.slice(1) : r)).join("; ") + ".";
}

// A blocked move's refusals; from an engine that sends only reasons, their texts.
function refusals(move) {
  return move.refusals ? list(move.refusals) : list(move.reasons).map(text => ({ text }));
}

function byRole(move) {
  const all = refusals(move);
  return all.length > 0 && all.every(r => r.code === "role");
}

// Opening a case outside one's caseload: the engine's 403 message, and when it offers to
// break the glass, the dialog that asks for the reason and then opens the case.
function glassPage(id, err, ctx) {
  if (!(err.body && err.body.glass)) throw err;
  const { main } = page(ctx, "This case is not in your caseload");
  const btn = h("button.primary#break-glass", { type: "button" }, "Break the glass");
  main.append(h("section.panel.glass-panel", { role: "alert" },
    h("p.glass-message", err.message),
    h("p", "You hold a role in this case's programme, so you may open it if you need to: ",
      "say why, and you can see and work on it for the next few hours. Your reason and what you see ",
      "are recorded, and your team's supervisor reviews every time the glass is broken."),
    h("div.buttons", btn, h("a.button", { href: "#/" }, "Back to your start page"))));
  btn.addEventListener("click", async () => {
    const ok = await confirm({
      title: "Break the glass",
      body: ["You are about to open a case that is not allocated to you or your team.",
             "Your access lasts a limited time (4 hours unless your agency set another). It is recorded on the case with your reason, and your supervisor reviews it."],
      reason: true,
      reasonHelp: "Say why you need this case now (for example: the family's worker is away and the school has called).",
      okText: "Open the case",
      draftKey: drafts.key(id, "glass"),
    });
    if (!ok) return;
    try {
      const res = await busy(btn, () => api.post(`/cases/${id}/access`, { reason: ok.reason }));
      drafts.drop(drafts.key(id, "glass"));
      later(res && res.expires_at ? `You may open this case until ${when(res.expires_at)}.` : "You may open this case for now.");
      go(`/cases/${id}`);
    } catch (e) {
      warn(e.message);
    }
  });
}

// What a viewer or an analyst sees of a case: its summary, never its people or details.
async function summaryPage(c, ctx) {
  const wf = await definition(c.workflow).catch(() => null);
  if (!ctx.isCurrent()) return;
  const { main } = page(ctx, c.ref ? `Case ${c.ref}` : `Case ${c.id}`);
  main.append(h("p.subtitle", c.workflow_title || (wf && (wf.definition || wf).title) || words(c.workflow), ` · case number ${c.id}`),
    h("section.panel", { "aria-labelledby": "summary-h" }, h("h2#summary-h", "Summary"),
      h("p.muted", "You see this case's summary only: its people, details and history are for the workers responsible for it."),
      h("dl.answers",
        h("dt", "Stage"), h("dd#current-stage", c.state_title || stateTitle(wf, c.state)),
        h("dt", "Worker"), h("dd", allocatedText(c)),
        h("dt", "Review"), h("dd", c.overdue_since ? ["Overdue since ", timeEl(c.overdue_since, false)] : (c.final ? "Closed" : "Up to date")),
        h("dt", "Last change"), h("dd", timeEl(c.updated_at)))));
}

export async function render([id], query, ctx) {
  const [got, history] = await Promise.all([
    api.get(`/cases/${id}`).catch(err => ({ failed: err })),
    api.get(`/cases/${id}/history`).catch(() => []),
  ]);
  if (got && got.failed) {
    if (got.failed.status === 403) return glassPage(id, got.failed, ctx);
    throw got.failed;
  }
  const c = got;
  if (c.summary) return summaryPage(c, ctx);
  const wf = await definition(c.workflow).catch(() => null);
  const def = wf ? (wf.definition || wf) : { states: [], transitions: [], roles: [] };
  const states = list(def.states);
  const here = states.find(s => s.name === c.state) || { name: c.state, title: words(c.state) };
  const roles = list(def.roles);
  const title = c.ref ? `Case ${c.ref}` : `Case ${c.id}`;
  // The forms this page names: their titles, before anything is drawn.
  const named = new Set([...list(here.forms), ...list(c.entries).map(e => e.form),
    ...list(history).filter(e => e.kind === "form.submitted").map(e => e.name),
    ...list(def.transitions).flatMap(t => list(t.requires))]);
  const [, consents, decisions] = await Promise.all([
    Promise.all([...named].filter(Boolean).map(n => schema(n, id).catch(() => null))),
    api.get(`/cases/${id}/consents`).then(list).catch(() => null),
    api.get(`/cases/${id}/decisions`).then(list).catch(() => null),
  ]);
  if (!ctx.isCurrent()) return;
  const { main } = page(ctx, title);
  main.classList.add("case-page");
  main.querySelector("h1").after(h("p.subtitle", c.workflow_title || def.title || words(c.workflow),
    ` · case number ${c.id}`, c.version ? ` · programme version ${c.version}` : ""));

  // --- the stage ----------------------------------------------------------------------
  const stagePanel = h("section.panel.stage-panel", { "aria-labelledby": "stage-h" },
    h("h2#stage-h", "Where the case is now"),
    h("p.current-stage", { "data-state": c.state },
      h("span.muted", c.final ? "Finished: " : "Current stage: "),
      h("strong#current-stage", here.title || words(here.name))),
    h("p.muted", "In this stage since ", timeEl(c.entered_at, false),
      ` (${plural(daysSince(c.entered_at), "day")}).`),
    here.description ? h("p", here.description) : null,
    reviewLine(c, list(c.timers)),
    workerLine(c),
    !c.final && here.review && api.can("write")
      ? h("div.buttons", h("button", { type: "button", on: { click: (e) => recordReview(e.currentTarget) } },
          "Record that a review was held")) : null,
    c.final ? null : stepper(states, c.state));

  async function recordReview(btn) {
    const ok = await confirm({
      title: "Record a review",
      body: ["This records that the case's review was held today and sets the date of the next one.",
             "To write down what the review found, fill in the review form as well."],
      reason: true, reasonOptional: true, reasonLabel: "Note",
      reasonHelp: "A line about the review, if you want one. It is kept on the case's record.",
      okText: "Record the review",
      draftKey: drafts.key(id, "review"),
    });
    if (!ok) return;
    try {
      await busy(btn, () => api.post(`/cases/${id}/review`, ok.reason ? { note: ok.reason } : {}));
      drafts.drop(drafts.key(id, "review"));
      later("Review recorded.");
      go(`/cases/${id}`);
    } catch (err) {
      warn(err.message);
    }
  }

  const layout = h("div.case-layout");
  const primary = h("div.case-main");
  const aside = h("div.case-aside");
  layout.append(primary, aside);
  main.append(...[stagePanel, flagsPanel(c), layout].filter(Boolean));

  // --- moves --------------------------------------------------------------------------
  const movesPanel = h("section.panel", { "aria-labelledby": "moves-h" }, h("h2#moves-h", "Moves"));
  primary.append(movesPanel);
  const mayAct = api.actingRoles(c.workflow, roles);
  const asSel = h("select#acting-as", mayAct.map(r => h("option", { value: r }, words(r))));
  asSel.value = chosenRole(c.workflow, mayAct);
  const movesBody = h("div", { "aria-live": "polite" });
  if (c.final) {
    movesPanel.append(h("p", "This case is finished. No more moves can be made."));
  } else if (!mayAct.length) {
    movesPanel.append(h("p.muted", api.can("write")
      ? "Your account holds no role in this programme, so you can see its moves but not make them. Ask an administrator if you need one."
      : "You can see this case's moves but not make them."), movesBody);
  } else if (mayAct.length === 1) {
    movesPanel.append(h("p.acting-as", "You are acting as ", h("strong", aRole(mayAct[0])), "."), movesBody);
  } else {
    movesPanel.append(h("div.acting-as", field("Acting as", asSel, {
      help: "The role you hold on this case. The moves you can make depend on it." })), movesBody);
    asSel.addEventListener("change", () => {
      try { sessionStorage.setItem(roleKey(c.workflow), asSel.value); } catch { /* ignore */ }
      loadMoves();
    });
  }
  let movesNow = [];
  async function loadMoves() {
    movesBody.replaceChildren(h("p.muted", "Checking which moves can be made…"));
    try {
      movesNow = list(await api.get(`/cases/${id}/moves`, mayAct.length ? { as: asSel.value } : undefined));
    } catch (err) {
      movesBody.replaceChildren(h("p.form-error", err.message));
      return;
    }
    movesBody.replaceChildren(...renderMoves(movesNow));
    markRequiredForms();
  }

  function renderMoves(moves) {
    const avail = moves.filter(m => m.available);
    const timed = moves.filter(m => !m.available && m.after);
    const blocked = moves.filter(m => !m.available && !m.after && !byRole(m));
    const others = moves.filter(m => !m.available && !m.after && byRole(m));
    const out = [];
    out.push(h("h3", "Moves you can make now"));
    out.push(avail.length
      ? h("ul.moves", avail.map(m => h("li.move",
          mayAct.length
            ? h("button.primary.move-btn", { type: "button", dataset: { move: m.name },
                on: { click: (e) => fire(m, e.currentTarget) } }, m.title || words(m.name))
            : h("p.move-title", h("strong", m.title || words(m.name))),
          h("p.muted", "Moves the case to ", h("strong", m.to_title || stateTitle(wf, m.to)),
            m.reason_required ? ". You will be asked to give a reason." : "."),
          describe(m))))
      : h("p.empty", "None just now. The list below says what is still needed."));
    if (blocked.length) {
      out.push(h("h3", "Moves not possible yet"));
      out.push(h("ul.moves.blocked", blocked.map(m => h("li.move", { dataset: { move: m.name } },
        h("p.move-title", h("strong", m.title || words(m.name)), h("span.muted", " → ", m.to_title || stateTitle(wf, m.to))),
        h("p.sr-only", "Not possible yet, because:"),
        h("ul.reasons", refusals(m).map(r => h("li", { dataset: { code: r.code || "" } }, plainRefusal(r))))))));
    }
    if (timed.length) {
      out.push(h("h3", "What happens by itself"));
      out.push(h("ul.moves.timed", timed.map(m => h("li.move",
        h("p.move-title", h("strong", m.title || words(m.name)), h("span.muted", " → ", m.to_title || stateTitle(wf, m.to))),
        h("p.muted", refusals(m).map(plainRefusal).join(" "))))));
    }
    if (others.length) {
      out.push(h("details.others",
        h("summary", `Moves for other roles (${others.length})`),
        h("ul.moves.blocked", others.map(m => h("li.move",
          h("p.move-title", h("strong", m.title || words(m.name)), h("span.muted", " → ", m.to_title || stateTitle(wf, m.to))),
          h("p.muted", refusals(m).map(plainRefusal).join(" ")))))));
    }
    return out;
  }

  function describe(m) {
    const t = list(def.transitions).find(x => x.name === m.name);
    return t && t.description ? h("p.desc", t.description) : null;
  }

  async function fire(m, btn) {
    const to = m.to_title || stateTitle(wf, m.to);
    const ok = await confirm({
      title: m.title || words(m.name),
      body: [`This moves ${title.replace(/^Case /, "case ")} from “${here.title || words(here.name)}” to “${to}”.`,
             m.reason_required ? "Give the reason: it is kept on the case's record." : "This is kept on the case's record."],
      reason: true,
      reasonOptional: !m.reason_required,
      okText: "Make this move",
      draftKey: drafts.key(id, `move:${m.name}`),
    });
    if (!ok) return;
    try {
      const body = { as: asSel.value };
      if (ok.reason) body.reason = ok.reason;
      if (c.revision !== undefined) body.revision = c.revision;
      await busy(btn, () => api.post(`/cases/${id}/transitions/${encodeURIComponent(m.name)}`, body));
      drafts.drop(drafts.key(id, `move:${m.name}`));
      later(`Done: the case is now in “${to}”.`);
      go(`/cases/${id}`);
    } catch (err) {
      if (err.status === 401) return;   // signed out: the reason is kept for after signing in
      if (isStale(err)) {
        later(await whatChanged(id, list(history), c, Boolean(ok.reason)), { problem: true });
        go(`/cases/${id}`);
        return;
      }
      warn(err.status === 409 || err.status === 400
        ? `The move was not made. ${refusal(err.body, err.message)}` : err.message);
      loadMoves();
    }
  }

  // --- forms --------------------------------------------------------------------------
  const formsPanel = h("section.panel", { "aria-labelledby": "forms-h" }, h("h2#forms-h", "Forms"));
  primary.append(formsPanel);
  const entries = list(c.entries);
  const needed = new Map();   // form -> [move titles] that need it, from this stage
  for (const t of list(def.transitions)) {
    const from = Array.isArray(t.from) ? t.from : [t.from];
    if (from.includes(c.state) || (t.from === "*" && !c.final)) {
      for (const f of list(t.requires)) needed.set(f, [...(needed.get(f) || []), t.title || words(t.name)]);
    }
  }
  const formNames = [...new Set([...list(here.forms), ...needed.keys()])];
  const otherForms = [...new Set(entries.map(e => e.form))].filter(f => !formNames.includes(f));
  const formList = h("ul.forms");
  const openArea = h("div.form-area");
  if (!formNames.length) formsPanel.append(h("p.empty", "No forms are used in this stage."));
  for (const name of formNames) formList.append(formItem(name));
  formsPanel.append(formList, openArea);
  if (otherForms.length) {
    formsPanel.append(h("h3", "Forms from earlier stages"),
      h("ul.forms", otherForms.map(n => formItem(n, true))));
  }
  // A form left half-filled (the session ended, or the page was left): open it again with
  // what was typed.
  const unsaved = formNames.find(n => drafts.load(drafts.key(id, `form:${n}`)));
  const reopen = unsaved && formList.querySelector(`button.fill[data-form="${CSS.escape(unsaved)}"]`);

  function formItem(name, past = false) {
    const mine = entries.filter(e => e.form === name);
    const latest = mine.at(-1);
    const li = h("li.form-item", { dataset: { form: name } });
    const head = h("div.form-head",
      h("div",
        h("h3.form-title", titles.get(name) || words(name)),
        h("p.muted.form-status", mine.length
          ? [`${plural(mine.length, "entry", "entries")}, latest `, timeEl(latest.at, false)]
          : "Not filled in yet"),
        needed.has(name) ? h("p.needed", `Needed for: ${needed.get(name).join("; ")}`) : null));
    li.append(head);
    if (!past && !c.final && api.can("write")) {
      head.append(h("button.fill", { type: "button", dataset: { form: name },
        "aria-expanded": "false", on: { click: (e) => openForm(name, e.currentTarget, li) } },
        mine.length ? "Add an entry" : "Fill in"));
    }
    if (mine.length) {
      li.append(h("details.entries", h("summary", mine.length === 1 ? "Show the entry" : `Show the ${mine.length} entries`),
        h("ol.entry-list", mine.slice().reverse().map(e => {
          const item = h("li", h("p.muted", timeEl(e.at), e.actor ? ` · by ${e.actor}` : "",
            e.role ? ` as ${roleName(e.role)}` : "",
            e.valid === false ? " · not accepted" : ""));
          schema(name, id).then(sc => item.append(answers(sc, e.data, list(c.members))))
            .catch(() => item.append(answers(null, e.data)));
          return item;
        }))));
    }
    return li;
  }

  function markRequiredForms() {
    // Highlight the forms a blocked move is waiting for.
    for (const li of formList.querySelectorAll(".form-item")) {
      const name = li.dataset.form;
      const waiting = movesNow.some(m => !m.available &&
        refusals(m).some(r => r.code === "form_missing" && r.params && r.params.form === name));
      li.classList.toggle("waiting", waiting);
    }
  }

  let openBtn = null;
  async function openForm(name, btn, li) {
    if (openBtn === btn) { closeForm(); return; }
    closeForm();
    let sc;
    try {
      sc = await busy(btn, () => schema(name, id));
    } catch (err) {
      warn(err.message);
      return;
    }
    openBtn = btn;
    btn.setAttribute("aria-expanded", "true");
    btn.textContent = "Close the form";
    const draftKey = drafts.key(id, `form:${name}`);
    const built = buildForm(sc, {
      submitText: "Save this form",
      draftKey,
      members: list(c.members),
      onCancel: () => { drafts.drop(draftKey); closeForm(); btn.focus(); },
      onSubmit: async (data, { showErrors }) => {
        try {
          // an attested field is given in the role the user acts as (the server checks they hold it)
          const body = attested(sc) && mayAct.length ? { data, as: asSel.value } : data;
          await api.post(`/cases/${id}/forms/${encodeURIComponent(name)}`, body);
        } catch (err) {
          if (err.status === 401) return;   // signed out: the answers are kept for after signing in
          if ((err.status === 422 || err.status === 400) && showErrors(err.message)) {
            warn(`${sc.title || words(name)} was not saved. Check the answers marked below.`);
          } else {
            showErrors(err.message);
            warn(err.message);
          }
          return;
        }
        drafts.drop(draftKey);
        later(`${sc.title || words(name)} saved.`);
        go(`/cases/${id}`);
      },
    });
    const box = h("div.form-box", { id: `form-${name}` },
      h("h3", sc.title || words(name)),
      sc.description ? h("p.muted", sc.description) : null,
      built.restored ? h("p.msg.draft-note", { role: "status" },
        "The answers you typed before and did not save are filled in below. They are saved when you save the form.") : null,
      built.el);
    li.append(box);
    const first = built.el.querySelector("input, select, textarea");
    if (first) first.focus();
  }
  function closeForm() {
    if (!openBtn) return;
    const li = openBtn.closest(".form-item");
    const box = li && li.querySelector(".form-box");
    if (box) box.remove();
    openBtn.setAttribute("aria-expanded", "false");
    const name = openBtn.dataset.form;
    openBtn.textContent = entries.some(e => e.form === name) ? "Add an entry" : "Fill in";
    openBtn = null;
  }

  // --- timeline -----------------------------------------------------------------------
  primary.append(timeline(list(history), wf, def));

  // --- people, details, what is coming up ---------------------------------------------
  aside.append(people(c, roles, id), linksPanel(c, id));
  const invite = invitePanel(c, def);
  if (invite) aside.append(invite);
  aside.append(consentsPanel(c, consents), decisionsPanel(c, decisions, def));
  const notShared = sharingPanel(c);
  if (notShared) aside.append(notShared);
  aside.append(details(c));
  const upcoming = comingUp(c, list(c.timers), def);
  if (upcoming) aside.append(upcoming);

  if (!c.final) await loadMoves();
  if (reopen && reopen.isConnected) await openForm(unsaved, reopen, reopen.closest(".form-item"));
}

// A move refused because the case changed since the page loaded it (its revision moved on),
// rather than because of the programme's rules.
function isStale(err) {
  return err.status === 409 && !list(err.body && err.body.refusals).length &&
    /revision|changed/i.test(err.message || "");
}

// What changed since the page was drawn, from the case's history: "This case was changed
// by sid.super at 5 Mar 2026, 09:15 AEDT while you were working (moved it to Stage 2);
// ...". Falls back to a plain message when the history says nothing new.
async function whatChanged(id, before, c, hadReason) {
  const seen = before.reduce((m, e) => Math.max(m, Number(e.seq) || 0), 0);
  const fresh = list(await api.get(`/cases/${id}/history`).catch(() => []))
    .filter(e => seen ? Number(e.seq) > seen : String(e.at) > String(c.updated_at || ""))
    .filter(e => e.kind !== "sensitive.read");
  const kept = hadReason ? "your reason is kept: it is filled in when you choose the move again."
    : "nothing you typed was lost.";
  if (!fresh.length) {
    return `This case was changed by someone else while you were working. It has been refreshed to show the latest; ${kept}`;
  }
  const last = fresh.at(-1);
  const who = [...new Set(fresh.map(e => e.actor === "timer" ? "the system" : e.actor || "someone"))].join(" and ");
  const what = [...new Set(fresh.map(changeWords))].join("; ");
  return `This case was changed by ${who} at ${when(last.at)} while you were working (${what}). ` +
    `It has been refreshed to show the latest; ${kept}`;
}

function changeWords(e) {
  const d = e.data && typeof e.data === "object" ? e.data : {};
  switch (e.kind) {
    case "case.transition": return `moved it to ${words(e.to)}`;
    case "case.allocated": return d.to ? `allocated it to ${d.to}` : "ended its allocation";
    case "case.data": {
      const keys = Object.keys(d.data && typeof d.data === "object" ? d.data : d);
      return keys.length ? `changed its details: ${keys.map(words).join(", ").toLowerCase()}` : "changed its details";
    }
    case "form.submitted": return `recorded the ${formTitle(e.name)} form`;
    case "member.added": return `added ${e.name || d.name || "a person"}`;
    case "member.ended": return `recorded that ${e.name || d.name || "a person"} left the case`;
    case "case.linked": return `linked it to case ${d.other}`;
    case "review.recorded": return "recorded a review";
    case "review.overdue": return "its review became overdue";
    case "timer.fired": return `${words(e.name).toLowerCase()} happened by itself`;
    default: return words(e.kind).toLowerCase();
  }
}

// Who is responsible for the case, and (for those who may) a way to allocate it.
function workerLine(c) {
  const p = h("p.worker-line#worker", h("span.muted", "Worker: "), h("strong", allocatedText(c)));
  const may = !c.final && api.can("write") && (api.can("supervise") || !c.allocated_to);
  if (!may) return p;
  const label = c.allocated_to ? "Reallocate" : "Allocate";
  const btn = h("button.link", { type: "button", on: { click: async () => {
    const res = await allocate(c, await loadTeams(), { title: `${label} ${c.ref || "case " + c.id}`, okText: label });
    if (res) go(`/cases/${c.id}`);
  } } }, label);
  p.append(" ", btn);
  return p;
}

function reviewLine(c, timers) {
  if (c.overdue_since) {
    return h("p.badge.late.review-line", "Review overdue since ", timeEl(c.overdue_since, false),
      ` (${plural(daysSince(c.overdue_since), "day")}).`);
  }
  const next = timers.filter(t => t.kind === "review" && t.status === "pending")
    .sort((a, b) => String(a.due_at).localeCompare(String(b.due_at)))[0];
  return next ? h("p.review-line", "Next review due ", timeEl(next.due_at, false), ".") : null;
}

function stepper(states, current) {
  const open = states.filter(s => !s.final);
  if (open.length < 2) return null;
  const idx = open.findIndex(s => s.name === current);
  return h("ol.stepper", { "aria-label": "Stages of the programme" }, open.map((s, i) =>
    h("li", { class: i < idx ? "done" : i === idx ? "now" : "", "aria-current": i === idx ? "step" : undefined },
      h("span.step-num", { "aria-hidden": "true" }, String(i + 1)),
      h("span.step-name", s.title || words(s.name)),
      i < idx ? h("span.sr-only", " (done)") : null)));
}

function people(c, roles, id) {
  const members = list(c.members);
  const sec = h("section.panel", { "aria-labelledby": "people-h" }, h("h2#people-h", "People and roles"));
  if (members.length) {
    sec.append(h("ul.people", members.map(m => h("li", { class: m.ended_at ? "ended" : "" },
      h("span.person", m.name),
      h("span.role", words(m.role)),
      m.data && m.data.dob ? h("span.muted.small", ` born ${when(m.data.dob, false)}`) : null,
      m.ended_at ? h("span.badge.summary", `Ended ${when(m.ended_at, false)}`) : null,
      m.ended_at && m.ended_reason ? h("span.muted.small", m.ended_reason) : null,
      !m.ended_at && !c.final && api.can("write") ? endButton(m, id) : null))));
  } else {
    sec.append(h("p.empty", "No one is recorded on this case yet."));
  }
  if (!c.final && api.can("write")) {
    const roleOptions = [...new Set([...roles, "child", ...members.map(m => m.role)])];
    const role = h("select", { name: "role" }, h("option", { value: "" }, "Choose a role"),
      roleOptions.map(r => h("option", { value: r }, words(r))));
    const name = h("input", { type: "text", name: "name", autocomplete: "off" });
    const dob = h("input", { type: "date", name: "dob" });
    const problem = h("p.form-error", { hidden: true, id: uid("p") });
    const submit = h("button", { type: "submit" }, "Add this person");
    const form = h("form.add-person", { novalidate: true }, problem,
      field("Name", name), field("Role", role), field("Date of birth (if known)", dob), h("div.buttons", submit));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      problem.hidden = true;
      for (const el of [name, role]) el.removeAttribute("aria-invalid");
      const missing = !name.value.trim() ? name : !role.value ? role : null;
      if (missing) {
        problem.textContent = missing === name ? "Enter the person's name." : "Choose the person's role.";
        problem.hidden = false;
        missing.setAttribute("aria-invalid", "true");
        missing.focus();
        return;
      }
      const body = { role: role.value, name: name.value.trim() };
      if (dob.value) body.data = { dob: dob.value };
      try {
        await busy(submit, () => api.post(`/cases/${id}/members`, body));
        later(`${body.name} added as ${aRole(body.role)}.`);
        go(`/cases/${id}`);
      } catch (err) {
        problem.textContent = err.message;
        problem.hidden = false;
      }
    });
    sec.append(h("details.add", h("summary", "Add a person"), form));
  }
  return sec;
}

// "End": a person leaves the case (kept in its history), with a reason.
function endButton(m, id) {
  const btn = h("button.link", { type: "button", "aria-label": `End ${m.name}'s part in the case` }, "End");
  btn.addEventListener("click", async () => {
    const ok = await confirm({ title: `${m.name} leaves the case`, reason: true, okText: "Record that they left",
      body: [`${m.name} stays in the case's history. Their part in it ends today; a family account of theirs is closed.`],
      reasonLabel: "Why they left" });
    if (!ok) return;
    try {
      await busy(btn, () => api.post(`/cases/${id}/members/${m.id}/end`, { reason: ok.reason }));
      later(`${m.name} left the case.`);
      go(`/cases/${id}`);
    } catch (err) {
      warn(err.message);
    }
  });
  return btn;
}

// Cases linked to this one (siblings, a case it continues or that continues it), and a way
// to link another.
function linksPanel(c, id) {
  const links = list(c.links);
  const sec = h("section.panel", { "aria-labelledby": "links-h" }, h("h2#links-h", "Linked cases"));
  const how = l => l.as === "sibling" ? "Sibling's case" : l.direction === "to" ? "Continues" : "Continued by";
  if (links.length) {
    sec.append(h("ul.people.links", links.map(l => h("li",
      h("span.role", how(l)),
      h("a", { href: href(`/cases/${l.case}`) }, l.ref ? `Case ${l.ref}` : `Case ${l.case}`),
      l.workflow ? h("span.muted.small", `${words(l.workflow)}, ${words(l.state)}`) : null))));
  } else {
    sec.append(h("p.empty", "No case is linked to this one."));
  }
  if (api.can("write")) {
    const other = h("input", { type: "text", name: "other", autocomplete: "off" });
    const as = h("select", { name: "as" }, h("option", { value: "sibling" }, "a sibling's case"),
      h("option", { value: "continues" }, "a case this one continues"));
    const reason = h("input", { type: "text", name: "reason", autocomplete: "off" });
    const problem = h("p.form-error", { hidden: true, id: uid("p") });
    const submit = h("button", { type: "submit" }, "Link the cases");
    const form = h("form.link-case", { novalidate: true }, problem,
      field("The other case (its number or ref)", other), field("It is", as), field("Why (optional)", reason),
      h("div.buttons", submit));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      problem.hidden = true;
      const text = other.value.trim();
      if (!text) {
        problem.textContent = "Enter the other case's number or ref.";
        problem.hidden = false;
        other.focus();
        return;
      }
      const body = { other: /^[0-9]+$/.test(text) ? Number(text) : text, as: as.value };
      if (reason.value.trim()) body.reason = reason.value.trim();
      try {
        await busy(submit, () => api.post(`/cases/${id}/links`, body));
        later(`Case linked.`);
        go(`/cases/${id}`);
      } catch (err) {
        problem.textContent = err.message;
        problem.hidden = false;
      }
    });
    sec.append(h("details.add", h("summary", "Link a case"), form));
  }
  return sec;
}

function details(c) {
  const data = c.data || {};
  const keys = Object.keys(data);
  const sec = h("section.panel", { "aria-labelledby": "details-h" }, h("h2#details-h", "Case details"));
  const dl = h("dl.answers");
  if (c.ref) dl.append(h("dt", "Reference"), h("dd", c.ref));
  dl.append(h("dt", "Opened"), h("dd", timeEl(c.created_at, false)));
  for (const k of keys.sort()) {
    const v = data[k];
    if (v === null || v === undefined) continue;
    const text = typeof v === "boolean" ? (v ? "Yes" : "No")
      : Array.isArray(v) ? v.join(", ")
      : typeof v === "object" ? JSON.stringify(v)
      : /^\d{4}-\d{2}-\d{2}$/.test(String(v)) ? when(v, false) : String(v);
    dl.append(h("dt", words(k)), h("dd", text));
  }
  sec.append(dl);
  return sec;
}

function comingUp(c, timers, def) {
  const pending = timers.filter(t => t.status === "pending" && !c.final)
    .sort((a, b) => String(a.due_at).localeCompare(String(b.due_at)));
  if (!pending.length) return null;
  const tTitle = (n) => {
    const t = list(def.transitions).find(x => x.name === n);
    return t ? t.title || words(n) : words(n);
  };
  return h("section.panel", { "aria-labelledby": "soon-h" }, h("h2#soon-h", "Coming up"),
    h("ul.soon", pending.map(t => h("li",
      h("strong", t.kind === "review" ? "Review due" : `${tTitle(t.name)}`), " ",
      timeEl(t.due_at, false),
      t.kind !== "review" ? h("span.muted", " (happens by itself if the case is still in this stage)") : null))));
}

function timeline(events, wf, def) {
  const sec = h("section.panel", { "aria-labelledby": "timeline-h" }, h("h2#timeline-h", "Timeline"));
  if (!events.length) {
    sec.append(h("p.empty", "Nothing has been recorded yet."));
    return sec;
  }
  const tTitle = (n) => {
    const t = list(def.transitions).find(x => x.name === n);
    return t ? t.title || words(n) : words(n);
  };
  const sTitle = (n) => stateTitle(wf, n);
  const ol = h("ol.timeline", { reversed: true });
  const SHOWN = 15;
  let n = 0;
  for (const e of events.slice().reverse()) {
    n += 1;
    let what, extra = null;
    switch (e.kind) {
      case "case.opened": what = ["Case opened in ", h("strong", sTitle(e.to))]; break;
      case "case.transition":
        what = [h("strong", tTitle(e.name)), ": moved from ", sTitle(e.from), " to ", h("strong", sTitle(e.to))];
        break;
      case "form.submitted": {
        const t = h("strong", titles.get(e.name) || words(e.name));
        what = [t, " recorded"];
        break;
      }
      case "member.added": what = [h("strong", e.name || (e.data && e.data.name) || "A person"), " added as ",
        aRole(e.role || (e.data && e.data.role))]; break;
      case "member.ended": what = [h("strong", e.name || (e.data && e.data.name) || "A person"), " left the case"]; break;
      case "case.linked": what = ["Linked to ", h("a", { href: href(`/cases/${e.data && e.data.other}`) }, `case ${e.data && e.data.other}`),
        e.data && e.data.as === "sibling" ? " (a sibling's case)" : e.data && e.data.direction === "to" ? " (this case continues it)" : " (it continues this case)"]; break;
      case "case.data": {
        const d = e.data && typeof e.data === "object" ? (e.data.data && typeof e.data.data === "object" ? e.data.data : e.data) : {};
        what = ["Case details updated", Object.keys(d).length ? `: ${Object.keys(d).map(words).join(", ").toLowerCase()}` : ""];
        break;
      }
      case "review.overdue": what = [h("strong", "Review overdue"), e.data && e.data.due ? [": it was due ", timeEl(e.data.due, false)] : ""]; break;
      case "review.recorded": what = [h("strong", "Review held"), e.data && e.data.next_due
        ? ["; the next is due ", timeEl(e.data.next_due, false)] : "", e.data && e.data.note ? `: ${e.data.note}` : ""]; break;
      case "timer.fired": what = [h("strong", tTitle(e.name)), " happened by itself"]; break;
      case "timer.refused": what = [tTitle(e.name), " was due to happen by itself but could not"]; break;
      case "sensitive.read": what = ["Private details viewed"]; break;
      case "case.allocated": what = [e.data && e.data.to ? ["Allocated to ", h("strong", e.data.to),
        e.data.team ? ` (team ${e.data.team})` : ""] : "Allocation ended",
        e.data && e.data.from ? ` (was ${e.data.from})` : ""]; break;
      case "case.access_granted": what = [h("strong", "The glass was broken"), ": access",
        e.data && e.data.expires_at ? [" until ", timeEl(e.data.expires_at)] : ""]; break;
      case "consent.given": what = [h("strong", "Consent given"), e.data && e.data.purpose ? `: ${words(e.data.purpose).toLowerCase()}` : ""]; break;
      case "consent.withdrawn": what = [h("strong", "Consent withdrawn"), e.data && e.data.purpose ? `: ${words(e.data.purpose).toLowerCase()}` : "",
        e.data && e.data.on_behalf ? " (on the person's behalf)" : ""]; break;
      case "case.flagged": what = [h("strong", "Flagged"), e.data && e.data.text ? `: ${e.data.text}` : ""]; break;
      case "case.flag_cleared": what = ["Flag cleared"]; break;
      case "decision.recorded": what = [h("strong", "Shared decision recorded"), e.data && e.data.for ? ` for ${tTitle(e.data.for)}` : "",
        e.data && typeof e.data.family_agreed === "boolean" ? (e.data.family_agreed ? " (the family agreed)" : " (the family did not agree)") : ""]; break;
      case "user.added": what = [h("strong", "Family sign-in made"), e.data && e.data.login ? ` for ${e.data.login}` : ""]; break;
      case "case.exported": what = [h("strong", "Records exported"), e.data && e.data.destination ? ` to ${e.data.destination}` : ""]; break;
      default: what = [words(e.kind)];
    }
    if (e.reason) extra = h("blockquote.reason", h("span.sr-only", "Reason: "), e.reason);
    const who = e.actor && e.actor !== "timer" ? ` by ${e.actor}${e.role && e.kind === "case.transition" ? ` (as ${aRole(e.role)})` : ""}`
      : e.actor === "timer" ? " automatically" : "";
    ol.append(h("li", { class: `ev ev-${e.kind.replace(/\./g, "-")}`, hidden: n > SHOWN },
      h("p.ev-when", timeEl(e.at), h("span.muted", who)),
      h("p.ev-what", what), extra));
  }
  sec.append(ol);
  if (events.length > SHOWN) {
    const more = h("button", { type: "button", on: { click: () => {
      const first = ol.querySelector("li[hidden]");
      for (const li of ol.querySelectorAll("li[hidden]")) li.hidden = false;
      more.remove();
      if (first) { first.tabIndex = -1; first.focus(); }
    } } }, `Show the ${events.length - SHOWN} earlier events`);
    sec.append(h("div.buttons", more));
  }
  return sec;
}
