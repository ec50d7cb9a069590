// view-programme.js: the programmes in use, and one programme: its stages and moves drawn
// as a diagram, with the number of cases in each stage, and the same in words; for admins,
// its versions and moving open cases between them (versions.js).

import * as api from "./api.js";
import { h, table, list, words, plural, duration, append } from "./dom.js";
import { page } from "./ui.js";
import { href } from "./nav.js";
import { draw } from "./diagram.js";
import { versionsSection } from "./versions.js";

export async function renderList(_p, _q, ctx) {
  const { main } = page(ctx, "Programmes");
  const workflows = list(await api.get("/workflows"));
  main.append(h("p.lede", "The programmes in use, each with its stages and the moves between them. Choose one to see its diagram."));
  const byName = Object.fromEntries(workflows.map(w => [w.name, w]));
  main.append(table("Programmes in use", [
    { head: "Programme", cell: w => h("a", { href: href(`/programmes/${w.name}`) }, w.title || words(w.name)) },
    { head: "Adapted from", cell: w => w.base_name
        ? h("a", { href: href(`/programmes/${w.base_name}`) }, (byName[w.base_name] || {}).title || words(w.base_name)) : "—" },
    { head: "Version", cell: w => String(w.version ?? "") },
    { head: "Open cases", cell: w => h("a", { href: href("/cases", { workflow: w.name, open: "1" }) }, String(w.open_cases ?? 0)) },
    { head: "All cases", cell: w => String(w.cases ?? 0) },
  ], workflows, { captionHidden: true, empty: "No programmes are in use yet." }));
}

export async function render([name], _q, ctx) {
  const wf = await api.get(`/workflows/${encodeURIComponent(name)}`);
  const def = wf.definition || wf;
  const counts = wf.counts || {};
  const states = list(def.states);
  const transitions = list(def.transitions);
  const { main } = page(ctx, def.title || words(name));
  main.classList.add("wide");
  const total = Object.values(counts).reduce((a, b) => a + Number(b || 0), 0);
  const openN = states.filter(st => !st.final).reduce((a, st) => a + Number(counts[st.name] || 0), 0);
  append(main, [
    def.description ? h("p.lede", def.description) : null,
    h("p.muted", `Version ${wf.version ?? "?"}`,
      wf.base_name ? [" · adapted from ", h("a", { href: href(`/programmes/${wf.base_name}`) }, words(wf.base_name)),
        wf.base_version ? ` version ${wf.base_version}` : ""] : "",
      ` · ${plural(openN, "open case")}, ${total} in all · `,
      h("a", { href: href("/cases", { workflow: name }) }, "see its cases"))]);

  const stTitle = (n) => (states.find(st => st.name === n) || {}).title || words(n);
  const fig = h("figure.diagram-wrap",
    h("div.diagram-scroll", { tabindex: "0", role: "region", "aria-label": "Diagram (scrolls sideways on small screens)" },
      draw(def, counts, { linkFor: (st) => href("/cases", { workflow: name, state: st }) })),
    h("figcaption.muted", "Each box is a stage, with the number of cases in it; choose a stage to see its cases. ",
      "Arrows are the moves between stages; dashed arrows happen by themselves after a time. ",
      "Stages with a double border are where a case finishes. The same is listed in words below."));
  main.append(h("section", { "aria-labelledby": "diagram-h" }, h("h2#diagram-h", "Stages and moves"), fig));

  main.append(h("section", { "aria-labelledby": "stages-h" }, h("h2#stages-h", "The stages"),
    h("ol.stage-list", states.map(st => h("li", { class: st.final ? "final" : "" },
      h("h3", st.title || words(st.name), st.final ? h("span.tag", "finish") : null,
        st.name === def.initial ? h("span.tag", "start") : null),
      st.description ? h("p", st.description) : null,
      h("p.muted",
        h("a", { href: href("/cases", { workflow: name, state: st.name }) }, plural(Number(counts[st.name] || 0), "case")),
        st.review ? ` · reviewed every ${duration(st.review)}` : "",
        list(st.forms).length ? ` · forms: ${list(st.forms).map(words).join(", ")}` : ""))))));

  const moveRows = transitions.map(t => t);
  main.append(h("section", { "aria-labelledby": "moves-h" }, h("h2#moves-h", "The moves"),
    table("Moves between stages", [
      { head: "Move", cell: t => h("span", h("strong", t.title || words(t.name)), t.description ? h("span.block.muted", t.description) : null) },
      { head: "From", cell: t => t.from === "*" ? "Any open stage" : [].concat(t.from).map(stTitle).join("; ") },
      { head: "To", cell: t => stTitle(t.to) },
      { head: "Who", cell: t => t.after ? `By itself after ${duration(t.after)}` : list(t.by).map(words).join(", ") || "—" },
      { head: "Needs", cell: t => {
          const needs = [...list(t.requires).map(f => `${words(f)} form`), ...list(t.when).map(w => /^function at /.test(w) ? "a check written in the programme" : words(w))];
          if (t.reason) needs.push("a reason");
          return needs.length ? h("ul.plain", needs.map(n => h("li", n))) : "—";
        } },
    ], moveRows, { captionHidden: true })));

  if (list(def.roles).length) {
    main.append(h("section", { "aria-labelledby": "roles-h" }, h("h2#roles-h", "Roles"),
      h("p", list(def.roles).map(words).join(", "))));
  }

  if (api.can("versions")) main.append(await versionsSection(name, ctx));
}
