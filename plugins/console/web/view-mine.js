// view-mine.js: "My cases": the open cases allocated to the signed-in worker, overdue
// reviews first, then by the date of the next review, with each one's stage and people.

import * as api from "./api.js";
import { h, table, list, plural, timeEl, daysSince, words } from "./dom.js";
import { page } from "./ui.js";
import { href } from "./nav.js";
import { caseLink } from "./view-dashboard.js";
import { definition, stateTitle } from "./view-cases.js";
import { peopleText } from "./allocate.js";

// The next pending review of each case, when the list rows do not carry it: read from the
// case itself, without its private details (so nothing is revealed or recorded).
async function nextReviews(cases) {
  const out = new Map();
  await Promise.all(cases.slice(0, 100).map(async (c) => {
    if (c.next_review !== undefined) { out.set(c.id, c.next_review); return; }
    try {
      const full = await api.get(`/cases/${c.id}`, { sensitive: "0" });
      const next = list(full.timers).filter(t => t.kind === "review" && t.status === "pending")
        .map(t => t.due_at).sort()[0];
      out.set(c.id, next || null);
    } catch {
      out.set(c.id, null);
    }
  }));
  return out;
}

// Overdue first (the longest overdue first), then the soonest review, then the rest.
export function byUrgency(cases, next) {
  const key = (c) => [c.overdue_since ? 0 : next.get(c.id) ? 1 : 2,
                      c.overdue_since || next.get(c.id) || "", String(c.updated_at || "")];
  return cases.slice().sort((a, b) => {
    const ka = key(a), kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      if (ka[i] < kb[i]) return -1;
      if (ka[i] > kb[i]) return 1;
    }
    return 0;
  });
}

export async function render(_p, _q, ctx) {
  const { main } = page(ctx, "My cases");
  const me = (api.current() || {}).login || "";
  const res = await api.get("/cases", { mine: "1", open: "1", limit: 500 });
  const cases = list(res.cases);
  const next = await nextReviews(cases);
  const titles = {};
  for (const name of new Set(cases.map(c => c.workflow))) {
    try { titles[name] = await definition(name); } catch { /* titles fall back to words */ }
  }
  if (!ctx.isCurrent()) return;
  const overdue = cases.filter(c => c.overdue_since).length;
  main.append(h("p.muted", `The open cases allocated to ${me}, the most urgent first.`),
    h("ul.stats",
      h("li", h("strong", String(cases.length)), " ", cases.length === 1 ? "open case" : "open cases"),
      h("li", { class: overdue ? "late" : "" }, h("strong", String(overdue)), " ",
        overdue === 1 ? "review overdue" : "reviews overdue")));
  const rows = byUrgency(cases, next);
  main.append(h("section", { "aria-labelledby": "mine-h" }, h("h2#mine-h.visually-hidden", "Your cases"),
    table("Your open cases", [
      { head: "Case", cell: c => caseLink(c) },
      { head: "People", cell: c => peopleText(c) || h("span.muted", "None recorded") },
      { head: "Programme", cell: c => c.workflow_title || words(c.workflow) },
      { head: "Stage", cell: c => c.state_title || stateTitle(titles[c.workflow], c.state) },
      { head: "Next review", cell: c => c.overdue_since
          ? h("span.badge.late", "Overdue since ", timeEl(c.overdue_since, false),
              ` (${plural(daysSince(c.overdue_since), "day")})`)
          : next.get(c.id) ? timeEl(next.get(c.id), false) : h("span.muted", "None due") },
    ], rows, { captionHidden: true, empty: "No open cases are allocated to you." })));
  main.append(h("p", h("a", { href: href("/cases", { unallocated: "1", open: "1" }) }, "Cases not allocated to anyone"),
    " · ", h("a", { href: href("/cases") }, "Every case you may see")));
}
