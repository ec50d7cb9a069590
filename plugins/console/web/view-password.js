// view-password.js: choosing a new password: after an administrator reset it (nothing else
// opens until then), or whenever the person wants to.

import * as api from "./api.js";
import { h, field } from "./dom.js";
import { page, busy, later } from "./ui.js";
import { go } from "./nav.js";

export async function render(_p, _q, ctx) {
  const forced = api.mustChange();
  const { main } = page(ctx, forced ? "Choose a new password" : "Change your password");
  main.classList.add("narrow");
  const old = h("input", { type: "password", autocomplete: "current-password" });
  const pw = h("input", { type: "password", autocomplete: "new-password" });
  const pw2 = h("input", { type: "password", autocomplete: "new-password" });
  const problem = h("p.form-error", { hidden: true, tabindex: "-1" });
  const submit = h("button.primary", { type: "submit" }, "Save the new password");
  const form = h("form.panel", { novalidate: true },
    forced ? h("p.lede", api.isFamily()
      ? "Your worker gave you this password for your first sign-in. Choose your own to go on: only you will know it."
      : "An administrator has reset your password. Choose a new one to go on.") : null,
    problem,
    field(forced ? "The password you were given" : "Your current password", old),
    field("New password", pw, { help: "At least 12 characters; not your user name." }),
    field("New password again", pw2),
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
    for (const el of [old, pw, pw2]) el.removeAttribute("aria-invalid");
    if (!old.value) return bad(old, "Enter the password you have now.");
    if (!pw.value) return bad(pw, "Enter a new password.");
    if (pw.value !== pw2.value) return bad(pw2, "The two new passwords are not the same.");
    try {
      await busy(submit, () => api.changePassword(old.value, pw.value));
    } catch (err) {
      old.value = pw.value = pw2.value = "";
      bad(err.status === 401 ? old : pw, err.status === 401 ? "That is not your current password." : err.message);
      return;
    }
    later("Your new password is saved.");
    go(api.home());
  });
  main.append(form);
  old.focus();
}
