// allocate.js: who a case is allocated to and who is in it, in words, and the dialog that allocates it to a
// worker with a reason (POST /api/cases/ID/allocation). The engine decides who may
// allocate what; this only asks and says what it answered.

import * as api from "./api.js";
import { h, field, list, uid } from "./dom.js";
import { confirm, warn, later } from "./ui.js";
import { caseName } from "./view-dashboard.js";

// The teams the page may know of ([{name, members}]); none when the server will not say.
export async function loadTeams() {
  try {
    return list(await api.get("/teams"));
  } catch {
    return [];
  }
}

// The teams `login` belongs to.
export function teamsOf(teams, login) {
  return teams.filter(t => list(t.members).includes(login));
}

// "sam (team north)", "Not allocated"
export function allocatedText(c) {
  if (!c.allocated_to) return "Not allocated";
  return c.team ? `${c.allocated_to} (team ${c.team})` : c.allocated_to;
}

export function allocatedCell(c) {
  return c.allocated_to ? allocatedText(c) : h("span.badge.queue", "Not allocated");
}

// The child's and parents' names a full case row carries (a summary carries none).
export function peopleText(c) {
  const p = list(c.people);
  return p.length ? p.map(x => x.name).filter(Boolean).join(", ") : "";
}

// The workers a case may go to: each team's members (with the team), then `me`.
function choices(teams, me) {
  const out = [];
  const seen = new Set();
  for (const t of teams) {
    for (const m of list(t.members)) {
      out.push({ value: `${m}\u0000${t.name}`, text: `${m} (team ${t.name})`, to: m, team: t.name });
      seen.add(m);
    }
  }
  if (me && !seen.has(me)) out.push({ value: `${me}\u0000`, text: `${me} (you)`, to: me, team: null });
  return out;
}

// Ask for the worker and the reason, then allocate. Resolves to the case as allocated, or
// null when cancelled or refused (the refusal is shown).
export async function allocate(c, teams, { title, okText = "Allocate the case", preferTeam } = {}) {
  const me = (api.current() || {}).login;
  const opts = choices(teams, me);
  const sel = h("select", { id: uid("to") }, opts.map(o => h("option", { value: o.value }, o.text)));
  const current = opts.find(o => o.to === c.allocated_to && o.team === (c.team || null))
    || opts.find(o => o.to !== c.allocated_to && o.team === (preferTeam || c.team))
    || opts.find(o => o.to !== c.allocated_to);
  if (current) sel.value = current.value;
  const now = c.allocated_to ? `It is allocated to ${allocatedText(c)} now.` : "It is not allocated to anyone yet.";
  const ok = await confirm({
    title: title || `Allocate ${caseName(c)}`,
    body: [now, field("Allocate to", sel, { help: "The worker who will be responsible for the case." })],
    reason: true,
    reasonHelp: "Say why the case is going to this worker. It is kept on the case's record.",
    okText,
  });
  if (!ok) return null;
  const pick = opts.find(o => o.value === sel.value);
  if (!pick) return null;
  const body = { to: pick.to, reason: ok.reason };
  if (pick.team) body.team = pick.team;
  try {
    const res = await api.post(`/cases/${c.id}/allocation`, body);
    later(`${caseName(c)} is now allocated to ${pick.to}.`);
    return res || {};
  } catch (err) {
    warn(err.message);
    return null;
  }
}
