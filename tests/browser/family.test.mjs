// tests/browser/family.test.mjs: families take part, in headless Chromium driven by Playwright.
// A worker records a consent, a shared decision and invites the parent from the case page;
// the parent signs in on a phone (375x812) with the one-time password, chooses their own,
// and uses the family page: writes in the communication book, signs the plan, withdraws
// their consent; the worker then sees the flag and clears it. Every page it takes a picture
// of is checked with axe-core, for labels and for junk text; the phone page must not scroll
// sideways and its buttons must be big enough to touch.
// Started by tests/browser/run.sh after console.test.mjs, with:
//   KF_URL KF_LOGIN KF_PASSWORD KF_FAMILY_CASE KF_OUT KF_CHROMIUM KF_PROFILE
// Prints "ok   NAME" or "FAIL NAME: why" for each step, then "N passed, N failed".

import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const env = (k) => {
  const v = process.env[k];
  if (!v) { console.log(`FAIL setup: ${k} is not set`); console.log("0 passed, 1 failed"); process.exit(1); }
  return v;
};
const URL = env("KF_URL").replace(/\/$/, "");
const LOGIN = env("KF_LOGIN"), PASSWORD = env("KF_PASSWORD");
const CASE = env("KF_FAMILY_CASE"), OUT = env("KF_OUT");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
mkdirSync(OUT, { recursive: true });
const PARENT = "Robin Example";
const NEW_PASSWORD = "Robin chooses a long one 2026";

let passed = 0, failed = 0;
const problems = [];
const results = new Map();
let current = null;

async function step(name, fn, needs = []) {
  const missing = needs.filter(n => results.get(n) !== true);
  if (missing.length) {
    failed++;
    results.set(name, false);
    console.log(`FAIL ${name}: not run ("${missing[0]}" did not pass)`);
    return false;
  }
  try {
    await fn();
    passed++;
    results.set(name, true);
    console.log(`ok   ${name}`);
    return true;
  } catch (err) {
    failed++;
    results.set(name, false);
    console.log(`FAIL ${name}: ${String(err && err.message || err).split("\n")[0]}`);
    if (current) {
      const file = `browser-family-failed-${failed}.png`;
      await current.screenshot({ path: join(OUT, file), fullPage: true }).catch(() => {});
      console.log(`     (screenshot of the page then: tests/out/${file})`);
    }
    return false;
  }
}
function expect(cond, msg) { if (!cond) throw new Error(msg); }

async function checked(page, name) {
  await page.locator("main:not([aria-busy])").waitFor();
  const text = await page.locator("main").innerText();
  const m = /\b(null|undefined|NaN)\b|\[object Object\]/.exec(text);
  expect(!m, `the page shows "${m && m[0]}" near: ${m && text.slice(Math.max(0, m.index - 40), m.index + 20).replace(/\s+/g, " ")}`);
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll("input, select, textarea, button")]
    .filter(el => !el.closest("[hidden]") && el.type !== "hidden")
    .filter(el => !((el.labels && el.labels.length) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") ||
                    (el.tagName === "BUTTON" && el.textContent.trim())))
    .map(el => el.outerHTML.slice(0, 80)));
  expect(!unlabelled.length, `controls without a label: ${unlabelled.join(" | ")}`);
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map(v => `${v.id} (${v.nodes.length}: ${v.nodes.slice(0, 2).map(n => n.target.join(" ")).join(", ")})`);
  });
  expect(!found.length, `axe finds: ${found.join("; ")}`);
  await page.screenshot({ path: join(OUT, `browser-family-${name}.png`), fullPage: true });
}

// On the phone: nothing scrolls sideways, and every visible button is at least 44px high.
async function phoneFit(page) {
  const m = await page.evaluate(() => ({
    over: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    small: [...document.querySelectorAll("main button, #top button, #top a")]
      .filter(b => b.offsetParent !== null && !b.classList.contains("link") && !b.classList.contains("dismiss"))
      .filter(b => b.getBoundingClientRect().height < 44).map(b => b.textContent.trim().slice(0, 30)),
  }));
  expect(m.over <= 1, `the page scrolls sideways by ${m.over}px`);
  expect(!m.small.length, `buttons smaller than 44px: ${m.small.join(", ")}`);
}

const context = await chromium.launchPersistentContext(process.env.KF_PROFILE || "", {
  executablePath: process.env.KF_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 800 },
  timeout: 30000,
});
const exitCode = await (async () => {
  try {
    return await run();
  } catch (err) {
    console.log(`FAIL the family browser test stopped: ${String(err && err.message || err).split("\n")[0]}`);
    console.log(`${passed} passed, ${failed + 1} failed`);
    return 1;
  } finally {
    await context.close().catch(() => {});
  }
})();
process.exit(exitCode);

async function run() {
  context.setDefaultTimeout(8000);
  const page = context.pages()[0] || await context.newPage();
  current = page;
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    const t = m.text();
    if (/Content Security Policy|Refused to (execute|apply|load)/i.test(t)) problems.push(`CSP: ${t}`);
    else if (m.type() === "error" && (!/^Failed to load resource/.test(t) || /status of 5\d\d/.test(t))) problems.push(`console: ${t}`);
  });
  const signIn = async (login, password) => {
    await page.getByRole("heading", { name: "Sign in to kinflow" }).waitFor();
    await page.getByLabel("User name").fill(login);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
  };
  const signOut = async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to kinflow" }).waitFor();
  };
  const casePage = async () => {
    await page.goto(`${URL}/#/cases/${CASE}`);
    await page.locator("#current-stage").waitFor();
    await page.locator("main:not([aria-busy])").waitFor();
  };
  let invitation = null;

  await step("the worker's case page has the family's sections: consents, shared decisions, invitation", async () => {
    await page.goto(URL + "/");
    await signIn(LOGIN, PASSWORD);
    await page.getByRole("heading", { level: 1, name: "My cases" }).waitFor();
    await casePage();
    for (const name of ["Consents", "Shared decisions", "Invite a family member"]) {
      await page.getByRole("heading", { level: 2, name }).waitFor();
    }
    await checked(page, "01-case-sections");
  });

  await step("the worker records the parent's consent to share", async () => {
    const sec = page.locator("section.consents-panel");
    await sec.getByText("Record a consent").click();
    await sec.getByLabel("Who gave it").selectOption({ label: `${PARENT} (parent)` });
    await sec.getByLabel("What for").fill("share_with_partners");
    await sec.getByRole("button", { name: "Record the consent" }).click();
    await page.locator("#messages").getByText("Consent recorded.").waitFor();
    await page.locator("section.consents-panel li.consent[data-purpose=share_with_partners]").waitFor();
    await page.getByRole("button", { name: `Withdraw for ${PARENT}` }).waitFor();
  }, ["the worker's case page has the family's sections: consents, shared decisions, invitation"]);

  await step("the worker records a shared decision: who took part, their views, the family agreed", async () => {
    const sec = page.locator("section.decisions-panel");
    await sec.getByText("Record a shared decision").click();
    await sec.getByLabel("What was decided").fill("Weekend stays at home start in June");
    await sec.getByLabel(`${PARENT} (parent)`).check();
    await sec.getByLabel(`${PARENT}'s view`).fill("Yes, we are ready");
    await sec.getByLabel("Did the family agree?").selectOption("yes");
    await checked(page, "02-decision-form");
    await sec.getByRole("button", { name: "Record the decision" }).click();
    await page.locator("#messages").getByText("Shared decision recorded.").waitFor();
    await page.locator("section.decisions-panel li.decision").getByText("Weekend stays at home start in June").waitFor();
  }, ["the worker's case page has the family's sections: consents, shared decisions, invitation"]);

  await step("the worker invites the parent: the login and one-time password are shown once", async () => {
    const sec = page.locator("section.invite-panel");
    await sec.getByLabel("Who").selectOption({ label: `${PARENT} (parent)` });
    await sec.getByRole("button", { name: "Make their sign-in" }).click();
    await sec.locator(".invitation").waitFor();
    invitation = { login: (await sec.locator(".invite-login").innerText()).trim(),
                   password: (await sec.locator(".invite-password").innerText()).trim() };
    expect(invitation.login && invitation.password, "no login or password shown");
    await checked(page, "03-invitation");
    await signOut();
  }, ["the worker's case page has the family's sections: consents, shared decisions, invitation"]);

  const PHONE = "on a phone, the parent signs in, chooses a password and lands on the family page";
  await step(PHONE, async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await signIn(invitation.login, invitation.password);
    await page.getByRole("heading", { level: 1, name: /password/i }).waitFor();
    await page.getByLabel("The password you were given").fill(invitation.password);
    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("New password again").fill(NEW_PASSWORD);
    await phoneFit(page);
    await page.getByRole("button", { name: "Save the new password" }).click();
    await page.getByRole("heading", { level: 1, name: `Hello, ${PARENT}` }).waitFor();
    expect((await page.locator("nav.staff").isHidden()), "the staff menu shows for a family account");
    await page.getByRole("heading", { level: 2, name: "Where things are now" }).waitFor();
    await page.getByRole("heading", { level: 2, name: "Coming up" }).waitFor();
    await phoneFit(page);
    await checked(page, "04-phone-family-page");
  }, ["the worker invites the parent: the login and one-time password are shown once"]);

  await step("a staff address sends the family account back to its own page", async () => {
    await page.goto(`${URL}/#/cases/${CASE}`);
    await page.getByRole("heading", { level: 1, name: `Hello, ${PARENT}` }).waitFor();
    expect(/#\/family$/.test(page.url()), `the address is ${page.url()}`);
  }, [PHONE]);

  await step("on a phone, the parent writes in the communication book", async () => {
    const box = page.locator(".fam-form[data-form=communication_book]");
    /* the step before sent a staff address back to this page: it draws itself again once
     * its reads are done, which would empty a box filled before then */
    await page.waitForLoadState("networkidle");
    const say = box.getByLabel(/What you want to say/);
    await say.fill("Ava slept well and asked about Saturday.");
    expect((await say.inputValue()) === "Ava slept well and asked about Saturday.",
      "the text stayed in the box until Send");
    await box.getByRole("button", { name: "Send" }).click();
    await page.locator("#messages").getByText("Sent: Communication book.").waitFor();
    await page.locator(".fam-entries[data-form=communication_book]").getByText("Ava slept well and asked about Saturday.").waitFor();
    await page.locator(".fam-said").getByText("Ava slept well and asked about Saturday.").waitFor();
    await phoneFit(page);
    await checked(page, "05-phone-book");
  }, [PHONE]);

  await step("on a phone, the parent sees the shared decision with their view", async () => {
    await page.locator(".fam-decisions").getByText("Weekend stays at home start in June").waitFor();
    await page.locator(".fam-decisions").getByText("Yes, we are ready", { exact: false }).waitFor();
  }, [PHONE]);

  await step("on a phone, the parent signs the plan after confirming", async () => {
    await page.getByRole("button", { name: "Sign the plan" }).click();
    const dlg = page.locator("dialog#confirm");
    await dlg.waitFor();
    await phoneFit(page);
    await dlg.getByRole("button", { name: "Yes, I agree" }).click();
    await page.locator("#messages").getByText("Done: Sign the plan.").waitFor();
    await page.locator("#fam-stage").filter({ hasText: "Stage 2: Working on the plan" }).waitFor();
    await checked(page, "06-phone-signed");
  }, [PHONE]);

  await step("on a phone, the parent withdraws their consent after confirming", async () => {
    await page.getByRole("button", { name: "Withdraw this consent" }).click();
    const dlg = page.locator("dialog#confirm");
    await dlg.waitFor();
    await dlg.getByLabel(/Why/).fill("I want to talk about it first");
    await dlg.getByRole("button", { name: "Yes, withdraw it" }).click();
    await page.locator("#messages").getByText("Your consent is withdrawn.", { exact: false }).waitFor();
    await page.locator(".fam-consent").getByText("Withdrawn").waitFor();
    expect(await page.getByRole("button", { name: "Withdraw this consent" }).count() === 0, "the Withdraw button is still there");
    await phoneFit(page);
    await checked(page, "07-phone-withdrawn");
    await page.setViewportSize({ width: 1280, height: 800 });
    await signOut();
  }, [PHONE]);

  await step("the worker sees the flag for the withdrawn consent and clears it", async () => {
    await signIn(LOGIN, PASSWORD);
    await page.getByRole("heading", { level: 1, name: "My cases" }).waitFor();
    await casePage();
    const flags = page.locator("section.flags-panel");
    await flags.getByText("Consent withdrawn:").waitFor();
    await page.locator("section.consents-panel").getByText("Withdrawn").waitFor();
    await checked(page, "08-case-flag");
    await flags.getByRole("button", { name: "Clear" }).click();
    await page.locator("dialog#confirm").getByRole("button", { name: "Clear the flag" }).click();
    await page.locator("#messages").getByText("Flag cleared.").waitFor();
    expect(await page.locator("section.flags-panel").count() === 0, "the flag is still shown");
  }, ["on a phone, the parent withdraws their consent after confirming"]);

  await step("no script errors and no CSP refusals", async () => {
    expect(!problems.length, problems.join(" | "));
  });

  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}
