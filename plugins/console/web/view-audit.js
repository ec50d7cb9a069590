// view-audit.js: the record of changes (the event log), newest first, and checking that no
// one has altered it.

import * as api from "./api.js";
import { h, table, list, words, timeEl, plural, field } from "./dom.js";
import { page, busy } from "./ui.js";
import { href, go } from "./nav.js";

const PAGE = 50;

const KINDS = {
  "case.opened": "Case opened",
  "case.transition": "Case moved",
  "case.data": "Case details changed",
  "member.added": "Person added to a case",
  "form.submitted": "Form recorded",
  "review.recorded": "Review recorded",
  "review.overdue": "Review became overdue",
  "timer.fired": "Happened by itself",
  "timer.refused": "Could not happen by itself",
  "sensitive.read": "Private details viewed",
  "workflow.deployed": "Programme deployed",
  "form.deployed": "Form version recorded",
  "rule.deployed": "Rule deployed",
  "rule.rolled_back": "Rule rolled back",
  "user.added": "Account added",
  "login.succeeded": "Signed in",
  "login.failed": "Sign-in failed",
};

function what(e) {
  const base = KINDS[e.kind] || words(e.kind);
  const bits = [];
  if (e.kind === "case.transition") bits.push(`${words(e.name)}: ${words(e.from)} → ${words(e.to)}`);
  else if (e.kind === "user.added" || e.kind.startsWith("member.")) bits.push(String(e.name || ""));
  else if (e.name) bits.push(words(e.name));
  if (e.kind === "login.failed" && e.data && e.data.login) bits.push(`as ${e.data.login}`);
  if (e.reason) bits.push(`“${e.reason}”`);
  return h("span", h("strong", base), bits.length ? h("span.block.muted", bits.join(" · ")) : null);
}

export async function render(_p, query, ctx) {
  const { main } = page(ctx, "Record of changes");
  main.append(h("p.lede", "Everything done in kinflow is written here, in order, and can never be changed. ",
    "Each entry is sealed to the one before it, so any change to the record shows up when it is checked."));

  const out = h("div.verify-result", { "aria-live": "polite" });
  const verify = h("button.primary", { type: "button" }, "Check the record has not been altered");
  verify.addEventListener("click", async () => {
    out.replaceChildren(h("p.muted", "Checking every entry…"));
    try {
      const res = await busy(verify, () => api.get("/audit/verify"));
      out.replaceChildren(h("p.msg.ok", { role: "status" },
        `The record is intact: ${plural(Number(res.events || 0), "entry", "entries")} checked, none altered. `,
        res.head ? h("span.muted.small", `Seal of the latest entry: ${String(res.head).slice(0, 16)}…`) : null));
    } catch (err) {
      out.replaceChildren(h("p.msg.bad", { role: "alert" },
        err.status === 409 || err.status === 422 || err.status === 500
          ? `The record does not check out: ${err.message}. Tell your administrator at once.` : err.message));
    }
  });
  main.append(h("section.panel", { "aria-labelledby": "verify-h" }, h("h2#verify-h", "Check the record"), verify, out));

  // Filters: one case, one kind of entry.
  const caseIn = h("input", { type: "text", inputmode: "numeric", value: query.case || "", pattern: "[0-9]*" });
  const kindSel = h("select", h("option", { value: "" }, "Every kind"),
    Object.entries(KINDS).map(([k, t]) => h("option", { value: k, selected: k === query.kind }, t)));
  const filters = h("form.panel.filters", { role: "search", "aria-label": "Filter the record" },
    field("Case number", caseIn), field("Kind of entry", kindSel),
    h("div.buttons", h("button", { type: "submit" }, "Show"), h("a.button", { href: href("/audit") }, "Clear")));
  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    go("/audit", { case: caseIn.value.trim(), kind: kindSel.value });
  });
  main.append(filters);

  const after = query.after ? Number(query.after) : undefined;
  const events = list(await api.get("/audit", { case: query.case, kind: query.kind, after, limit: PAGE }));
  const sec = h("section", { "aria-labelledby": "events-h" }, h("h2#events-h", "Entries"));
  sec.append(table("Entries in the record", [
    { head: "Number", cell: e => String(e.seq ?? "") },
    { head: "When", cell: e => timeEl(e.at) },
    { head: "Who", cell: e => e.actor || "—" },
    { head: "What", cell: e => what(e) },
    { head: "Case", cell: e => (e.case ? h("a", { href: href(`/cases/${e.case}`) }, `Case ${e.case}`) : "—") },
  ], events, { captionHidden: true, empty: "No entries match." }));
  if (events.length === PAGE) {
    const last = events.reduce((m, e) => Math.max(m, Number(e.seq || 0)), 0);
    sec.append(h("nav.pager", { "aria-label": "More entries" },
      query.after ? h("a.button", { href: href("/audit", { case: query.case, kind: query.kind }) }, "Back to the start") : h("span"),
      h("a.button", { href: href("/audit", { case: query.case, kind: query.kind, after: last }) }, "Later entries")));
  }
  main.append(sec);
}
