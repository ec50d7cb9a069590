// view-dashboard.js: the overview: reviews that are overdue, and the cases of every
// programme at each stage.

import * as api from "./api.js";
import { h, table, list, plural, timeEl, daysSince, words } from "./dom.js";
import { page } from "./ui.js";
import { href } from "./nav.js";

export function caseName(c) {
  return c.ref ? `${c.ref}` : `Case ${c.id}`;
}

export function caseLink(c) {
  return h("a.case-ref", { href: href(`/cases/${c.id}`) }, caseName(c));
}

export async function render(_p, _q, ctx) {
  const { main } = page(ctx, "Overview");
  const data = await api.get("/dashboard");
  const programmes = list(data.programmes);
  const overdue = list(data.overdue);

  const open = programmes.reduce((n, p) => n + list(p.states)
    .filter(s => !s.final).reduce((m, s) => m + (s.count || 0), 0), 0);
  main.append(h("ul.stats",
    h("li", h("strong", String(overdue.length)), " ", overdue.length === 1 ? "review overdue" : "reviews overdue"),
    h("li", h("strong", String(programmes.length)), " ", programmes.length === 1 ? "programme" : "programmes")));

  const titleOf = {};
  for (const p of programmes) {
    titleOf[p.name] = { title: p.title || words(p.name), states: {} };
    for (const s of list(p.states)) titleOf[p.name].states[s.name] = s.title || words(s.name);
  }

  main.append(h("section.panel", { "aria-labelledby": "overdue-h" },
    h("h2#overdue-h", "Reviews overdue"),
    overdue.length
      ? table("Cases whose review is overdue", [
          { head: "Case", cell: c => caseLink(c) },
          { head: "Programme", cell: c => c.workflow_title || (titleOf[c.workflow] || {}).title || words(c.workflow) },
          { head: "Stage", cell: c => c.state_title || ((titleOf[c.workflow] || { states: {} }).states[c.state]) || words(c.state) },
          { head: "Review was due", cell: c => c.overdue_since
              ? h("span", timeEl(c.overdue_since, false), " ", h("span.muted", `(${plural(daysSince(c.overdue_since), "day")} ago)`))
              : "" },
        ], overdue, { captionHidden: true })
      : h("p.empty", "No reviews are overdue."),
    overdue.length ? h("p", h("a", { href: href("/cases", { overdue: "1" }) }, "See every overdue case in the case list")) : null));

  const grid = h("div.cards");
  for (const p of programmes) {
    const states = list(p.states);
    const max = Math.max(1, ...states.map(s => s.count || 0));
    const openHere = states.filter(s => !s.final).reduce((m, s) => m + (s.count || 0), 0);
    const hid = `prog-${p.name}`;
    grid.append(h("section.card", { "aria-labelledby": hid },
      h("h3", { id: hid }, h("a", { href: href(`/programmes/${p.name}`) }, p.title || words(p.name))),
      h("p.muted", `${plural(openHere, "open case")}`),
      h("ul.stage-counts", states.map(s => h("li", { class: s.final ? "final" : "" },
        h("a", { href: href("/cases", { workflow: p.name, state: s.name }) },
          h("span.stage-name", s.title || words(s.name)),
          h("span.count", { "aria-label": plural(s.count || 0, "case") }, String(s.count || 0))),
        h("span.bar", { "aria-hidden": "true", "data-w": String(Math.round(10 * (s.count || 0) / max)) })))),
    ));
  }
  main.append(h("section", { "aria-labelledby": "by-stage-h" },
    h("h2#by-stage-h", "Cases by programme and stage"),
    h("p.muted", `${plural(open, "open case")} across all programmes. Choose a stage to see its cases.`),
    programmes.length ? grid : h("p.empty", "No programmes are in use yet.")));
}
