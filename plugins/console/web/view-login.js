// view-login.js: signing in.

import * as api from "./api.js";
import { h, field } from "./dom.js";
import { page, say, warn, busy } from "./ui.js";

export async function render(_params, query, ctx) {
  const { main } = page(ctx, "Sign in to kinflow");
  main.classList.add("narrow");
  const login = h("input", { type: "text", name: "login", autocomplete: "username", required: true,
                             autocapitalize: "none", spellcheck: "false" });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password",
                                required: true });
  const problem = h("p.form-error", { id: "login-problem", hidden: true });
  const submit = h("button.primary", { type: "submit" }, "Sign in");
  const form = h("form.panel.login", { novalidate: true, "aria-describedby": "login-problem" },
    h("p.lede", "The console for the family partnership programmes: cases, forms, stages and reviews."),
    problem,
    field("User name", login),
    field("Password", password),
    h("div.buttons", submit));
  main.append(form);
  if (query.bye) say("You have signed out.");
  else if (query.ended) warn("Your session has ended. Please sign in again.");

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    problem.hidden = true;
    for (const el of [login, password]) el.removeAttribute("aria-invalid");
    if (!login.value.trim() || !password.value) {
      const missing = !login.value.trim() ? login : password;
      problem.textContent = !login.value.trim() ? "Enter your user name." : "Enter your password.";
      problem.hidden = false;
      missing.setAttribute("aria-invalid", "true");
      missing.focus();
      return;
    }
    try {
      await busy(submit, () => api.signIn(login.value.trim(), password.value));
    } catch (err) {
      password.value = "";
      problem.textContent = err.status === 401
        ? "That user name and password do not match. Check them and try again."
        : err.message;
      problem.hidden = false;
      password.focus();
      return;
    }
    const next = query.next && query.next.startsWith("/") && !query.next.startsWith("/login")
      ? query.next : api.home();
    location.hash = "#" + next;
  });
  login.focus();
}
