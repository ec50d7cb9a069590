// view-reports.js: the analysts' reports (as `kinflow report stages|outcomes`): how long
// cases stay in each stage of a programme, how the cases that finished ended, and who ended
// the work; each downloadable as CSV. Only counts and days: no case or person is named.

import * as api from "./api.js";
import { h, table, list, words, field } from "./dom.js";
import { page, say } from "./ui.js";
import { go, href } from "./nav.js";

const days = (v) => (v === null || v === undefined ? "—" : `${Number(v).toLocaleString("en-AU", { maximumFractionDigits: 1 })}`);

// One CSV cell: quoted, and never read as a formula by a spreadsheet.
function cell(v) {
  let t = v === null || v === undefined ? "" : String(v);
  if (/^[=+\-@\t\r]/.test(t)) t = "'" + t;
  return `"${t.replace(/"/g, '""')}"`;
}

export function csv(head, rows) {
  return [head, ...rows].map(r => r.map(cell).join(",")).join("\r\n") + "\r\n";
}

function download(name, text) {
  const a = h("a", { href: URL.createObjectURL(new Blob(["\ufeff" + text], { type: "text/csv;charset=utf-8" })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

export async function render(_p, query, ctx) {
  const { main } = page(ctx, "Reports");
  main.append(h("p.lede", "How long cases stay in each stage, and how the cases that finished ended. ",
    "Counts and days only: no case or person is named. Days are counted from the record of changes, up to now."));
  const [workflows, stages, outcomes, endedBy] = await Promise.all([
    api.get("/workflows").catch(() => []),
    api.get("/reports/stages", { workflow: query.workflow }),
    api.get("/reports/outcomes", { workflow: query.workflow }),
    api.get("/reports/outcomes", { workflow: query.workflow, by: "ended_by" }),
  ]);
  const progs = list(workflows);
  const titleOf = (n) => {
    const w = progs.find(x => x.name === n);
    return (w && w.title) || words(n);
  };

  const sel = h("select", h("option", { value: "" }, "Every programme"),
    progs.map(w => h("option", { value: w.name, selected: w.name === query.workflow }, w.title || words(w.name))));
  const filters = h("form.panel.filters", { role: "search", "aria-label": "Choose a programme" },
    field("Programme", sel), h("div.buttons", h("button", { type: "submit" }, "Show"),
      h("a.button", { href: href("/reports") }, "Every programme")));
  filters.addEventListener("submit", (e) => { e.preventDefault(); go("/reports", { workflow: sel.value }); });
  main.append(filters);

  // --- time in stage -------------------------------------------------------------------
  const st = list(stages);
  const stHead = ["Programme", "Stage", "Cases there now", "Stays", "Median days", "90% within (days)"];
  const stRow = (r) => [titleOf(r.workflow), r.title || words(r.state), r.cases_now, r.stays,
    r.final ? "" : r.median_days ?? "", r.final ? "" : r.p90_days ?? ""];
  const stBtn = h("button", { type: "button", on: { click: () => {
    download(`kinflow-time-in-stage${query.workflow ? "-" + query.workflow : ""}.csv`, csv(stHead, st.map(stRow)));
    say("The time in stage report was downloaded.");
  } } }, "Download time in stage (CSV)");
  main.append(h("section.panel", { "aria-labelledby": "stages-h" }, h("h2#stages-h", "Time in stage"),
    h("p.muted", "Each stay is one case's time in a stage, from entering it to leaving it (or until now). ",
      "Half the stays were shorter than the median; nine in ten were shorter than the last column."),
    st.length ? h("div.buttons", stBtn) : null,
    table("Time in stage", [
      { head: "Programme", cell: r => titleOf(r.workflow) },
      { head: "Stage", cell: r => h("span", r.title || words(r.state), r.final ? h("span.muted", " (finish)") : null) },
      { head: "Cases there now", class: "num", cell: r => String(r.cases_now ?? 0) },
      { head: "Stays", class: "num", cell: r => String(r.stays ?? 0) },
      { head: "Median days", class: "num", cell: r => (r.final ? "—" : days(r.median_days)) },
      { head: "90% within (days)", class: "num", cell: r => (r.final ? "—" : days(r.p90_days)) },
    ], st, { captionHidden: true, empty: "No programme is deployed." })));

  // --- outcomes ------------------------------------------------------------------------
  const oc = list(outcomes);
  const ocHead = ["Programme", "Adaptation", "Outcome", "Cases", "Median days to finish"];
  const ocRow = (r) => [titleOf(r.programme), r.workflow ? titleOf(r.workflow) : "All", words(r.outcome), r.cases, r.median_days ?? ""];
  const ocBtn = h("button", { type: "button", on: { click: () => {
    download(`kinflow-outcomes${query.workflow ? "-" + query.workflow : ""}.csv`, csv(ocHead, oc.map(ocRow)));
    say("The outcomes report was downloaded.");
  } } }, "Download outcomes (CSV)");
  main.append(h("section.panel", { "aria-labelledby": "outcomes-h" }, h("h2#outcomes-h", "Outcomes"),
    h("p.muted", "How the cases that reached a final stage ended, and how long they took from opening. ",
      "“All” adds up a programme's adaptations."),
    oc.length ? h("div.buttons", ocBtn) : null,
    table("Outcomes", [
      { head: "Programme", cell: r => titleOf(r.programme) },
      { head: "Adaptation", cell: r => (r.workflow ? titleOf(r.workflow) : "All") },
      { head: "Outcome", cell: r => words(r.outcome) },
      { head: "Cases", class: "num", cell: r => String(r.cases ?? 0) },
      { head: "Median days to finish", class: "num", cell: r => days(r.median_days) },
    ], oc, { captionHidden: true, empty: "No case has finished yet." })));

  // --- who ended the work ----------------------------------------------------------------
  const ENDED = { family: "The family chose to", service: "The service could not continue (e.g. no match)",
    goals_met: "The goals were met", entered_care: "The child entered care",
    returned_to_care: "The child returned to care", other: "Other" };
  const eb = list(endedBy);
  const ebHead = ["Programme", "Adaptation", "Who ended the work", "Cases", "Median days to finish"];
  const ebWho = (r) => (r.ended_by ? ENDED[r.ended_by] || words(r.ended_by) : "Not said by the programme");
  const ebRow = (r) => [titleOf(r.programme), r.workflow ? titleOf(r.workflow) : "All", ebWho(r), r.cases, r.median_days ?? ""];
  const ebBtn = h("button", { type: "button", on: { click: () => {
    download(`kinflow-ended-by${query.workflow ? "-" + query.workflow : ""}.csv`, csv(ebHead, eb.map(ebRow)));
    say("The report of who ended the work was downloaded.");
  } } }, "Download who ended the work (CSV)");
  main.append(h("section.panel", { "aria-labelledby": "ended-h" }, h("h2#ended-h", "Who ended the work"),
    h("p.muted", "The same cases, by who ended the work, as each programme's final stages say."),
    eb.length ? h("div.buttons", ebBtn) : null,
    table("Who ended the work", [
      { head: "Programme", cell: r => titleOf(r.programme) },
      { head: "Adaptation", cell: r => (r.workflow ? titleOf(r.workflow) : "All") },
      { head: "Who ended the work", cell: r => ebWho(r) },
      { head: "Cases", class: "num", cell: r => String(r.cases ?? 0) },
      { head: "Median days to finish", class: "num", cell: r => days(r.median_days) },
    ], eb, { captionHidden: true, empty: "No case has finished yet." })));
}
