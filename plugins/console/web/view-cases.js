// view-cases.js: the case list: filters (programme, stage, overdue, open, mine, not
// allocated), search, paging; and opening a new case, allocated to the opener or a worker
// they choose. A row the user sees only as a summary shows only the summary's fields.

import * as api from "./api.js";
import { h, field, table, list, plural, timeEl, words, uid } from "./dom.js";
import { page, say, warn, busy } from "./ui.js";
import { go, href } from "./nav.js";
import { caseLink } from "./view-dashboard.js";
import { loadTeams, allocatedCell, peopleText } from "./allocate.js";

const PAGE = 20;
const defs = new Map();   // workflow name -> definition (states in order)

export async function definition(name) {
  if (!defs.has(name)) {
    const wf = await api.get(`/workflows/${encodeURIComponent(name)}`);
    defs.set(name, wf);
  }
  return defs.get(name);
}
export function forgetDefinitions() { defs.clear(); }

export function stateTitle(def, state) {
  const d = def && (def.definition || def);
  const s = d && list(d.states).find(x => x.name === state);
  return (s && s.title) || words(state);
}

export async function render(_p, query, ctx) {
  const { main } = page(ctx, "Cases");
  const workflows = list(await api.get("/workflows"));
  const wfTitle = Object.fromEntries(workflows.map(w => [w.name, w.title || words(w.name)]));
  const offset = Math.max(0, parseInt(query.offset || "0", 10) || 0);

  // Filters: a GET-style form whose values go into the address, so a filtered list can be
  // bookmarked, shared and reached with Back.
  const wfSel = h("select", { name: "workflow" },
    h("option", { value: "" }, "All programmes"),
    workflows.map(w => h("option", { value: w.name, selected: w.name === query.workflow }, w.title || words(w.name))));
  const stSel = h("select", { name: "state", disabled: !query.workflow });
  const fillStates = async () => {
    stSel.replaceChildren(h("option", { value: "" }, wfSel.value ? "All stages" : "Choose a programme first"));
    stSel.disabled = !wfSel.value;
    if (!wfSel.value) return;
    const def = await definition(wfSel.value);
    for (const s of list((def.definition || def).states)) {
      stSel.append(h("option", { value: s.name, selected: s.name === query.state }, s.title || words(s.name)));
    }
  };
  await fillStates();
  wfSel.addEventListener("change", () => { query.state = ""; fillStates(); });
  const search = h("input", { type: "search", name: "q", value: query.q || "",
                              placeholder: "Reference or name" });
  const overdue = h("input", { type: "checkbox", name: "overdue", checked: query.overdue === "1" });
  const openOnly = h("input", { type: "checkbox", name: "open", checked: query.open === "1" });
  const mineOnly = h("input", { type: "checkbox", name: "mine", checked: query.mine === "1" });
  const unallocated = h("input", { type: "checkbox", name: "unallocated", checked: query.unallocated === "1" });
  const checkbox = (label, input) => {
    input.id = uid("c");
    return h("div.check", input, h("label", { for: input.id }, label));
  };
  const filters = h("form.panel.filters", { role: "search", "aria-label": "Find cases" },
    field("Search by reference or name", search),
    field("Programme", wfSel),
    field("Stage", stSel),
    h("fieldset.checks", h("legend", "Show only"),
      checkbox("Cases with a review overdue", overdue),
      checkbox("Open cases", openOnly),
      api.can("work") ? checkbox("Cases allocated to me", mineOnly) : null,
      checkbox("Cases not allocated to anyone", unallocated)),
    h("div.buttons", h("button.primary", { type: "submit" }, "Show cases"),
      h("a.button", { href: href("/cases") }, "Clear")));
  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    go("/cases", { q: search.value.trim(), workflow: wfSel.value, state: stSel.value,
                   overdue: overdue.checked, open: openOnly.checked, mine: mineOnly.checked,
                   unallocated: unallocated.checked, team: query.team, sort: query.sort });
  });
  main.append(filters);

  const res = await api.get("/cases", {
    workflow: query.workflow, state: query.state, overdue: query.overdue === "1" ? "1" : "",
    open: query.open === "1" ? "1" : "", q: query.q, limit: PAGE, offset,
    mine: query.mine === "1" ? "1" : "", unallocated: query.unallocated === "1" ? "1" : "",
    team: query.team, sort: query.sort,   // sort: a data key (e.g. ?sort=priority_group); -KEY descending
  });
  const cases = list(res.cases);
  const total = Number.isFinite(res.total) ? res.total : cases.length;
  const results = h("section", { "aria-labelledby": "results-h" });
  const more = res.total_is_more === true;   // the server counts up to a cap
  const summary = total === 0 ? "No cases match."
    : `Showing ${offset + 1} to ${offset + cases.length} of ${more ? "more than " : ""}${plural(total, "case")}`;
  results.append(h("h2#results-h", "Results"), h("p.muted", { role: "status" }, summary,
    query.sort ? ` · in order of ${words(query.sort.replace(/^-/, "")).toLowerCase()}${query.sort.startsWith("-") ? ", highest first" : ""}` : ""));
  const titles = {};
  for (const name of new Set(cases.map(c => c.workflow))) {
    try { titles[name] = await definition(name); } catch { /* titles fall back to words */ }
  }
  results.append(table("Cases", [
    { head: "Case", cell: c => c.summary
        ? h("span", caseLink(c), " ", h("span.badge.summary", { title: "Not in your caseload: you see its summary only" }, "Summary"))
        : caseLink(c) },
    { head: "People", cell: c => c.summary ? h("span.muted", "Not shown") : (peopleText(c) || h("span.muted", "None recorded")) },
    { head: "Programme", cell: c => c.workflow_title || wfTitle[c.workflow] || words(c.workflow) },
    { head: "Stage", cell: c => h("span", { class: c.final ? "stage final" : "stage" }, c.state_title || stateTitle(titles[c.workflow], c.state)) },
    { head: "Review", cell: c => c.overdue_since
        ? h("span.badge.late", "Overdue since ", timeEl(c.overdue_since, false)) : (c.final ? "Closed" : "Up to date") },
    { head: "Worker", cell: c => allocatedCell(c) },
    { head: "Last change", cell: c => timeEl(c.updated_at) },
  ], cases, { captionHidden: true, empty: "No cases match these filters. Try clearing some of them." }));

  if (total > PAGE) {
    const pages = Math.ceil(total / PAGE);
    const here = Math.floor(offset / PAGE) + 1;
    const to = (o) => href("/cases", { ...query, offset: o || "" });
    results.append(h("nav.pager", { "aria-label": "Pages of results" },
      offset > 0 ? h("a.button", { href: to(Math.max(0, offset - PAGE)), rel: "prev" }, "Previous page") : h("span"),
      h("span", more ? `Page ${here}` : `Page ${here} of ${pages}`),
      offset + PAGE < total || (more && cases.length === PAGE)
        ? h("a.button", { href: to(offset + PAGE), rel: "next" }, "Next page") : h("span")));
  }
  main.append(results);

  if (api.can("write")) main.append(openCaseForm(workflows, await loadTeams()));
}

// The workers a new case may be allocated to: the opener, then the members of the teams
// the opener belongs to (all teams for an administrator or a supervisor).
function workers(teams) {
  const s = api.current() || {};
  const mine = s.role === "admin" || s.role === "supervisor" ? teams
    : teams.filter(t => list(t.members).includes(s.login));
  const out = [];
  for (const t of mine) for (const m of list(t.members)) if (m !== s.login && !out.includes(m)) out.push(m);
  return out.sort();
}

function openCaseForm(workflows, teams) {
  const wf = h("select", { name: "workflow", required: true },
    h("option", { value: "" }, "Choose a programme"),
    workflows.map(w => h("option", { value: w.name }, w.title || words(w.name))));
  const ref = h("input", { type: "text", name: "ref", autocomplete: "off" });
  const referredBy = h("input", { type: "text", name: "referred_by", autocomplete: "off" });
  const referredOn = h("input", { type: "date", name: "referred_on", value: new Date().toISOString().slice(0, 10) });
  const me = (api.current() || {}).login || "";
  const allocateTo = h("select", { name: "allocate_to" }, h("option", { value: "" }, `Me (${me})`),
    workers(teams).map(w => h("option", { value: w }, w)));
  const problem = h("p.form-error", { hidden: true, id: uid("p") });
  const submit = h("button.primary", { type: "submit" }, "Open the case");
  const form = h("form", { novalidate: true },
    problem,
    field("Programme", wf),
    field("Case reference", ref, { help: "Your agency's reference for the family, if it has one." }),
    field("Referred by", referredBy, { help: "Who referred the family (optional)." }),
    field("Date of the referral", referredOn),
    field("Allocate to", allocateTo, { help: "The worker responsible for the case. It is yours unless you choose another." }),
    h("div.buttons", submit));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    problem.hidden = true;
    if (!wf.value) {
      problem.textContent = "Choose the programme the family is joining.";
      problem.hidden = false;
      wf.setAttribute("aria-invalid", "true");
      wf.focus();
      return;
    }
    wf.removeAttribute("aria-invalid");
    const data = {};
    if (referredBy.value.trim()) data.referred_by = referredBy.value.trim();
    if (referredOn.value) data.referred_on = referredOn.value;
    try {
      const c = await busy(submit, () => api.post("/cases", {
        workflow: wf.value, ref: ref.value.trim() || undefined, data,
        allocate_to: allocateTo.value || undefined }));
      say(`Case ${c.ref || c.id} opened.`);
      go(`/cases/${c.id}`);
    } catch (err) {
      problem.textContent = err.message;
      problem.hidden = false;
      warn(err.message);
    }
  });
  return h("section.panel.open-case", { "aria-labelledby": "open-h" },
    h("h2#open-h", "Open a new case"),
    h("p.muted", "For a family newly referred to a programme. You can add the people and fill in the forms once it is open."),
    form);
}
