// view-caseload.js: a supervisor's team caseload: open cases per worker and their overdue
// reviews, each case with a way to reallocate it (with a reason), the queue of cases not
// allocated to anyone, and the glass-breaks on the team's cases to review.

import * as api from "./api.js";
import { h, table, list, plural, timeEl, words, field, button } from "./dom.js";
import { page } from "./ui.js";
import { go, href } from "./nav.js";
import { caseLink } from "./view-dashboard.js";
import { definition, stateTitle } from "./view-cases.js";
import { loadTeams, teamsOf, allocate, allocatedCell, peopleText } from "./allocate.js";

function reviewCell(c) {
  return c.overdue_since ? h("span.badge.late", "Overdue since ", timeEl(c.overdue_since, false))
    : (c.final ? "Closed" : "Up to date");
}

export async function render(_p, query, ctx) {
  const { main } = page(ctx, "Team caseload");
  const me = (api.current() || {}).login || "";
  const teams = await loadTeams();
  const isAdmin = (api.current() || {}).role === "admin";
  const mineT = isAdmin ? teams : teamsOf(teams, me);
  if (!mineT.length) {
    main.append(h("p.empty", isAdmin ? "There are no teams yet. Add one on the page of people who sign in."
      : "You are not in a team yet. Ask an administrator to add you to your team."));
  }
  const team = mineT.find(t => t.name === query.team) || mineT[0];
  if (mineT.length > 1) {
    const sel = h("select", { name: "team" }, mineT.map(t => h("option", { value: t.name, selected: t === team }, t.name)));
    const form = h("form.panel.filters", { "aria-label": "Choose a team" }, field("Team", sel),
      h("div.buttons", h("button", { type: "submit" }, "Show this team")));
    form.addEventListener("submit", (e) => { e.preventDefault(); go("/caseload", { team: sel.value }); });
    main.append(form);
  }
  const again = () => go("/caseload", { team: team ? team.name : "" });

  const [load, queue, grants] = await Promise.all([
    team ? api.get("/cases", { team: team.name, open: "1", limit: 500 }) : { cases: [] },
    api.get("/cases", { unallocated: "1", open: "1", limit: 100 }),
    api.get("/access", team ? { team: team.name } : undefined).catch(() => []),
  ]);
  const cases = list(load.cases);
  const titles = {};
  for (const name of new Set([...cases, ...list(queue.cases)].map(c => c.workflow))) {
    try { titles[name] = await definition(name); } catch { /* titles fall back to words */ }
  }
  if (!ctx.isCurrent()) return;

  if (team) {
    // Counts per worker: every member of the team, and anyone else holding its cases.
    const per = new Map(list(team.members).map(m => [m, { worker: m, open: 0, overdue: 0 }]));
    for (const c of cases) {
      const w = c.allocated_to || "";
      if (!per.has(w)) per.set(w, { worker: w, open: 0, overdue: 0 });
      per.get(w).open += 1;
      if (c.overdue_since) per.get(w).overdue += 1;
    }
    const overdue = cases.filter(c => c.overdue_since).length;
    main.append(h("p.muted", `Team ${team.name}: ${plural(cases.length, "open case")}, `,
      h("span", { class: overdue ? "late" : "" }, `${plural(overdue, "review")} overdue`), "."));
    main.append(h("section.panel", { "aria-labelledby": "workers-h" }, h("h2#workers-h", "Cases per worker"),
      table("Open cases and overdue reviews per worker", [
        { head: "Worker", cell: r => r.worker || "Not allocated" },
        { head: "Open cases", cell: r => String(r.open), class: "num" },
        { head: "Reviews overdue", cell: r => r.overdue ? h("span.badge.late", String(r.overdue)) : "0", class: "num" },
      ], [...per.values()].sort((a, b) => b.overdue - a.overdue || b.open - a.open || a.worker.localeCompare(b.worker)),
      { captionHidden: true, empty: "No one is in this team yet." })));

    const sorted = cases.slice().sort((a, b) => (a.overdue_since ? 0 : 1) - (b.overdue_since ? 0 : 1)
      || String(a.overdue_since || "").localeCompare(String(b.overdue_since || ""))
      || String(a.allocated_to || "").localeCompare(String(b.allocated_to || "")));
    main.append(h("section.panel", { "aria-labelledby": "team-cases-h" }, h("h2#team-cases-h", "The team's cases"),
      table("The team's open cases", [
        { head: "Case", cell: c => caseLink(c) },
        { head: "People", cell: c => peopleText(c) || h("span.muted", "—") },
        { head: "Stage", cell: c => c.state_title || stateTitle(titles[c.workflow], c.state) },
        { head: "Worker", cell: c => allocatedCell(c) },
        { head: "Review", cell: reviewCell },
        { head: "Action", cell: c => button("Reallocate", async () => {
            if (await allocate(c, mineT, { title: `Reallocate ${c.ref || "case " + c.id}`, okText: "Reallocate" })) again();
          }, { class: "small", "aria-label": `Reallocate ${c.ref || "case " + c.id}`, dataset: { case: String(c.id) } }) },
      ], sorted, { captionHidden: true, empty: "The team has no open cases." })));
  }

  const q = list(queue.cases);
  main.append(h("section.panel.queue", { "aria-labelledby": "queue-h" }, h("h2#queue-h", "Not allocated"),
    h("p.muted", "Open cases no one is responsible for yet. Allocate each to a worker."),
    table("Open cases not allocated to anyone", [
      { head: "Case", cell: c => caseLink(c) },
      { head: "Programme", cell: c => c.workflow_title || words(c.workflow) },
      { head: "Stage", cell: c => c.state_title || stateTitle(titles[c.workflow], c.state) },
      { head: "Review", cell: reviewCell },
      { head: "Opened or changed", cell: c => timeEl(c.updated_at, false) },
      { head: "Action", cell: c => button("Allocate", async () => {
          if (await allocate(c, mineT, { preferTeam: team && team.name })) again();
        }, { class: "small", "aria-label": `Allocate ${c.ref || "case " + c.id}`, dataset: { case: String(c.id) } }) },
    ], q, { captionHidden: true, empty: "Every open case is allocated." }),
    queue.total > q.length ? h("p", h("a", { href: href("/cases", { unallocated: "1", open: "1" }) },
      `See all ${queue.total} in the case list`)) : null));

  const g = list(grants);
  main.append(h("section.panel.glass", { "aria-labelledby": "glass-h" }, h("h2#glass-h", "Glass-breaks to review"),
    h("p.muted", "Workers who opened a case outside their caseload, and why. Check each reason was sound."),
    table("Glass-breaks on the team's cases", [
      { head: "Case", cell: x => caseLink({ id: x.case, ref: x.ref }) },
      { head: "Who", cell: x => x.login },
      { head: "Reason", cell: x => x.reason },
      { head: "When", cell: x => timeEl(x.granted_at) },
      { head: "Access until", cell: x => timeEl(x.expires_at) },
    ], g, { captionHidden: true, empty: "No one has broken the glass on the team's cases." })));
}
