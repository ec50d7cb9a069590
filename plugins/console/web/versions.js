// versions.js: a programme's versions on its page, for admins: every deployed version with
// its open cases; the dry run of moving open cases to a chosen version (what would happen to
// each case, totals, and the diagrams of the versions side by side); the run with its
// progress; the undo; past migrations. The server decides everything (admins only there too).

import * as api from "./api.js";
import { h, table, words, plural, clear, append, timeEl } from "./dom.js";
import { confirm, say, warn, busy } from "./ui.js";
import { href } from "./nav.js";
import { draw } from "./diagram.js";

const SHOWN = 200; // cases listed in a report; the totals count them all

const STATE_WORDS = { running: "running", done: "done", undone: "undone", interrupted: "interrupted (its process stopped)" };

export async function versionsSection(name, ctx) {
  const sec = h("section#versions", { "aria-labelledby": "versions-h" }, h("h2#versions-h", "Versions"),
    h("p", "Every case stays on the version it was opened with until it is moved. ",
      "Check first: the check shows what would happen to each open case and changes nothing."));
  const listed = h("div"), past = h("div");
  // After a run or an undo: the versions' counts and the past migrations again (the report
  // and the run's outcome stay where they are).
  const refresh = async () => {
    try {
      const [versions, migrations] = await Promise.all([
        api.get(`/workflows/${encodeURIComponent(name)}/versions`), api.get("/migrations")]);
      listed.replaceChildren(versionsTable(name, versions));
      past.replaceChildren(pastList(migrations.filter(m => m.workflow === name), refresh));
    } catch (e) {
      warn(e.message || String(e));
    }
  };
  const [versions, migrations] = await Promise.all([
    api.get(`/workflows/${encodeURIComponent(name)}/versions`), api.get("/migrations")]);
  listed.append(versionsTable(name, versions));
  past.append(pastList(migrations.filter(m => m.workflow === name), refresh));
  append(sec, [listed,
    versions.length < 2 ? h("p.muted", "There is only one version: nothing to move yet.") : checkForm(name, versions, refresh),
    past]);
  return sec;
}

function versionsTable(name, versions) {
  return table("Deployed versions", [
    { head: "Version", cell: v => h("span", `Version ${v.version}`, v.latest ? h("span.tag", "latest") : null) },
    { head: "Deployed", cell: v => [timeEl(v.deployed_at), v.deployed_by ? ` by ${v.deployed_by}` : ""] },
    { head: "Open cases", cell: v => h("a", { href: href("/cases", { workflow: name, open: "1" }) }, String(v.open_cases)) },
    { head: "All cases", cell: v => String(v.cases) },
  ], versions, { captionHidden: true });
}

function checkForm(name, versions, refresh) {
  const latest = versions.find(v => v.latest) || versions[versions.length - 1];
  const select = h("select#migrate-to", { name: "to" },
    versions.map(v => h("option", { value: String(v.version), selected: v === latest },
      `Version ${v.version}${v.latest ? " (latest)" : ""}`)));
  const plan = h("textarea.code#migrate-plan", { name: "plan", rows: 6, spellcheck: "false", autocapitalize: "none",
    placeholder: "return migration { workflow = \"" + name + "\", to = 2, states = { old = \"new\" } }" });
  const out = h("div#migration-report", { "aria-live": "polite" });
  const checkBtn = h("button.primary#migrate-check", { type: "submit" }, "Check");
  const form = h("form.form-box", { "aria-labelledby": "migrate-h", on: { submit: async (e) => {
    e.preventDefault();
    await busy(checkBtn, async () => {
      clear(out);
      const to = Number(select.value);
      const body = { to };
      if (plan.value.trim()) body.plan = plan.value;
      try {
        const rep = await api.post(`/workflows/${encodeURIComponent(name)}/migration-checks`, body);
        report(out, name, versions, rep, body, refresh);
        say(`Checked: ${plural(rep.totals.move, "case")} would move, ${rep.totals.cannot} cannot. Nothing was changed.`);
      } catch (err) {
        out.append(h("p.msg.bad", { role: "alert" }, err.message || String(err)));
      }
    });
  } } },
    h("h3#migrate-h", "Move open cases to another version"),
    h("div.field", h("label", { for: "migrate-to" }, "Move to"), select),
    h("div.field", h("label", { for: "migrate-plan" }, "Plan file ", h("span.req", "(optional)")),
      h("p.help#migrate-plan-help", "Without one, stages are matched by name. A plan file can map a stage to another and change each case's data."),
      plan),
    h("div.buttons", checkBtn));
  plan.setAttribute("aria-describedby", "migrate-plan-help");
  return h("div", form, out);
}

function changesOf(c) {
  const items = [];
  for (const t of c.changes?.timers || []) {
    items.push(h("li", `${words(t.timer)}: timer ${t.change}`, t.due ? [" (due ", timeEl(t.due), ")"] : "",
      t.due_now ? h("strong.bad", " DUE AT ONCE") : ""));
  }
  for (const m of c.changes?.moves || []) {
    const why = (m.reasons || []).map(r => typeof r === "string" ? r : (r.text || "")).filter(Boolean).join("; ");
    items.push(h("li", `${words(m.move)} becomes ${m.change}`, why ? ` (${why})` : ""));
  }
  for (const r of c.roles_gone || []) items.push(h("li", `role ${words(r)} is gone in the new version`));
  if (c.closes) items.push(h("li", `closes at ${words(c.closes.state)}`));
  return items.length ? h("ul.plain", items) : "—";
}

function report(out, name, versions, rep, body, refresh) {
  const t = rep.totals;
  const fromVersions = [...new Set(rep.cases.map(c => c.from_version))].sort((a, b) => a - b);
  const target = versions.find(v => v.version === rep.to_version);
  const shownFrom = versions.filter(v => fromVersions.includes(v.version));
  append(out, [
    h("h3#report-h", `What moving to version ${rep.to_version} would do`),
    h("p#report-totals", `${plural(t.cases, "open case")}: ${t.move} would move, ${t.cannot} cannot`,
      t.due_now ? `; ${plural(t.due_now, "case")} with a review or timer due at once` : "",
      t.blocked ? `; ${plural(t.blocked, "case")} with moves that become blocked` : "",
      t.roles_gone ? `; ${plural(t.roles_gone, "case")} whose moves name roles that are gone` : "",
      t.closing ? `; ${plural(t.closing, "case")} that would close` : "", ". Nothing has changed yet."),
    h("div.versions-diagrams", [...shownFrom, target].filter(Boolean).map(v =>
      h("figure.diagram-wrap", { "data-version": String(v.version) },
        h("figcaption", h("strong", v.version === rep.to_version ? `Version ${v.version} (to)` : `Version ${v.version} (now)`)),
        h("div.diagram-scroll", { tabindex: "0", role: "region", "aria-label": `Diagram of version ${v.version}` },
          draw(v.definition, {}))))),
    table(`Each open case (${rep.cases.length > SHOWN ? `the first ${SHOWN} of ${rep.cases.length}` : "all"})`, [
      { head: "Case", cell: c => h("a", { href: href(`/cases/${c.case}`) }, c.ref || `#${c.case}`) },
      { head: "Now", cell: c => `v${c.from_version} ${words(c.from)}` },
      { head: "Would be", cell: c => c.outcome === "move" ? `v${rep.to_version} ${words(c.to)}` : "stays" },
      { head: "Outcome", cell: c => c.outcome === "move" ? "would move"
          : h("span", h("strong", "cannot move: "), (c.reasons || []).map(r => r.text).join("; ")) },
      { head: "What changes", cell: changesOf },
    ], rep.cases.slice(0, SHOWN), { empty: "No open case is on another version: nothing to move." }),
  ]);
  if (!t.move) return;
  const runBtn = h("button.primary#migrate-run", { type: "button" }, `Run: move ${plural(t.move, "case")} to version ${rep.to_version}`);
  const progressArea = h("div#migration-progress", { "aria-live": "polite" });
  runBtn.addEventListener("click", async () => {
    const ok = await confirm({
      title: `Move ${plural(t.move, "case")} to version ${rep.to_version}?`,
      body: [`Each case that can move is moved, in its own step, with an event on its record. ${t.cannot ? `${plural(t.cannot, "case")} cannot and will stay where they are.` : ""}`,
        "You can undo the migration afterwards: cases nothing has happened to since are put back."],
      okText: "Yes, move them",
    });
    if (!ok) return;
    await busy(runBtn, async () => {
      try {
        const m = await api.post("/migrations", { workflow: name, ...body });
        runBtn.hidden = true;
        await follow(progressArea, m, refresh);
      } catch (err) {
        progressArea.replaceChildren(h("p.msg.bad", { role: "alert" }, err.message || String(err)));
      }
    });
  });
  append(out, [h("div.buttons", runBtn), progressArea]);
}

function progressLine(m) {
  const p = m.progress || {};
  const bar = h("progress#migration-bar", { max: String(p.total || 1), value: String(p.done || 0), "aria-label": "Cases dealt with" });
  return h("p", bar, " ", h("span#migration-count", p.total != null ? `${p.done ?? 0} of ${p.total} cases` : `${p.done ?? 0} cases`),
    ` · migration ${m.id}: ${STATE_WORDS[m.state] || m.state}`);
}

async function follow(area, m, refresh) {
  area.replaceChildren(h("h3", `Migration ${m.id}`), progressLine(m));
  while (m.state === "running") {
    await new Promise(r => setTimeout(r, 400));
    if (!area.isConnected) return;
    m = await api.get(`/migrations/${m.id}`);
    area.replaceChildren(h("h3", `Migration ${m.id}`), progressLine(m));
  }
  const moved = m.moved || [], left = m.left || [];
  append(area, [
    h("p#migration-done", h("strong", `Migration ${m.id} ${m.state}: `),
      `${plural(m.counts?.moved ?? moved.length, "case")} moved, ${m.counts?.left ?? left.length} left.`),
    m.error ? h("p.msg.bad", m.error) : null,
    left.length ? table("Cases left where they are", [
      { head: "Case", cell: c => h("a", { href: href(`/cases/${c.case}`) }, `#${c.case}`) },
      { head: "Stage", cell: c => words(c.from || "") },
      { head: "Why", cell: c => (c.reasons || []).map(r => r.text).join("; ") },
    ], left) : null,
    moved.length ? h("details", h("summary", `The ${plural(moved.length, "case")} moved`),
      h("ul.plain", moved.slice(0, 500).map(c => h("li", h("a", { href: href(`/cases/${c.case}`) }, `#${c.case}`),
        `: ${words(c.from)} → ${words(c.to)}`)))) : null,
  ]);
  say(`Migration ${m.id} ${m.state}.`);
  await refresh();
}

// The undo's outcome stays on the page while the list above it is drawn again.
const undoResult = () => document.getElementById("migration-undo-result") || h("div#migration-undo-result", { "aria-live": "polite" });

function pastList(migrations, refresh) {
  const out = undoResult();
  const undo = async (m, btn) => {
    const ok = await confirm({
      title: `Undo migration ${m.id}?`,
      body: [`Each case it moved to version ${m.to_version} is put back (version, stage, data, timers) if nothing has happened to it since. Cases that moved on are left and listed.`],
      okText: "Yes, undo it",
    });
    if (!ok) return;
    await busy(btn, async () => {
      try {
        const r = await api.post(`/migrations/${m.id}/undo`, {});
        await refresh();
        const box = document.getElementById("migration-undo-result");
        if (box) box.replaceChildren(
          h("p#migration-undone", h("strong", `Migration ${m.id} undone: `), `${plural(r.undone.length, "case")} put back, ${r.left.length} left.`),
          r.left.length ? table("Cases left (they moved on since)", [
            { head: "Case", cell: c => h("a", { href: href(`/cases/${c.case}`) }, `#${c.case}`) },
            { head: "Why", cell: c => c.reason },
          ], r.left) : "");
        say(`Migration ${m.id} undone: ${plural(r.undone.length, "case")} put back.`);
      } catch (err) {
        warn(err.message || String(err));
      }
    });
  };
  return h("div", h("h3#past-h", "Past migrations"),
    table("Past migrations of this programme", [
      { head: "Migration", cell: m => `#${m.id}` },
      { head: "To", cell: m => `Version ${m.to_version}` },
      { head: "By", cell: m => m.by },
      { head: "Started", cell: m => timeEl(m.started_at) },
      { head: "State", cell: m => STATE_WORDS[m.state] || m.state },
      { head: "Cases", cell: m => m.counts ? `${m.counts.moved ?? m.migrated} moved, ${m.counts.left ?? 0} left${m.undone ? `, ${m.undone} undone` : ""}`
          : `${m.progress?.done ?? 0} of ${m.progress?.total ?? "?"}` },
      { head: "Undo", cell: m => (m.state === "done" || m.state === "interrupted")
          ? (() => { const b = h("button", { type: "button", class: "migration-undo", "data-id": String(m.id) }, `Undo migration ${m.id}`);
                     b.addEventListener("click", () => undo(m, b)); return b; })() : "" },
    ], migrations, { empty: "No migrations of this programme yet.", captionHidden: true }), out);
}
