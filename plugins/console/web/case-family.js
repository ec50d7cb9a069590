// case-family.js: the family's part on a staff case page: the case's open flags (with Clear),
// its consents (record one for a member, withdraw one on someone's behalf with a reason),
// its shared decisions (record one: what, for which move, who took part with each view,
// whether the family agreed), "Invite a family member" (the one-time login and password,
// shown once) and "Not shared" (what was withheld from which destination, and why). It draws
// what the API answers; who may do what is the server's to decide.

import * as api from "./api.js";
import { h, field, list, words, timeEl, when, aRole, uid } from "./dom.js";
import { warn, confirm, busy, later, say } from "./ui.js";
import { go } from "./nav.js";

// "share_with_partners" -> "share information with the other services working with the family"
const PURPOSES = {
  share_with_partners: "share information with the other services working with the family",
  share_with_school: "share information with the school",
  plan_with_family: "make and review the plan with the family",
};
export function purposeWords(p) { return PURPOSES[p] || words(p).toLowerCase(); }

// The member roles whose holders may have family accounts when a programme names none.
const FAMILY_ROLES = ["parent", "carer", "young_person", "care_leaver", "family"];
export function familyRoles(def) {
  const named = list(def && def.family_roles);
  return named.length ? named : FAMILY_ROLES;
}

function day(d) { return d ? when(d, false) : ""; }

// A small form with a problem line, its fields and a submit button; onSubmit(problem) runs it.
function smallForm(cls, fields, submitText, onSubmit) {
  const problem = h("p.form-error", { hidden: true, id: uid("p"), role: "alert" });
  const submit = h("button.primary", { type: "submit" }, submitText);
  const form = h(`form.${cls}`, { novalidate: true }, problem, fields, h("div.buttons", submit));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    problem.hidden = true;
    const say_ = (text, el) => {
      problem.textContent = text;
      problem.hidden = false;
      if (el) { el.setAttribute("aria-invalid", "true"); el.focus(); }
    };
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    try {
      await busy(submit, () => onSubmit(say_));
    } catch (err) {
      if (err.status !== 401) say_(err.message);
    }
  });
  return form;
}

function memberSelect(members, label = "Choose a person") {
  return h("select", h("option", { value: "" }, label),
    members.map(m => h("option", { value: String(m.id) }, `${m.name} (${words(m.role).toLowerCase()})`)));
}

// --- flags: shown above everything else, for the worker --------------------------------
export function flagsPanel(c) {
  const flags = list(c.flags);
  if (!flags.length) return null;
  return h("section.panel.flags-panel", { "aria-labelledby": "flags-h", role: "region" },
    h("h2#flags-h", flags.length === 1 ? "1 thing needs your attention" : `${flags.length} things need your attention`),
    h("ul.flags", flags.map(f => h("li.flag", { dataset: { flag: String(f.id), kind: f.kind } },
      h("p", h("strong", f.kind === "consent_withdrawn" ? "Consent withdrawn: " : `${words(f.kind)}: `), f.text),
      h("p.muted.small", "Raised ", timeEl(f.raised_at)),
      !c.final && api.can("write") ? h("button.clear-flag", { type: "button", dataset: { flag: String(f.id) },
        on: { click: (e) => clearFlag(c, f, e.currentTarget) } }, "Clear") : null))));
}

async function clearFlag(c, f, btn) {
  const ok = await confirm({
    title: "Clear this flag",
    body: [f.text, "Clear it once you have acted on it. Clearing it is recorded on the case."],
    okText: "Clear the flag",
  });
  if (!ok) return;
  try {
    await busy(btn, () => api.post(`/cases/${c.id}/flags/${f.id}/clear`, {}));
    later("Flag cleared.");
    go(`/cases/${c.id}`);
  } catch (err) {
    if (err.status !== 401) warn(err.message);
  }
}

// --- consents --------------------------------------------------------------------------
export function consentsPanel(c, consents) {
  const sec = h("section.panel.consents-panel", { "aria-labelledby": "consents-h" }, h("h2#consents-h", "Consents"));
  if (consents === null) {
    sec.append(h("p.muted", "The consents could not be loaded."));
    return sec;
  }
  if (!consents.length) sec.append(h("p.empty", "No consent has been recorded on this case."));
  else {
    sec.append(h("ul.consents", consents.map(k => {
      const li = h("li.consent", { dataset: { consent: String(k.id), purpose: k.purpose } },
        h("p", h("strong", k.name), ` (${words(k.role).toLowerCase()}) agreed to `, h("strong", purposeWords(k.purpose)),
          ` from ${day(k.from)}`, k.until ? ` until ${day(k.until)}` : "", "."),
        h("p.muted.small", `Recorded by ${k.recorded_by} `, timeEl(k.recorded_at, false),
          k.current ? " · in force" : k.withdrawn_at ? "" : " · not in force today"));
      if (k.withdrawn_at) {
        li.append(h("p.badge.late", "Withdrawn ", timeEl(k.withdrawn_at, false),
          k.withdrawn_by ? ` by ${k.withdrawn_by}` : "", k.on_behalf ? " on their behalf" : "",
          k.withdrawn_reason ? `: ${k.withdrawn_reason}` : ""));
      } else if (!c.final && api.can("write")) {
        li.append(h("button.withdraw-consent", { type: "button", dataset: { consent: String(k.id) },
          on: { click: (e) => withdrawFor(c, k, e.currentTarget) } }, `Withdraw for ${k.name}`));
      }
      return li;
    })));
  }
  if (!c.final && api.can("write")) sec.append(h("details.add", h("summary", "Record a consent"), consentForm(c)));
  return sec;
}

async function withdrawFor(c, k, btn) {
  const ok = await confirm({
    title: `Withdraw ${k.name}'s consent`,
    body: [`${k.name} agreed to ${purposeWords(k.purpose)}. Withdrawing it on their behalf stops it from now on: whatever needs it is blocked, and the case is flagged.`],
    reason: true,
    reasonHelp: "Say why, and on whose word (for example: Robin phoned on 3 May and asked us to stop sharing).",
    okText: "Withdraw the consent",
  });
  if (!ok) return;
  try {
    await busy(btn, () => api.post(`/cases/${c.id}/consents/${k.id}/withdrawal`, { reason: ok.reason }));
    later(`${k.name}'s consent is withdrawn.`);
    go(`/cases/${c.id}`);
  } catch (err) {
    if (err.status !== 401) warn(err.message);
  }
}

function consentForm(c) {
  const who = memberSelect(list(c.members));
  const purpose = h("input", { type: "text", autocomplete: "off", list: "purposes-" + c.id, spellcheck: "false" });
  const purposes = h("datalist", { id: "purposes-" + c.id },
    ["share_with_partners", "share_with_school", "plan_with_family"].map(p => h("option", { value: p })));
  const from = h("input", { type: "date" });
  const until = h("input", { type: "date" });
  return smallForm("consent-form", [
    field("Who gave it", who),
    field("What for", purpose, { help: "A short name, e.g. share_with_partners, share_with_school or plan_with_family." }), purposes,
    field("From (empty: today)", from), field("Until (if it ends)", until)],
  "Record the consent", async (problem) => {
    if (!who.value) return problem("Choose who gave the consent.", who);
    if (!purpose.value.trim()) return problem("Say what the consent is for.", purpose);
    const body = { member: Number(who.value), purpose: purpose.value.trim() };
    if (from.value) body.from = from.value;
    if (until.value) body.until = until.value;
    await api.post(`/cases/${c.id}/consents`, body);
    later("Consent recorded.");
    go(`/cases/${c.id}`);
  });
}

// --- shared decisions ------------------------------------------------------------------
export function decisionsPanel(c, decisions, def) {
  const sec = h("section.panel.decisions-panel", { "aria-labelledby": "decisions-h" }, h("h2#decisions-h", "Shared decisions"));
  if (decisions === null) {
    sec.append(h("p.muted", "The shared decisions could not be loaded."));
    return sec;
  }
  const tTitle = (n) => {
    const t = list(def.transitions).find(x => x.name === n);
    return t ? t.title || words(n) : words(n);
  };
  if (!decisions.length) sec.append(h("p.empty", "No shared decision has been recorded on this case."));
  else {
    sec.append(h("ul.decisions", decisions.slice().reverse().map(d => h("li.decision", { dataset: { decision: String(d.id) } },
      h("p", h("strong", d.decided)),
      h("p.muted.small", timeEl(d.recorded_at, false), d.recorded_by ? ` · recorded by ${d.recorded_by}` : "",
        d.for ? ` · for “${tTitle(d.for)}”` : "", " · ", d.family_agreed ? "the family agreed" : "the family did not agree"),
      h("ul.views", list(d.participants).map(p => h("li", h("strong", p.name), p.role ? ` (${aRole(p.role)})` : "",
        p.view ? `: “${p.view}”` : "")))))));
  }
  if (!c.final && api.can("write")) sec.append(h("details.add", h("summary", "Record a shared decision"), decisionForm(c, def)));
  return sec;
}

function decisionForm(c, def) {
  const decided = h("textarea", { rows: 3 });
  const moves = list(def.transitions).filter(t => !t.after);
  const forMove = h("select", h("option", { value: "" }, "No particular move"),
    moves.map(t => h("option", { value: t.name }, t.title || words(t.name))));
  const agreed = h("select", h("option", { value: "" }, "Choose"), h("option", { value: "yes" }, "Yes"), h("option", { value: "no" }, "No"));
  const rows = list(c.members).map(m => {
    const took = h("input", { type: "checkbox", id: uid("took"), dataset: { member: String(m.id) } });
    const view = h("input", { type: "text", autocomplete: "off", "aria-label": `${m.name}'s view` });
    return { m, took, view, el: h("div.participant", h("div.check", took, h("label", { for: took.id }, `${m.name} (${words(m.role).toLowerCase()})`)), view) };
  });
  const staffView = h("input", { type: "text", autocomplete: "off" });
  const people = h("fieldset.participants", h("legend", "Who took part, and their view"),
    rows.length ? rows.map(r => r.el) : h("p.muted", "Add the family's members to the case first."));
  return smallForm("decision-form", [
    field("What was decided", decided), field("For which move", forMove), people,
    field(`Your view (${(api.current() || {}).login || "you"})`, staffView, { help: "You are recorded as taking part; leave empty to record none." }),
    field("Did the family agree?", agreed)],
  "Record the decision", async (problem) => {
    if (!decided.value.trim()) return problem("Say what was decided.", decided);
    const participants = rows.filter(r => r.took.checked).map(r => ({ member: r.m.id, view: r.view.value.trim() }));
    if (!participants.length) return problem("Tick the family members who took part.", rows[0] && rows[0].took);
    if (!agreed.value) return problem("Say whether the family agreed.", agreed);
    if (staffView.value.trim()) participants.push({ login: api.current().login, view: staffView.value.trim() });
    const body = { decided: decided.value.trim(), family_agreed: agreed.value === "yes", participants };
    if (forMove.value) body.for = forMove.value;
    await api.post(`/cases/${c.id}/decisions`, body);
    later("Shared decision recorded.");
    go(`/cases/${c.id}`);
  });
}

// --- inviting a family member ----------------------------------------------------------
export function invitePanel(c, def) {
  if (c.final || !api.can("write")) return null;
  const roles = familyRoles(def);
  const members = list(c.members).filter(m => roles.includes(m.role));
  const sec = h("section.panel.invite-panel", { "aria-labelledby": "invite-h" }, h("h2#invite-h", "Invite a family member"));
  if (!members.length) {
    sec.append(h("p.muted", `No one on this case holds a family role (${roles.map(words).join(", ").toLowerCase()}).`));
    return sec;
  }
  sec.append(h("p.muted", "They get their own sign-in to see their family's page on a phone or computer: the stage, the plan, the dates, the communication book and their consents. Nothing else."));
  const who = memberSelect(members);
  const login = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
  const result = h("div.invite-result", { "aria-live": "polite" });
  sec.append(smallForm("invite-form", [field("Who", who), field("Their login (empty: made from their name)", login)],
    "Make their sign-in", async (problem) => {
      if (!who.value) return problem("Choose the family member to invite.", who);
      const body = { member: Number(who.value) };
      if (login.value.trim()) body.login = login.value.trim();
      const res = await api.post(`/cases/${c.id}/invitations`, body);
      result.replaceChildren(h("div.msg.ok.invitation", { role: "status" },
        h("p", "Give these to them in person or by phone. The password is shown only this once; they choose their own when they first sign in."),
        h("dl.answers", h("dt", "Login"), h("dd.invite-login", res.login), h("dt", "Password"), h("dd.invite-password", h("code", res.password)))));
      say(`A sign-in was made for ${res.login}.`);
    }), result);
  return sec;
}

// --- what was not shared ---------------------------------------------------------------
export function sharingPanel(c) {
  const rows = list(c.sharing);
  if (!rows.length) return null;
  return h("section.panel.sharing-panel", { "aria-labelledby": "sharing-h" }, h("h2#sharing-h", "Not shared"),
    h("p.muted", "Records of this case that did not leave the agency, because no consent covered them."),
    h("ul.withheld", rows.map(w => h("li", { dataset: { destination: w.destination } },
      h("p", h("strong", w.destination), ` (for ${purposeWords(w.purpose)}): `,
        w.events === 1 ? "1 record withheld" : `${w.events} records withheld`, "."),
      h("p.muted.small", w.reason, " · last ", timeEl(w.updated_at))))));
}
