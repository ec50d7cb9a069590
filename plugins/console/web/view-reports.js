// view-reports.js: time in stage and outcomes per programme (the figures of `kinflow
// report`), each table with a CSV download made in the page from the rows shown.

import * as api from "./api.js";
import { h, table, list, words, button } from "./dom.js";
import { page } from "./ui.js";

// Rows as CSV text: a header of the keys, values quoted where they need it.
function csv(rows, keys) {
  const cell = (v) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [keys.join(","), ...rows.map(r => keys.map(k => cell(r[k])).join(","))].join("\r\n") + "\r\n";
}

function download(name, text) {
  const a = h("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

const days = (v) => (v === null || v === undefined ? "—" : `${v} days`);

export async function render(_p, _q, ctx) {
  const { main } = page(ctx, "Reports");
  const [stages, outcomes] = await Promise.all([api.get("/reports/stages").then(list),
    api.get("/reports/outcomes").then(list)]);
  const stageKeys = ["workflow", "state", "title", "cases_now", "stays", "median_days", "p90_days"];
  const outcomeKeys = ["programme", "workflow", "outcome", "cases", "median_days"];
  main.append(
    h("section.panel", { "aria-labelledby": "stages-h" }, h("h2#stages-h", "Time in each stage"),
      h("p.muted", "Cases in each stage now, and how long stays in it lasted (median and 90th percentile), from the record of changes."),
      button("Download as CSV", () => download("time-in-stage.csv", csv(stages, stageKeys)), { dataset: { csv: "stages" } }),
      table("Time in each stage", [
        { head: "Programme", cell: r => words(r.workflow) },
        { head: "Stage", cell: r => r.title || words(r.state) },
        { head: "Cases now", cell: r => String(r.cases_now) },
        { head: "Stays", cell: r => String(r.stays) },
        { head: "Median", cell: r => (r.final ? "—" : days(r.median_days)) },
        { head: "90th percentile", cell: r => (r.final ? "—" : days(r.p90_days)) },
      ], stages, { captionHidden: true, empty: "No programme is deployed yet." })),
    h("section.panel", { "aria-labelledby": "outcomes-h" }, h("h2#outcomes-h", "Outcomes"),
      h("p.muted", "How cases ended, per programme and per adaptation, and the median days from opening to that outcome."),
      button("Download as CSV", () => download("outcomes.csv", csv(outcomes, outcomeKeys)), { dataset: { csv: "outcomes" } }),
      table("Outcomes", [
        { head: "Programme", cell: r => words(r.programme) },
        { head: "Adaptation", cell: r => (r.workflow ? words(r.workflow) : "All") },
        { head: "Outcome", cell: r => words(r.outcome) },
        { head: "Cases", cell: r => String(r.cases) },
        { head: "Median", cell: r => days(r.median_days) },
      ], outcomes, { captionHidden: true, empty: "No case has reached a final stage yet." })));
}
