// view-rules.js: the rules that decide when a case may move, their versions, and changing
// one: paste or edit its Lua source, see what differs from the version in force, preview
// (the engine checks the Lua first) which open cases it would change, deploy it, or roll
// back a deployed version.

import * as api from "./api.js";
import { h, field, table, list, words, plural, timeEl, when, append } from "./dom.js";
import { page, say, warn, confirm, busy, later } from "./ui.js";
import { go, href } from "./nav.js";
import { definition, stateTitle } from "./view-cases.js";

// The source text of a rule, where the server gave it.
function sourceOf(r) {
  const cands = [r.source, r.in_force && r.in_force.text, r.in_force && r.in_force.code,
                 r.in_force && r.in_force.source, ...list(r.versions).map(v => v.source).reverse()];
  return cands.find(x => typeof x === "string" && /\brule\s*[{(]/.test(x)) || "";
}

// The rule a source declares: rule { name = "consent_recorded", ... }
function declaredName(text) {
  const m = /\bname\s*=\s*["']([\w.-]+)["']/.exec(text || "");
  return m ? m[1] : "";
}

// A deployed version that rolling back would take out of force.
function canRollBack(r) {
  return list(r.versions).some(v => v.active !== 0 && v.active !== false);
}

// The lines of a and b compared (longest common subsequence): [{op: " " | "-" | "+", text}].
export function diffLines(a, b) {
  const x = String(a).replace(/\n$/, "").split("\n"), y = String(b).replace(/\n$/, "").split("\n");
  const n = x.length, m = y.length;
  if (n * m > 4000000) return null;
  const L = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { out.push({ op: " ", text: x[i] }); i++; j++; }
    else if (i < n && (j === m || L[i + 1][j] >= L[i][j + 1])) { out.push({ op: "-", text: x[i] }); i++; }
    else { out.push({ op: "+", text: y[j] }); j++; }
  }
  return out;
}

// The differences, with two lines of context around each change.
function diffView(before, after, title) {
  const d = diffLines(before, after);
  if (!d) return h("p.muted", "The rule is too long to compare here.");
  const added = d.filter(l => l.op === "+").length, removed = d.filter(l => l.op === "-").length;
  if (!added && !removed) return h("p.diff-summary", `No change from ${title}.`);
  const near = d.map((l, k) => d.slice(Math.max(0, k - 2), k + 3).some(o => o.op !== " "));
  const rows = [];
  let skipped = 0;
  const flush = () => { if (skipped) rows.push(h("li.diff-skip", `… ${plural(skipped, "unchanged line")} …`)); skipped = 0; };
  d.forEach((l, k) => {
    if (!near[k]) { skipped++; return; }
    flush();
    rows.push(h(l.op === "+" ? "li.diff-add" : l.op === "-" ? "li.diff-del" : "li.diff-same",
      h("span.sr-only", l.op === "+" ? "Added: " : l.op === "-" ? "Removed: " : "Unchanged: "),
      h("span.diff-mark", { "aria-hidden": "true" }, l.op), h("code", l.text || " ")));
  });
  flush();
  return h("div.diff",
    h("p.diff-summary", `Compared with ${title}: ${plural(added, "line")} added, ${plural(removed, "line")} removed.`),
    h("ol.diff-lines", { "aria-label": `Changes from ${title}`, tabindex: "0" }, rows));
}

function inForce(r) {
  const f = r.in_force || {};
  if (f.source === "deployed" || f.version) {
    const v = list(r.versions).find(x => x.version === f.version);
    return h("span", `Version ${f.version}`, v ? [", deployed ", timeEl(v.deployed_at, false), v.deployed_by ? ` by ${v.deployed_by}` : ""] : "");
  }
  if (f.plugin) return `As shipped with ${f.plugin}`;
  if (f.source === "workflow" || f.workflow) return `Written in the programme ${f.workflow ? words(f.workflow) : ""}`.trim();
  return f.source ? words(f.source) : "—";
}

export async function render(_p, query, ctx) {
  const { main } = page(ctx, "Rules");
  main.append(h("p.lede", "Rules decide when a case may move on: for example, that consent to share information has been recorded. ",
    "Before you change a rule, preview it: you will see every open case whose moves it would change."));
  const rules = list(await api.get("/rules"));
  rules.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  const canDeploy = api.can("deploy");

  const editor = h("section.panel.rule-editor", { "aria-labelledby": "edit-h" });
  const pathIn = h("input", { type: "text", name: "path", spellcheck: "false", autocomplete: "off",
                              placeholder: "rules/consent_recorded.lua" });
  const src = h("textarea.code", { name: "source", rows: 18, spellcheck: "false", autocapitalize: "none",
    placeholder: 'return rule {\n  name = "…",\n  description = "…",\n  check = function(case)\n    return true\n  end,\n}' });
  const problem = h("div.form-error", { hidden: true, tabindex: "-1" });
  const result = h("div.impact", { "aria-live": "polite" });
  const preview = h("button.primary", { type: "button" }, "Preview the effect");
  const deploy = h("button", { type: "button", disabled: !canDeploy }, "Deploy this rule");
  append(editor, [h("h2#edit-h", "Change a rule"),
    h("p.muted", "Choose “Edit” beside a rule to start from it, or paste a rule's Lua source here."),
    problem,
    field("File name", pathIn, { help: "Where the rule comes from, used in messages about it, for example rules/consent_recorded.lua." }),
    field("Lua source", src),
    h("div.buttons", preview, deploy),
    canDeploy ? null : h("p.muted", "Only an administrator or an analyst can deploy rules."),
    result]);

  const showProblem = (err) => {
    const m = /^(.*?):(\d+): (.*)$/s.exec(err.message);
    problem.replaceChildren(h("h3", "The rule has a problem"),
      h("p", m ? `Line ${m[2]}: ${m[3]}` : err.message),
      m ? h("p", h("button.link", { type: "button", on: { click: () => showLine(Number(m[2])) } }, `Go to line ${m[2]}`)) : null);
    problem.hidden = false;
    src.setAttribute("aria-invalid", "true");
    problem.focus();
  };
  // Select line n of the source.
  const showLine = (n) => {
    const lines = src.value.split("\n");
    const start = lines.slice(0, n - 1).reduce((t, l) => t + l.length + 1, 0);
    src.focus();
    src.setSelectionRange(start, start + (lines[n - 1] || "").length);
  };
  // The version in force of the rule being changed, and what the change does to its text.
  const current = () => {
    const name = declaredName(src.value);
    const r = rules.find(x => x.name === name);
    return r ? { r, text: sourceOf(r) } : null;
  };
  const changes = () => {
    const cur = current();
    if (!cur) return h("p.diff-summary", "This is a new rule: nothing is in force under its name.");
    if (!cur.text) return h("p.muted", "The text of the version in force is not available to compare.");
    return diffView(cur.text, src.value, "the version in force");
  };
  const body = () => ({ path: pathIn.value.trim() || "rule.lua", source: src.value });
  const ready = () => {
    problem.hidden = true;
    src.removeAttribute("aria-invalid");
    if (!src.value.trim()) {
      problem.replaceChildren(h("p", "Paste or write the rule's Lua source first."));
      problem.hidden = false;
      src.focus();
      return false;
    }
    return true;
  };

  let lastImpact = null;
  preview.addEventListener("click", async () => {
    if (!ready()) return;
    result.replaceChildren(h("p.muted", "Checking the Lua, then every open case…"));
    try {
      lastImpact = await busy(preview, () => api.post("/rules/impact", body()));
    } catch (err) {
      result.replaceChildren();
      showProblem(err);
      return;
    }
    const names = [...new Set(list(lastImpact.changed).map(c => c.workflow))];
    const defs = Object.fromEntries(await Promise.all(names.map(async n => [n, await definition(n).catch(() => null)])));
    result.replaceChildren(h("p.msg.ok.lua-ok", "The Lua checks out: it compiles and is a rule."),
      h("h3", "What the change does to the rule"), changes(), ...impactView(lastImpact, defs));
  });
  deploy.addEventListener("click", async () => {
    if (!ready()) return;
    const changed = lastImpact ? list(lastImpact.changed).length : null;
    const ok = await confirm({
      title: "Deploy this rule?",
      body: [changed === null
        ? "You have not previewed this change. It applies at once to every open case that uses the rule."
        : changed === 0 ? "The preview found no open case whose moves would change."
        : `The preview found ${plural(changed, "open case")} whose moves would change.`,
        changes(),
        "A new version is kept; you can roll back to the one before."],
      okText: "Deploy",
    });
    if (!ok) return;
    try {
      const res = await busy(deploy, () => api.post("/rules", body()));
      later(`Rule ${words(res.name || "")} version ${res.version ?? ""} is now in force.`.replace(/\s+/g, " "));
      go("/rules");
    } catch (err) {
      showProblem(err);
    }
  });

  main.append(h("section", { "aria-labelledby": "rules-h" }, h("h2#rules-h", "Rules in force"),
    table("Rules in force", [
      { head: "Rule", cell: r => h("span", h("strong", words(r.name)), h("code.block.muted", r.name),
          r.description ? h("span.block", r.description) : null) },
      { head: "In force", cell: r => inForce(r) },
      { head: "Versions", cell: r => versions(r) },
      { head: "Actions", rowHeader: false, cell: r => h("div.row-actions",
          h("button", { type: "button", dataset: { rule: r.name }, on: { click: () => {
            pathIn.value = (r.in_force && r.in_force.path) || `rules/${r.name}.lua`;
            const text = sourceOf(r);
            src.value = text || src.value;
            lastImpact = null;
            result.replaceChildren();
            if (!text) {
              const where = r.in_force && r.in_force.path ? ` (its file is ${r.in_force.path})` : "";
              say(`Paste the Lua source of “${words(r.name)}” into the box${where}, then change it.`);
            }
            src.focus();
            editor.scrollIntoView({ block: "start" });
          } } }, "Edit", h("span.sr-only", ` ${words(r.name)}`)),
          canDeploy && canRollBack(r) ? h("button", { type: "button", on: { click: (e) => rollback(r, e.currentTarget) } },
            "Roll back", h("span.sr-only", ` ${words(r.name)}`)) : null) },
    ], rules, { captionHidden: true, empty: "No rules are in use." })));
  main.append(editor);
  if (query.edit) {
    const r = rules.find(x => x.name === query.edit);
    if (r) { pathIn.value = `rules/${r.name}.lua`; src.value = sourceOf(r); }
  }
}

function versions(r) {
  const vs = list(r.versions);
  if (!vs.length) return h("span.muted", "None deployed here");
  return h("details", h("summary", plural(vs.length, "version")),
    h("ol.plain", vs.slice().sort((a, b) => (b.version || 0) - (a.version || 0)).map(v => h("li",
      `Version ${v.version}`, v.deployed_at ? [", ", when(v.deployed_at)] : "",
      v.deployed_by ? ` by ${v.deployed_by}` : "", v.active === 0 ? " (rolled back)" : ""))));
}

async function rollback(r, btn) {
  const ok = await confirm({
    title: `Roll back ${words(r.name)}?`,
    body: ["The version before the one in force comes back into force, at once, for every open case."],
    okText: "Roll back",
  });
  if (!ok) return;
  try {
    const res = await busy(btn, () => api.post(`/rules/${encodeURIComponent(r.name)}/rollback`, {}));
    later(`${words(r.name)}: version ${res.rolled_back ?? ""} rolled back.`);
    go("/rules");
  } catch (err) {
    if (err.status !== 404) { warn(err.message); return; }
    // Someone else rolled it back meanwhile: say so in words, and show the rules as they are.
    later(`No deployed version of ${words(r.name)} is in force any more, so there is nothing to roll back.`, { problem: true });
    go("/rules");
  }
}

function verdict(x) {
  if (!x) return "—";
  if (x.ok) return h("span.ok", "met");
  return h("span", h("span.bad", "not met"), x.reason ? `: ${x.reason}` : "");
}

function impactView(res, defs) {
  const changed = list(res.changed);
  const out = [h("h3", "What this change would do")];
  out.push(h("p", { role: "status" }, `${plural(Number(res.evaluated || 0), "open case")} checked. `,
    changed.length ? h("strong", `${plural(changed.length, "case")} would change.`) : "No case would change.",
    res.reworded ? ` ${plural(Number(res.reworded), "case")} would see only different wording.` : ""));
  if (changed.length) {
    out.push(table("Cases whose result would change", [
      { head: "Case", cell: c => h("a.case-ref", { href: href(`/cases/${c.case}`) }, c.ref || `Case ${c.case}`) },
      { head: "Programme", cell: c => (defs[c.workflow] && (defs[c.workflow].definition || {}).title) || words(c.workflow) },
      { head: "Stage", cell: c => stateTitle(defs[c.workflow], c.state) },
      { head: "Moves affected", cell: c => {
          const d = defs[c.workflow] && defs[c.workflow].definition;
          const ts = list(c.transitions).map(n => ((d && list(d.transitions).find(t => t.name === n)) || {}).title || words(n));
          return ts.length ? ts.join(", ") : h("span.muted", "None from its stage now");
        } },
      { head: "Now", cell: c => verdict(c.before) },
      { head: "After the change", cell: c => verdict(c.after) },
    ], changed, { captionHidden: true }));
  }
  return out;
}
