// view-users.js: the people who can sign in and the teams they belong to: adding an
// account, adding a team, and changing a person's teams (administrators only).

import * as api from "./api.js";
import { h, field, table, list, words, timeEl, uid } from "./dom.js";
import { page, busy, later, confirm, warn } from "./ui.js";
import { go } from "./nav.js";

const ROLES = [
  ["caseworker", "Caseworker: opens cases, fills in forms, moves cases on"],
  ["supervisor", "Supervisor: as a caseworker, and approves restorations and closures"],
  ["viewer", "Viewer: can read cases, cannot change them"],
  ["analyst", "Analyst: changes rules and reads reports"],
  ["admin", "Administrator: everything, including who can sign in"],
];

export async function render(_p, _q, ctx) {
  const { main } = page(ctx, "People who sign in");
  if (!api.can("users")) {
    main.append(h("p", "Only an administrator can see and add the people who sign in."));
    return;
  }
  const [users, workflows, teams] = await Promise.all([api.get("/users").then(list),
    api.get("/workflows").then(list), api.get("/teams").then(list)]);
  const teamNames = teams.map(t => t.name);
  const defs = await Promise.all(workflows.map(w => api.get(`/workflows/${encodeURIComponent(w.name)}`).catch(() => null)));
  const caseRoles = [...new Set(defs.filter(Boolean).flatMap(d => list((d.definition || d).roles)))].sort();
  main.append(h("section", { "aria-labelledby": "list-h" }, h("h2#list-h", "Accounts"),
    table("Accounts", [
      { head: "User name", cell: u => u.login },
      { head: "Role", cell: u => words(u.role) },
      { head: "Roles on cases", cell: u => list(u.roles).length ? list(u.roles).map(r => r.split(":").map(words).join(": ")).join(", ")
          : (u.role === "admin" || u.role === "supervisor" ? "Any" : u.role === "caseworker" ? "Caseworker" : "—") },
      { head: "Teams", cell: u => h("span", list(u.teams).length ? list(u.teams).join(", ") : h("span.muted", "None"), " ",
          teamNames.length ? h("button.link", { type: "button", dataset: { login: u.login },
            on: { click: () => changeTeams(u, teamNames) } },
            "Change ", h("span.visually-hidden", `${u.login}'s `), "teams") : null) },
      { head: "Added", cell: u => timeEl(u.created_at, false) },
      { head: "Last signed in", cell: u => (u.last_login ? timeEl(u.last_login) : h("span.muted", "Never")) },
    ], users, { captionHidden: true, empty: "No accounts yet." })));
  main.append(teamsSection(teams));

  const login = h("input", { type: "text", autocomplete: "off", autocapitalize: "none", spellcheck: "false" });
  const role = h("select", h("option", { value: "" }, "Choose a role"),
    ROLES.map(([r, d]) => h("option", { value: r }, d)));
  const roleBoxes = caseRoles.map(r => {
    const b = h("input", { type: "checkbox", value: r, id: uid("cr") });
    return [b, h("div.check", b, h("label", { for: b.id }, words(r)))];
  });
  const teamBoxes = teamNames.map(t => {
    const b = h("input", { type: "checkbox", value: t, id: uid("tm") });
    return [b, h("div.check", b, h("label", { for: b.id }, t))];
  });
  const pw = h("input", { type: "password", autocomplete: "new-password" });
  const pw2 = h("input", { type: "password", autocomplete: "new-password" });
  const problem = h("p.form-error", { hidden: true, tabindex: "-1" });
  const submit = h("button.primary", { type: "submit" }, "Add this account");
  const form = h("form.panel", { novalidate: true }, h("h2", "Add an account"), problem,
    field("User name", login, { help: "Lower-case letters, numbers, and . _ - @ ; for example sam.lee." }),
    field("Role", role),
    roleBoxes.length ? h("fieldset.checks", h("legend", "Roles on cases"),
      h("p.help", "The roles this person holds when they move a case on, in every programme. ",
        "Leave them all clear for a caseworker who acts only as caseworker. Administrators and supervisors may act in any role."),
      h("div.check-grid", roleBoxes.map(b => b[1]))) : null,
    teamBoxes.length ? h("fieldset.checks", h("legend", "Teams"),
      h("p.help", "The teams this person works in. They see their teams' cases in full."),
      h("div.check-grid", teamBoxes.map(b => b[1]))) : null,
    field("Password", pw, { help: "At least 12 characters. Give it to the person in a safe way; they should not share it." }),
    field("Password again", pw2),
    h("div.buttons", submit));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const bad = (el, msg) => {
      problem.textContent = msg;
      problem.hidden = false;
      el.setAttribute("aria-invalid", "true");
      el.focus();
    };
    problem.hidden = true;
    for (const el of [login, role, pw, pw2]) el.removeAttribute("aria-invalid");
    if (!login.value.trim()) return bad(login, "Enter a user name.");
    if (!role.value) return bad(role, "Choose a role.");
    if (pw.value.length < 12) return bad(pw, "The password needs at least 12 characters.");
    if (pw.value !== pw2.value) return bad(pw2, "The two passwords are not the same.");
    try {
      const body = { login: login.value.trim(), role: role.value, password: pw.value };
      const chosen = roleBoxes.filter(b => b[0].checked).map(b => b[0].value);
      if (chosen.length) body.roles = chosen;
      const inTeams = teamBoxes.filter(b => b[0].checked).map(b => b[0].value);
      if (inTeams.length) body.teams = inTeams;
      await busy(submit, () => api.post("/users", body));
    } catch (err) {
      pw.value = pw2.value = "";
      bad(err.status === 409 ? login : submit, err.status === 409 ? "There is already an account with that user name." : err.message);
      return;
    }
    later(`Account ${login.value.trim()} added.`);
    go("/users");
  });
  main.append(form);
}

// The teams, each with its members, and adding one.
function teamsSection(teams) {
  const name = h("input", { type: "text", autocomplete: "off", autocapitalize: "none", spellcheck: "false" });
  const problem = h("p.form-error", { hidden: true, tabindex: "-1" });
  const submit = h("button", { type: "submit" }, "Add this team");
  const form = h("form.add-team", { novalidate: true }, problem,
    field("Team name", name, { help: "Lower-case letters, numbers, _ and -; for example north or intake-west." }),
    h("div.buttons", submit));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    problem.hidden = true;
    name.removeAttribute("aria-invalid");
    const n = name.value.trim();
    const bad = (msg) => {
      problem.textContent = msg;
      problem.hidden = false;
      name.setAttribute("aria-invalid", "true");
      name.focus();
    };
    if (!n) return bad("Enter the team's name.");
    try {
      await busy(submit, () => api.post("/teams", { name: n }));
    } catch (err) {
      bad(err.status === 409 ? "There is already a team with that name." : err.message);
      return;
    }
    later(`Team ${n} added.`);
    go("/users");
  });
  return h("section.panel.teams", { "aria-labelledby": "teams-h" }, h("h2#teams-h", "Teams"),
    h("p.muted", "A case allocated to a worker belongs to their team; everyone in the team sees it in full."),
    table("Teams", [
      { head: "Team", cell: t => t.name },
      { head: "Members", cell: t => list(t.members).length ? list(t.members).join(", ") : h("span.muted", "No one yet") },
    ], teams, { captionHidden: true, empty: "No teams yet." }),
    h("h3", "Add a team"), form);
}

// A dialog of the teams, ticked for those the person is in; saving replaces the list.
async function changeTeams(u, teamNames) {
  const have = new Set(list(u.teams));
  const boxes = teamNames.map(t => {
    const b = h("input", { type: "checkbox", value: t, id: uid("ct"), checked: have.has(t) });
    return [b, h("div.check", b, h("label", { for: b.id }, t))];
  });
  const ok = await confirm({
    title: `${u.login}'s teams`,
    body: [h("fieldset.checks", h("legend", "Teams"), h("div.check-grid", boxes.map(b => b[1])))],
    okText: "Save the teams",
  });
  if (!ok) return;
  const chosen = boxes.filter(b => b[0].checked).map(b => b[0].value);
  try {
    await api.put(`/users/${encodeURIComponent(u.login)}/teams`, { teams: chosen });
  } catch (err) {
    warn(err.message);
    return;
  }
  later(`${u.login} is now in ${chosen.length ? "team " + chosen.join(", team ") : "no team"}.`);
  go("/users");
}
