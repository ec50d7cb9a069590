// view-users.js: the people who can sign in and the teams they belong to: adding an
// account, adding a team, changing a person's role, roles on cases and teams, and disabling
// an account (its sessions end at once) or enabling it again (administrators only).

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
      { head: "Account", cell: u => h("span", u.disabled ? h("strong.bad", "Disabled")
          : u.must_change ? "Must choose a new password" : "Can sign in", " ",
          h("span.row-actions",
            h("button.link", { type: "button", dataset: { login: u.login }, on: { click: () => changeAccount(u, caseRoles) } },
              "Change ", h("span.visually-hidden", `${u.login}'s `), "role"),
            u.login === (api.current() || {}).login ? null
              : h("button.link", { type: "button", on: { click: (e) => setDisabled(u, !u.disabled, e.currentTarget) } },
                u.disabled ? "Enable" : "Disable", h("span.visually-hidden", ` ${u.login}'s account`)),
            u.login === (api.current() || {}).login ? null
              : h("button.link", { type: "button", on: { click: () => resetPassword(u) } },
                "Reset ", h("span.visually-hidden", `${u.login}'s `), "password"))) },
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

// A dialog of the person's console role and their roles on cases; saving changes both.
async function changeAccount(u, caseRoles) {
  const roleSel = h("select", ROLES.map(([r, text]) => h("option", { value: r, selected: r === u.role }, text)));
  const have = new Set(list(u.roles));
  const all = [...new Set([...caseRoles, ...have])].sort();
  const boxes = all.map(r => {
    const b = h("input", { type: "checkbox", value: r, id: uid("cr"), checked: have.has(r) });
    return [b, h("div.check", b, h("label", { for: b.id }, r.split(":").map(words).join(": ")))];
  });
  const ok = await confirm({
    title: `${u.login}'s role`,
    body: [field("Role", roleSel),
      all.length ? h("fieldset.checks", h("legend", "Roles on cases (none ticked: a caseworker's)"),
        h("div.check-grid", boxes.map(b => b[1]))) : null],
    okText: "Save the role",
  });
  if (!ok) return;
  const roles = boxes.filter(b => b[0].checked).map(b => b[0].value);
  try {
    await api.patch(`/users/${encodeURIComponent(u.login)}`, { role: roleSel.value, roles });
  } catch (err) {
    warn(err.message);
    return;
  }
  later(`${u.login} is now ${words(roleSel.value).toLowerCase()}${roles.length ? ` (on cases: ${roles.join(", ")})` : ""}.`);
  go("/users");
}

// Disable an account (it cannot sign in, and its sessions end at once) or enable it again.
async function setDisabled(u, disabled, btn) {
  const ok = await confirm({
    title: disabled ? `Disable ${u.login}?` : `Enable ${u.login}?`,
    body: disabled
      ? [`${u.login} is signed out at once, everywhere, and cannot sign in until the account is enabled again.`,
         "Their cases stay allocated to them: reallocate them from the team caseload."]
      : [`${u.login} can sign in again with their password.`],
    okText: disabled ? "Disable the account" : "Enable the account",
  });
  if (!ok) return;
  try {
    await busy(btn, () => api.patch(`/users/${encodeURIComponent(u.login)}`, { disabled }));
  } catch (err) {
    warn(err.message);
    return;
  }
  later(disabled ? `${u.login}'s account is disabled; their sessions have ended.` : `${u.login}'s account is enabled again.`);
  go("/users");
}

// A password the person must change when they next sign in; their sessions end now.
async function resetPassword(u) {
  const pw = h("input", { type: "password", autocomplete: "new-password" });
  const ok = await confirm({
    title: `Reset ${u.login}'s password`,
    body: ["They are signed out now, and must choose their own password when they next sign in. Give them this one in a safe way.",
      field("New password", pw, { help: "At least 10 characters; not their user name." })],
    okText: "Reset the password",
  });
  if (!ok) return;
  try {
    await api.post(`/users/${encodeURIComponent(u.login)}/password`, { password: pw.value });
  } catch (err) {
    warn(err.message);
    return;
  }
  later(`${u.login}'s password is reset; they will choose a new one when they sign in.`);
  go("/users");
}
