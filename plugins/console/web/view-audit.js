// view-audit.js: the record of changes (the event log), newest first, filtered by case
// (number or reference), person, kind and dates (days in the agency's time zone), a CSV
// download of the entries that match, and checking that no one has altered it.

import * as api from "./api.js";
import { h, table, list, words, timeEl, plural, field, when, dayStart, timeZone } from "./dom.js";
import { page, busy, warn, say } from "./ui.js";
import { href, go } from "./nav.js";

const PAGE = 50;

const KINDS = {
  "case.opened": "Case opened",
  "case.transition": "Case moved",
  "case.data": "Case details changed",
  "case.allocated": "Case allocated",
  "case.access_granted": "Glass broken to open a case",
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
  "user.changed": "Account changed",
  "user.teams": "Teams changed",
  "login.succeeded": "Signed in",
  "login.failed": "Sign-in failed",
};

function whatText(e) {
  const base = KINDS[e.kind] || words(e.kind);
  const bits = details(e);
  return bits.length ? `${base}: ${bits.join(" · ")}` : base;
}

function details(e) {
  const bits = [];
  if (e.kind === "case.transition") bits.push(`${words(e.name)}: ${words(e.from)} → ${words(e.to)}`);
  else if (e.kind.startsWith("user.") || e.kind.startsWith("member.")) bits.push(String(e.name || ""));
  else if (e.name) bits.push(words(e.name));
  if (e.kind === "login.failed" && e.data && e.data.login) bits.push(`as ${e.data.login}`);
  return bits.filter(Boolean);
}

function what(e) {
  const base = KINDS[e.kind] || words(e.kind);
  const bits = details(e);
  if (e.reason) bits.push(`“${e.reason}”`);
  return h("span", h("strong", base), bits.length ? h("span.block.muted", bits.join(" · ")) : null);
}

// The day after "2026-03-04" (the end of a date range is the start of the next day).
function nextDay(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || "");
  if (!m) return "";
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1)).toISOString().slice(0, 10);
}

// The API's filter from the page's address: case, actor, kind, since and until.
function filterOf(query) {
  return { case: query.case || undefined, actor: query.actor || undefined, kind: query.kind || undefined,
           since: query.from ? dayStart(query.from) : undefined,
           until: query.to ? dayStart(nextDay(query.to)) : undefined };
}

// One CSV cell: quoted, and never read as a formula by a spreadsheet.
function cell(v) {
  let t = v === null || v === undefined ? "" : String(v);
  if (/^[=+\-@\t\r]/.test(t)) t = "'" + t;
  return `"${t.replace(/"/g, '""')}"`;
}

export function toCsv(events) {
  const head = ["Number", "When (UTC)", `When (${timeZone()})`, "Who", "Kind", "What", "Case", "Reason"];
  const rows = events.map(e => [e.seq, e.at, when(e.at), e.actor || "", e.kind, whatText(e), e.case || "", e.reason || ""]);
  return [head, ...rows].map(r => r.map(cell).join(",")).join("\r\n") + "\r\n";
}

const MOST = 20000;   // entries in one download

export async function render(_p, query, ctx) {
  const { main } = page(ctx, "Record of changes");
  main.append(h("p.lede", "Everything done in kinflow is written here and can never be changed; the latest entries come first. ",
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

  // Filters: a case (its number or reference), a person, a kind of entry, a range of days.
  const caseIn = h("input", { type: "text", value: query.case || "", autocomplete: "off", spellcheck: "false" });
  const actorIn = h("input", { type: "text", value: query.actor || "", autocomplete: "off", spellcheck: "false",
                               autocapitalize: "none" });
  const kindSel = h("select", h("option", { value: "" }, "Every kind"),
    Object.entries(KINDS).map(([k, t]) => h("option", { value: k, selected: k === query.kind }, t)));
  const fromIn = h("input", { type: "date", value: query.from || "" });
  const toIn = h("input", { type: "date", value: query.to || "" });
  const problem = h("p.form-error", { hidden: true, role: "alert" });
  const filters = h("form.panel.filters", { role: "search", "aria-label": "Filter the record", novalidate: true },
    problem,
    field("Case number or reference", caseIn),
    field("Person (user name)", actorIn),
    field("Kind of entry", kindSel),
    field("From (day)", fromIn),
    field("To (day, included)", toIn),
    h("p.help", `Days are in ${timeZone()} time.`),
    h("div.buttons", h("button", { type: "submit" }, "Show"), h("a.button", { href: href("/audit") }, "Clear")));
  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    if (fromIn.value && toIn.value && fromIn.value > toIn.value) {
      problem.textContent = "The first day comes after the last. Swap them, or clear one.";
      problem.hidden = false;
      fromIn.setAttribute("aria-invalid", "true");
      fromIn.focus();
      return;
    }
    go("/audit", { case: caseIn.value.trim(), actor: actorIn.value.trim(), kind: kindSel.value,
                   from: fromIn.value, to: toIn.value });
  });
  main.append(filters);

  const f = filterOf(query);
  const before = query.before ? Number(query.before) : undefined;
  let events;
  try {
    events = list(await api.get("/audit", { ...f, before, order: "newest", limit: PAGE }));
  } catch (err) {
    if (err.status === 404 && query.case) {
      main.append(h("p.msg.bad", { role: "alert" }, `There is no case “${query.case}”. Check its number or reference.`));
      return;
    }
    throw err;
  }
  const keep = { case: query.case, actor: query.actor, kind: query.kind, from: query.from, to: query.to };
  const sec = h("section", { "aria-labelledby": "events-h" }, h("h2#events-h", "Entries"));
  const csv = h("button", { type: "button" }, "Download the matching entries (CSV)");
  csv.addEventListener("click", async () => {
    try {
      const all = await busy(csv, async () => {
        const got = [];
        let at;
        for (;;) {
          const batch = list(await api.get("/audit", { ...f, before: at, order: "newest", limit: 1000 }));
          got.push(...batch);
          if (batch.length < 1000 || got.length >= MOST) break;
          at = batch.reduce((m, e) => Math.min(m, Number(e.seq)), Infinity);
        }
        return got.slice(0, MOST);
      });
      const blob = new Blob(["\ufeff" + toCsv(all)], { type: "text/csv;charset=utf-8" });
      const a = h("a", { href: URL.createObjectURL(blob), download: `kinflow-record-${new Date().toISOString().slice(0, 10)}.csv` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      say(`Downloaded ${plural(all.length, "entry", "entries")}${all.length >= MOST ? " (the latest; narrow the filter for the rest)" : ""}.`);
    } catch (err) {
      warn(err.message);
    }
  });
  if (events.length) sec.append(h("div.buttons", csv));
  sec.append(table("Entries in the record, latest first", [
    { head: "Number", cell: e => String(e.seq ?? "") },
    { head: "When", cell: e => timeEl(e.at) },
    { head: "Who", cell: e => e.actor || "—" },
    { head: "What", cell: e => what(e) },
    { head: "Case", cell: e => (e.case ? h("a", { href: href(`/cases/${e.case}`) }, `Case ${e.case}`) : "—") },
  ], events, { captionHidden: true, empty: "No entries match." }));
  if (events.length === PAGE || before) {
    const oldest = events.reduce((m, e) => Math.min(m, Number(e.seq || 0)), Infinity);
    sec.append(h("nav.pager", { "aria-label": "More entries" },
      before ? h("a.button", { href: href("/audit", keep) }, "Back to the latest") : h("span"),
      events.length === PAGE ? h("a.button", { href: href("/audit", { ...keep, before: oldest }) }, "Earlier entries") : h("span")));
  }
  main.append(sec);
}
