// tests/browser/console.test.mjs: the console in headless Chromium, driven by Playwright, as a
// caseworker, an administrator, a supervisor and a worker of another team would use it.
// Every page it takes a picture of is checked with axe-core as well.
// Started by tests/browser/run.sh, which gives the server's address, the accounts, the case
// and where screenshots go:
//   KF_URL KF_LOGIN KF_PASSWORD KF_ADMIN KF_ADMIN_PASSWORD KF_SUPER KF_SUPER_PASSWORD
//   KF_OTHER KF_OTHER_PASSWORD KF_CASE KF_OUT KF_CHROMIUM KF_PROFILE
//   KF_IDLE_URL (a server whose sessions end after 125 s unused) KF_BIN (the kinflow binary)
// Prints "ok   NAME" or "FAIL NAME: why" for each step, then "N passed, N failed".

import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const env = (k) => {
  const v = process.env[k];
  if (!v) { console.log(`FAIL setup: ${k} is not set`); console.log("0 passed, 1 failed"); process.exit(1); }
  return v;
};
const URL = env("KF_URL").replace(/\/$/, "");
const LOGIN = env("KF_LOGIN"), PASSWORD = env("KF_PASSWORD");
const ADMIN = env("KF_ADMIN"), ADMIN_PASSWORD = env("KF_ADMIN_PASSWORD");
const SUPER = env("KF_SUPER"), SUPER_PASSWORD = env("KF_SUPER_PASSWORD");
const OTHER = env("KF_OTHER"), OTHER_PASSWORD = env("KF_OTHER_PASSWORD");
const CASE = env("KF_CASE"), OUT = env("KF_OUT");
const IDLE_URL = env("KF_IDLE_URL").replace(/\/$/, ""), BIN = env("KF_BIN");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
mkdirSync(OUT, { recursive: true });

let passed = 0, failed = 0;
const problems = [];   // errors the page itself reported
const results = new Map();   // step name -> true (passed) or false
let current = null;          // the page, for a screenshot when a step fails

// step(NAME, fn, needs): runs fn unless a step it needs (by name) did not pass.
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
      const file = `browser-failed-${failed}.png`;
      await current.screenshot({ path: join(OUT, file), fullPage: true }).catch(() => {});
      console.log(`     (screenshot of the page then: tests/out/${file})`);
    }
    return false;
  }
}
function expect(cond, msg) { if (!cond) throw new Error(msg); }
// Text that means the page drew a value it did not have.
async function noJunk(page) {
  const text = await page.locator("main").innerText();
  const m = /\b(null|undefined|NaN)\b|\[object Object\]/.exec(text);
  expect(!m, `the page shows "${m && m[0]}" near: ${m && text.slice(Math.max(0, m.index - 40), m.index + 20).replace(/\s+/g, " ")}`);
}

// Every control on the page has a label (or a name given another way), and every button
// has words in it.
async function labelled(page) {
  const bad = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll("input, select, textarea, button")) {
      if (el.closest("[hidden]") || el.type === "hidden") continue;
      const named = (el.labels && el.labels.length) || el.getAttribute("aria-label") ||
        el.getAttribute("aria-labelledby") || (el.tagName === "BUTTON" && el.textContent.trim());
      if (!named) out.push(el.outerHTML.slice(0, 80));
    }
    return out;
  });
  expect(!bad.length, `controls without a label: ${bad.join(" | ")}`);
}

// axe-core's checks (WCAG 2.1 A and AA, and its best practices) find nothing on the page as it
// is now. axe is put in the page through the browser's debugging protocol, which the page's
// Content Security Policy does not govern.
async function axeClean(page) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map(v => `${v.id} (${v.nodes.length} node${v.nodes.length === 1 ? "" : "s"}: ${v.nodes.slice(0, 2).map(n => n.target.join(" ")).join(", ")})`);
  });
  expect(!found.length, `axe finds: ${found.join("; ")}`);
}

async function shot(page, name) {
  await page.locator("main:not([aria-busy])").waitFor();
  await noJunk(page);
  await labelled(page);
  await axeClean(page);
  await page.screenshot({ path: join(OUT, `browser-${name}.png`), fullPage: true });
}

// A fresh profile folder of our own (run.sh makes it and removes it afterwards).
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
    console.log(`FAIL the browser test stopped: ${String(err && err.message || err).split("\n")[0]}`);
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
    // Refusals the page handles (401 before signing in, 400 for a form's bad answers, 409 for a refused move)
    // show as failed loads; a server error (5xx) does not belong in this test.
    else if (m.type() === "error" && (!/^Failed to load resource/.test(t) || /status of 5\d\d/.test(t))) problems.push(`console: ${t}`);
  });
  const main = page.locator("main");
  const heading = () => page.locator("main h1");
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

  await step("the console page loads with its security headers", async () => {
    const res = await page.goto(URL + "/");
    expect(res && res.ok(), `GET / answered ${res && res.status()}`);
    const csp = res.headers()["content-security-policy"] || "";
    expect(/script-src 'self'/.test(csp), `no script-src 'self' in the CSP (${csp})`);
    await page.getByRole("heading", { name: "Sign in to kinflow" }).waitFor();
    await shot(page, "01-sign-in");
  });

  await step("a wrong password is refused with a plain message", async () => {
    await page.getByLabel("User name").fill(LOGIN);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#login-problem").filter({ hasText: "do not match" }).waitFor();
  }, ["the console page loads with its security headers"]);

  await step("My cases: a caseworker lands on their own cases, with stage, people and next review", async () => {
    await signIn(LOGIN, PASSWORD);
    await page.getByRole("heading", { level: 1, name: "My cases" }).waitFor();
    const row = main.locator("tr", { hasText: "CP-BROWSER" });
    await row.waitFor();
    await row.getByText("Referral and matching").waitFor();
    await row.getByText("Ava Example", { exact: false }).waitFor();
    expect(!(await main.getByRole("link", { name: "CP-NIA" }).count()), "another worker's case is in My cases");
    expect(!(await main.getByRole("link", { name: "PR-BROWSER" }).count()), "an unallocated case is in My cases");
    const heads = await main.locator("thead th").allTextContents();
    expect(heads.includes("Stage") && heads.includes("Next review"), `the columns are ${heads.join(", ")}`);
    expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My cases" }).getAttribute("aria-current") === "page",
      "My cases is not marked as the current page");
    expect(!(await page.getByRole("link", { name: "Team caseload" }).isVisible()), "a caseworker sees the team caseload in the menu");
    await shot(page, "02-my-cases");
  }, ["the console page loads with its security headers"]);

  await step("My cases puts overdue reviews first (the longest overdue first), then the soonest review", async () => {
    const order = await page.evaluate(async () => {
      const mine = await import("/static/view-mine.js");
      const rows = [
        { id: 1, updated_at: "2026-03-01T00:00:00Z" },
        { id: 2, overdue_since: "2026-02-10" },
        { id: 3, updated_at: "2026-01-01T00:00:00Z" },
        { id: 4, overdue_since: "2026-01-05" },
        { id: 5 },
      ];
      const next = new Map([[1, null], [3, "2026-04-01"], [5, "2026-03-15"]]);
      return mine.byUrgency(rows, next).map(c => c.id);
    });
    expect(order.join(",") === "4,2,5,3,1", `the order is ${order.join(",")}`);
  }, ["My cases: a caseworker lands on their own cases, with stage, people and next review"]);

  await step("a caseworker signs in and sees the overview", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    await main.getByRole("heading", { name: "Reviews overdue" }).waitFor();
    await main.getByRole("heading", { name: "Cases by programme and stage" }).waitFor();
    await main.getByRole("link", { name: "Co-parenthood", exact: true }).waitFor();
    expect(await page.locator("#who-name").textContent().then(t => t.includes(LOGIN)), "the header does not name the person signed in");
    expect(!(await page.getByRole("link", { name: "People who sign in" }).isVisible()), "a caseworker sees the accounts page in the menu");
    await shot(page, "02-overview");
  }, ["My cases: a caseworker lands on their own cases, with stage, people and next review"]);

  await step("the case list filters by programme and opens the case", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Cases", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Cases" }).waitFor();
    await page.locator("form.filters").getByLabel("Programme").selectOption("coparenthood");
    await page.getByRole("button", { name: "Show cases" }).click();
    await page.waitForFunction(() => location.hash.includes("workflow=coparenthood"));
    await main.getByRole("link", { name: "CP-BROWSER" }).waitFor();
    expect(!(await main.getByRole("link", { name: "PR-BROWSER" }).count()), "the filter left another programme's case in the list");
    await shot(page, "03-case-list");
    await main.getByRole("link", { name: "CP-BROWSER" }).click();
    await heading().filter({ hasText: "Case CP-BROWSER" }).waitFor();
  }, ["a caseworker signs in and sees the overview"]);

  await step("the case page shows people, stage and why a move is blocked", async () => {
    await page.locator("#current-stage").filter({ hasText: "Referral and matching" }).waitFor();
    const people = page.locator("section[aria-labelledby=people-h]");
    await people.getByText("Robin Example").waitFor();
    await people.getByText("Kit Maple-Example").waitFor();
    const blocked = page.locator(".moves.blocked li[data-move=match]");
    await blocked.waitFor();
    await blocked.locator('li[data-code="form_missing"]')
      .getByText("child information form has not been filled in", { exact: false }).waitFor();
    await page.locator(".timeline").getByText("Consent given", { exact: false }).first().waitFor();
    await shot(page, "04-case-blocked");
  }, ["the case list filters by programme and opens the case"]);

  await step("a form with a missing answer shows the problem next to that field", async () => {
    const item = page.locator('.form-item[data-form="child_information"]');
    await item.getByRole("button", { name: "Fill in" }).click();
    const form = item.locator("form.schema-form");
    await form.getByLabel("Child's name").fill("Ava Example");
    await form.getByLabel("Where the child is living now").selectOption("foster_care");
    await form.getByRole("button", { name: "Save this form" }).click();
    const dob = form.locator('.field[data-field="dob"]');
    const err = dob.locator(".field-error");
    await err.waitFor({ state: "visible" });
    expect(/needed/i.test(await err.textContent()), `the date of birth error says "${await err.textContent()}"`);
    expect(await dob.locator("input").getAttribute("aria-invalid") === "true", "the date of birth field is not marked invalid");
    const described = await dob.locator("input").getAttribute("aria-describedby");
    expect(described && described.includes(await err.getAttribute("id")), "the error is not tied to its field for screen readers");
    expect(!(await form.locator('.field[data-field="child_name"] .field-error').isVisible()), "a correct field shows an error");
    await form.locator(".form-error").getByText("Date of birth", { exact: false }).waitFor();
    expect(await page.evaluate(() => document.activeElement && document.activeElement.id.endsWith("-dob")), "focus did not move to the field with the problem");
    await shot(page, "05-form-error");
  }, ["the case page shows people, stage and why a move is blocked"]);

  await step("the corrected form is saved", async () => {
    const item = page.locator('.form-item[data-form="child_information"]');
    const form = item.locator("form.schema-form");
    await form.getByLabel("Date of birth").fill("2019-08-14");
    await form.getByLabel("The parents contributed to this form").check();
    await form.getByRole("button", { name: "Save this form" }).click();
    await page.locator("#messages").getByText("saved", { exact: false }).waitFor();
    await page.locator('.form-item[data-form="child_information"] .form-status').filter({ hasText: "1 entry" }).waitFor();
  }, ["a form with a missing answer shows the problem next to that field"]);

  await step("a move is made after confirming, and the case shows its new stage", async () => {
    const btn = page.getByRole("button", { name: "Match family with carer and Family Link" });
    await btn.waitFor();
    await btn.click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    await dialog.getByText("Referral and matching", { exact: false }).first().waitFor();
    await shot(page, "06-confirm-move");
    await dialog.getByRole("button", { name: "Make this move" }).click();
    await page.locator("#current-stage").filter({ hasText: "Stage 1: Building trust" }).waitFor();
    await page.locator("#messages").getByText("Stage 1", { exact: false }).waitFor();
    await page.locator(".timeline").getByText("moved from", { exact: false }).first().waitFor();
    await shot(page, "07-case-moved");
  }, ["the corrected form is saved"]);

  await step("a new case is opened from the case list", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Cases", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Cases" }).waitFor();
    const form = page.locator("section.open-case");
    await form.getByLabel("Programme").selectOption("coparenthood");
    await form.getByLabel("Case reference").fill("CP-NEW-1");
    await form.getByLabel("Referred by").fill("Example Primary School");
    await form.getByRole("button", { name: "Open the case" }).click();
    await heading().filter({ hasText: "Case CP-NEW-1" }).waitFor();
    await page.locator("#current-stage").filter({ hasText: "Referral and matching" }).waitFor();
    await page.locator("#worker").getByText(`${LOGIN} (team north)`).waitFor();
    await page.locator("section[aria-labelledby=details-h]").getByText("Example Primary School").waitFor();
    await page.goBack();
    await page.goBack();
    await heading().filter({ hasText: "Case CP-BROWSER" }).waitFor();
  }, ["a move is made after confirming, and the case shows its new stage"]);

  await step("a person leaves a case and it is linked to another, on the case page", async () => {
    await page.goto(URL + "/#/cases?q=CP-NEW-1");
    await page.locator("main").getByRole("link", { name: "CP-NEW-1" }).click();
    await heading().filter({ hasText: "Case CP-NEW-1" }).waitFor();
    const people = page.locator("section[aria-labelledby=people-h]");
    await people.getByText("Add a person").click();
    await people.getByLabel("Name", { exact: true }).fill("Sam Example");
    await people.getByLabel("Role", { exact: true }).selectOption("child");
    await people.getByRole("button", { name: "Add this person" }).click();
    await people.getByText("Sam Example").waitFor();
    await people.getByRole("button", { name: "End Sam Example's part in the case" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    await dialog.getByLabel("Why they left").fill("moved to another town");
    await dialog.getByRole("button", { name: "Record that they left" }).click();
    await people.locator("li.ended").getByText("Ended", { exact: false }).waitFor();
    await people.locator("li.ended").getByText("moved to another town").waitFor();
    await page.locator(".timeline").getByText("left the case", { exact: false }).first().waitFor();
    const links = page.locator("section[aria-labelledby=links-h]");
    await links.getByText("Link a case").click();
    await links.getByLabel("The other case (its number or ref)").fill("CP-BROWSER");
    await links.getByLabel("It is").selectOption("sibling");
    await links.getByRole("button", { name: "Link the cases" }).click();
    await links.getByRole("link", { name: "Case CP-BROWSER" }).waitFor();
    await shot(page, "07b-person-left-case-linked");
    await links.getByRole("link", { name: "Case CP-BROWSER" }).click();
    await heading().filter({ hasText: "Case CP-BROWSER" }).waitFor();
    await page.locator("section[aria-labelledby=links-h]").getByRole("link", { name: "Case CP-NEW-1" }).waitFor();
  }, ["a new case is opened from the case list"]);

  await step("a refused move answers 409 with its refusals, shown in plain words", async () => {
    const r = await page.evaluate(async () => {
      const api = await import("/static/api.js");
      const cs = await import("/static/view-case.js");
      try {
        await api.post("/cases/CP-NEW-1/transitions/match", { as: "caseworker" });
        return { status: 200 };
      } catch (err) {
        return { status: err.status, codes: (err.body.refusals || []).map(f => f.code), text: cs.refusal(err.body, err.message) };
      }
    });
    expect(r.status === 409, `the refused move answered ${r.status}`);
    expect(r.codes && r.codes.includes("form_missing") && r.codes.includes("guard"), `refusals: ${JSON.stringify(r.codes)}`);
    expect(/^The child information form has not been filled in yet; .*consent to share information has not been recorded/.test(r.text), `shown as: ${r.text}`);
  }, ["a new case is opened from the case list"]);

  await step("a review is recorded with a note", async () => {
    await page.getByRole("button", { name: "Record that a review was held" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel(/^Note/).fill("Robin and Kit met at Kit's home; contact is going well.");
    await dialog.getByRole("button", { name: "Record the review" }).click();
    await page.locator("#messages").getByText("Review recorded").waitFor();
    await page.locator(".timeline").getByText("contact is going well", { exact: false }).waitFor();
  }, ["a move is made after confirming, and the case shows its new stage"]);

  await step("moves for other roles say who can make them", async () => {
    await page.locator("details.others summary").click();
    await page.locator("details.others").getByText("Only a supervisor can make this move", { exact: false }).first().waitFor();
  }, ["a move is made after confirming, and the case shows its new stage"]);

  await step("the programme page draws the stages with their counts", async () => {
    await page.goto(URL + "/#/programmes/coparenthood");
    await heading().filter({ hasText: "Co-parenthood" }).waitFor();
    const svg = page.locator("svg.diagram");
    await svg.waitFor();
    const boxes = await svg.locator("g.state").count();
    // referral, the three stages, restored (follow-up), and five ways the work ends
    expect(boxes === 10, `the diagram has ${boxes} stages, not 10`);
    expect(await svg.locator("g.state.final").count() === 5, "the five final stages are not marked");
    expect(await svg.locator("g.state.final rect.inner").count() === 5, "final stages have no double border");
    const stage1 = svg.locator('a[aria-label^="Stage 1"]');
    expect(/: 1 case/.test(await stage1.getAttribute("aria-label")), `stage 1's count: ${await stage1.getAttribute("aria-label")}`);
    expect(await svg.locator("path.edge").count() >= 6, "the diagram has too few arrows");
    await svg.locator("g.label text", { hasText: "Step back to Stage 2" }).first().waitFor();
    await shot(page, "08-programme");
  }, ["a caseworker signs in and sees the overview"]);

  await step("the engine's refusals are read into plain words", async () => {
    const r = await page.evaluate(async () => {
      const forms = await import("/static/forms.js");
      const cs = await import("/static/view-case.js");
      return {
        form: forms.parseProblems("case 3: form 'review' refused: review_date: not a date (YYYY-MM-DD); " +
          "progress: required; decision: 'maybe' is not one of: continue, move_forward; present[2]: not text; " +
          "colour: not a field of form 'review'", ["review_date", "progress", "decision", "present"]),
        move: cs.refusal({
          error: "case 2: cannot fire 'match': requires form 'child_information' (no valid entry); " +
            "role 'caseworker' may not fire 'match' (by: supervisor, family_link)",
          refusals: [
            { code: "form_missing", params: { form: "child_information" },
              text: "requires form 'child_information' (no valid entry)" },
            { code: "role", params: { role: "caseworker", transition: "match", by: ["supervisor", "family_link"] },
              text: "role 'caseworker' may not fire 'match' (by: supervisor, family_link)" },
          ] }),
        guard: cs.plainRefusal({ code: "guard", text: "consent to share information has not been recorded",
          params: { transition: "match", rule: "consent_recorded", reason: "consent to share information has not been recorded" } }),
        timed: cs.plainRefusal({ code: "by_time", params: { transition: "lapse", after: "30m" },
          text: "'lapse' is fired by time only (after 30m)" }),
        final: cs.refusal({ error: "case 2: cannot fire 'x': the case is in final state 'closed'; nothing leaves a final state",
          refusals: [{ code: "final", params: { transition: "x", state: "closed" },
            text: "the case is in final state 'closed'; nothing leaves a final state" }] }),
        unknown: cs.plainRefusal({ code: "quorum", params: { needed: 2 }, text: "two supervisors must agree first" }),
        none: cs.refusal({ error: "case 2: cannot fire 'x': the case is in final state 'closed'" },
          "case 2: cannot fire 'x': the case is in final state 'closed'"),
      };
    });
    const f = r.form.byField;
    expect(f.review_date && /Enter a date/.test(f.review_date[0]), `review_date: ${JSON.stringify(f.review_date)}`);
    expect(f.progress && f.progress[0] === "This is needed.", `progress: ${JSON.stringify(f.progress)}`);
    expect(f.decision && /Choose one of the options/.test(f.decision[0]), `decision: ${JSON.stringify(f.decision)}`);
    expect(f.present && /Enter some words/.test(f.present[0]), `present: ${JSON.stringify(f.present)}`);
    expect(r.form.other.length === 1 && /colour/.test(r.form.other[0]), `other: ${JSON.stringify(r.form.other)}`);
    expect(/form has not been filled in yet; only a supervisor or a Family Link worker can make this move\.$/.test(r.move), `move: ${r.move}`);
    expect(r.guard === "Consent to share information has not been recorded", `guard: ${r.guard}`);
    expect(r.timed === "This happens by itself after 30 minutes in this stage.", `by time: ${r.timed}`);
    expect(r.final === "This case is finished. No more moves can be made.", `final: ${r.final}`);
    expect(r.unknown === "Two supervisors must agree first", `an unknown code: ${r.unknown}`);
    expect(r.none === "case 2: cannot fire 'x': the case is in final state 'closed'", `no refusals: ${r.none}`);
  }, ["the console page loads with its security headers"]);

  await step("the page has no script errors and no CSP refusals", async () => {
    expect(!problems.length, problems.join(" | "));
  });

  await step("signing out returns to the sign-in page", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to kinflow" }).waitFor();
    await page.locator("#messages").getByText("signed out", { exact: false }).waitFor();
    // The session has ended on the server too.
    const status = await page.evaluate(async () => (await fetch("/api/dashboard")).status);
    expect(status === 401, `after signing out GET /api/dashboard answered ${status}`);
  }, ["a caseworker signs in and sees the overview"]);

  await step("an administrator signs in", async () => {
    await signIn(ADMIN, ADMIN_PASSWORD);
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    await page.getByRole("link", { name: "People who sign in" }).waitFor();
  }, ["signing out returns to the sign-in page"]);

  await step("a move that needs a reason asks for one before it is made", async () => {
    await page.goto(URL + `/#/cases/${CASE}`);
    await heading().filter({ hasText: "Case CP-BROWSER" }).waitFor();
    await page.getByLabel("Acting as").selectOption("supervisor");
    await page.getByRole("button", { name: "Close the case" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel(/^Reason/).waitFor();
    await dialog.getByRole("button", { name: "Make this move" }).click();
    await dialog.getByText("Give a reason", { exact: false }).waitFor();
    expect(await dialog.getByLabel(/^Reason/).getAttribute("aria-invalid") === "true", "the empty reason is not marked");
    await shot(page, "09-reason-needed");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.locator("#current-stage").filter({ hasText: "Stage 1" }).waitFor();
  }, ["an administrator signs in", "a move is made after confirming, and the case shows its new stage"]);

  await step("a move refused because the case changed meanwhile says who changed what, refreshes the case and keeps the reason", async () => {
    await page.goto(URL + `/#/cases/${CASE}`);
    await heading().filter({ hasText: "Case CP-BROWSER" }).waitFor();
    await page.getByLabel("Acting as").selectOption("supervisor");
    await page.getByRole("button", { name: "Close the case" }).click();
    const dialog = page.getByRole("dialog");
    const reason = "The family moved interstate and asked us to close the case.";
    await dialog.getByLabel(/^Reason/).fill(reason);
    // Meanwhile, the supervisor changes the case's details (another tab, another person).
    execFileSync(BIN, ["case", "set", CASE, "--data", JSON.stringify({ school: "Hillside Primary" })],
      { env: { ...process.env, KINFLOW_ACTOR: SUPER }, stdio: "ignore" });
    await dialog.getByRole("button", { name: "Make this move" }).click();
    const alert = page.locator("#alerts");
    await alert.getByText(`This case was changed by ${SUPER} at`, { exact: false }).waitFor();
    const text = await alert.innerText();
    expect(/while you were working \(changed its details: school\)/.test(text), `the message says: ${text}`);
    expect(/refreshed/.test(text) && /your reason is kept/.test(text), `the message says: ${text}`);
    expect(!/revision/i.test(text), `the message still speaks of revisions: ${text}`);
    expect(/AE[DS]T/.test(text), `the time is not in the agency's zone: ${text}`);
    await page.locator("section[aria-labelledby=details-h]").getByText("Hillside Primary").waitFor();
    await page.locator("#current-stage").filter({ hasText: "Stage 1" }).waitFor();
    await shot(page, "21-conflict");
    await page.getByRole("button", { name: "Close the case" }).click();
    await dialog.getByText("The reason you typed before is filled in below").waitFor();
    expect(await dialog.getByLabel(/^Reason/).inputValue() === reason, "the typed reason was not kept");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("button", { name: "Close the case" }).click();
    expect(await dialog.getByLabel(/^Reason/).inputValue() === "", "a cancelled reason came back");
    await dialog.getByRole("button", { name: "Cancel" }).click();
  }, ["a move that needs a reason asks for one before it is made"]);

  await step("a session that ends mid-form loses nothing: the answers are back after signing in again, and gone once saved", async () => {
    const id = await page.evaluate(async () => (await (await import("/static/api.js")).get("/cases/CP-NEW-1")).id);
    await page.goto(URL + `/#/cases/${id}`);
    await heading().filter({ hasText: "Case CP-NEW-1" }).waitFor();
    const item = page.locator('.form-item[data-form="child_information"]');
    await item.getByRole("button", { name: "Fill in" }).click();
    let form = item.locator("form.schema-form");
    await form.getByLabel("Child's name").fill("Mia Example");
    await form.getByLabel("Where the child is living now").selectOption("foster_care");
    // The session ends on the server (as after the idle timeout) while the form is open.
    await page.evaluate(async () => {
      const api = await import("/static/api.js");
      await fetch("/api/session", { method: "DELETE", headers: { "X-CSRF-Token": api.current().csrf } });
    });
    await form.getByLabel("Date of birth").fill("2020-02-29");
    await form.getByRole("button", { name: "Save this form" }).click();
    await page.getByRole("heading", { name: "Sign in to kinflow" }).waitFor();
    await page.locator("#alerts").getByText("Your session has ended", { exact: false }).waitFor();
    await page.getByLabel("User name").fill(ADMIN);
    await page.getByLabel("Password").fill(ADMIN_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await heading().filter({ hasText: "Case CP-NEW-1" }).waitFor();
    form = item.locator("form.schema-form");
    await item.locator(".draft-note").getByText("you typed before", { exact: false }).waitFor();
    expect(await form.getByLabel("Child's name").inputValue() === "Mia Example", "the child's name was lost");
    expect(await form.getByLabel("Where the child is living now").inputValue() === "foster_care", "the choice was lost");
    expect(await form.getByLabel("Date of birth").inputValue() === "2020-02-29", "the date of birth was lost");
    await shot(page, "22-draft-restored");
    await form.getByRole("button", { name: "Save this form" }).click();
    await page.locator("#messages").getByText("saved", { exact: false }).waitFor();
    const left = await page.evaluate(() => Object.keys(sessionStorage).filter(k => k.startsWith("kinflow.draft.") && k.includes("|form:")));
    expect(!left.length, `drafts left after saving: ${left.join(", ")}`);
    expect(!(await item.locator("form.schema-form").count()), "the saved form opened again");
  }, ["an administrator signs in", "a new case is opened from the case list"]);

  await step("two minutes before the idle timeout a warning offers to stay signed in", async () => {
    // A server whose sessions end after 125 s unused: the warning comes 5 s after the last request.
    // "localhost" keeps its cookie apart from 127.0.0.1's.
    const other = await context.newPage();
    try {
      other.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      await other.goto(IDLE_URL.replace("127.0.0.1", "localhost") + "/");
      await other.getByRole("heading", { name: "Sign in to kinflow" }).waitFor();
      await other.getByLabel("User name").fill(LOGIN);
      await other.getByLabel("Password").fill(PASSWORD);
      await other.getByRole("button", { name: "Sign in" }).click();
      await other.getByRole("heading", { level: 1, name: "My cases" }).waitFor();
      const s = await other.evaluate(async () => (await import("/static/api.js")).current());
      expect(s.idle === 125, `the session's idle timeout reads ${s.idle}`);
      const warning = other.getByRole("dialog", { name: "Your session is about to end" });
      await warning.waitFor({ timeout: 15000 });
      const said = await warning.innerText();
      expect(/unless you stay signed in/.test(said) && /about 2 minutes/.test(said), `the warning says: ${said}`);
      await axeClean(other);
      await other.screenshot({ path: join(OUT, "browser-23-idle-warning.png") });
      await warning.getByRole("button", { name: "Stay signed in" }).click();
      await warning.waitFor({ state: "hidden" });
      await other.locator("#messages").getByText("You are still signed in").waitFor();
      await other.getByRole("heading", { level: 1, name: "My cases" }).waitFor();
      await other.getByRole("button", { name: "Sign out" }).click();
      await other.getByRole("heading", { name: "Sign in to kinflow" }).waitFor();
    } finally {
      await other.close();
    }
  }, ["the console page loads with its security headers"]);

  await step("times are shown in the agency's time zone, and say so", async () => {
    await page.goto(URL + `/#/cases/${CASE}`);
    await heading().filter({ hasText: "Case CP-BROWSER" }).waitFor();
    expect(await page.locator("#tz-label").innerText() === "Times in Australia/Sydney", "the header does not name the time zone");
    const t = page.locator(".timeline time").first();
    const iso = await t.getAttribute("datetime");
    const shown = await t.innerText();
    const sydney = new Intl.DateTimeFormat("en-GB", { timeZone: "Australia/Sydney", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .format(new Date(iso));
    expect(shown.includes(`, ${sydney} AE`), `${iso} is shown as "${shown}", not at ${sydney} Sydney time`);
    const r = await page.evaluate(async () => {
      const d = await import("/static/dom.js");
      return [d.when("2026-03-04T14:30:00Z"), d.when("2026-03-04T14:30:00Z", false), d.when("2026-03-04"),
              d.when("2026-07-01T13:59:00Z"), d.dayStart("2026-03-05"), d.dayStart("2026-07-01")];
    });
    expect(JSON.stringify(r) === JSON.stringify(["5 Mar 2026, 01:30 AEDT", "5 Mar 2026", "4 Mar 2026",
      "1 Jul 2026, 23:59 AEST", "2026-03-04T13:00:00Z", "2026-06-30T14:00:00Z"]), `times read ${JSON.stringify(r)}`);
  }, ["an administrator signs in"]);

  await step("rules: preview a change, deploy it, roll it back", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Rules" }).click();
    await page.getByRole("heading", { level: 1, name: "Rules" }).waitFor();
    const row = main.locator("tr", { hasText: "consent_recorded" });
    await row.waitFor();
    const src = readFileSync(join(ROOT, "plugins/rules-core/rules/consent_recorded.lua"), "utf8")
      .replace('if not last then', 'if not last or #all > 5 then');
    await row.getByRole("button", { name: /^Edit/ }).click();
    await page.getByLabel("File name").fill("rules/consent_recorded.lua");
    await page.getByLabel("Lua source").fill(src);
    await page.getByRole("button", { name: "Preview the effect" }).click();
    await page.locator(".impact").getByText("open case", { exact: false }).first().waitFor();
    await shot(page, "10-rule-impact");
    await page.getByRole("button", { name: "Deploy this rule" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Deploy" }).click();
    await page.locator("#messages").getByText("now in force", { exact: false }).waitFor();
    const again = main.locator("tr", { hasText: "consent_recorded" });
    await again.getByText("Version 1", { exact: false }).first().waitFor();
    await again.getByRole("button", { name: /^Roll back/ }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Roll back" }).click();
    await page.locator("#messages").getByText("rolled back", { exact: false }).waitFor();
  }, ["an administrator signs in"]);

  await step("rules: the Lua is checked before the preview, the change is shown against the version in force, and Roll back only when there is one", async () => {
    const row = main.locator("tr", { hasText: "consent_recorded" });
    await row.waitFor();
    expect(!(await row.getByRole("button", { name: /^Roll back/ }).count()), "Roll back is offered with nothing to roll back");
    const shipped = readFileSync(join(ROOT, "plugins/rules-core/rules/consent_recorded.lua"), "utf8");
    await row.getByRole("button", { name: /^Edit/ }).click();
    // A syntax error: the engine's check names the line; nothing is previewed.
    const lines = shipped.split("\n");
    const at = lines.findIndex(l => l.includes("if not last then"));
    const broken = lines.map((l, k) => (k === at ? l.replace(" then", "") : l)).join("\n");
    await page.getByLabel("Lua source").fill(broken);
    await page.getByRole("button", { name: "Preview the effect" }).click();
    const problem = page.locator(".rule-editor .form-error");
    await problem.getByText("The rule has a problem").waitFor();
    const said = await problem.innerText();
    expect(new RegExp(`Line (${at + 1}|${at + 2}):`).test(said), `the problem says: ${said}`);
    expect(!(await page.locator(".impact table").count()), "a preview was shown for a rule that does not compile");
    // Not a rule at all.
    await page.getByLabel("Lua source").fill("return 42\n");
    await page.getByRole("button", { name: "Preview the effect" }).click();
    await problem.getByText("must return", { exact: false }).waitFor();
    // A real change: the Lua checks out, and the lines changed are shown.
    await page.getByLabel("Lua source").fill(shipped.replace("if not last then", "if not last or #all > 5 then"));
    await page.getByRole("button", { name: "Preview the effect" }).click();
    await page.locator(".impact .lua-ok").waitFor();
    await page.locator(".impact .diff-summary").getByText("1 line added, 1 line removed", { exact: false }).waitFor();
    await page.locator(".impact .diff-del").getByText("if not last then").waitFor();
    await page.locator(".impact .diff-add").getByText("if not last or #all > 5 then").waitFor();
    await shot(page, "10b-rule-diff");
    await page.getByRole("button", { name: "Deploy this rule" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.locator(".diff-add").getByText("if not last or #all > 5 then").waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    // Rolled back by someone else meanwhile: plain words, never a command to type.
    await page.getByRole("button", { name: "Deploy this rule" }).click();
    await dialog.getByRole("button", { name: "Deploy" }).click();
    await page.locator("#messages").getByText("now in force", { exact: false }).waitFor();
    await main.locator("tr", { hasText: "consent_recorded" }).getByRole("button", { name: /^Roll back/ }).waitFor();
    execFileSync(BIN, ["rule", "rollback", "consent_recorded"], { stdio: "ignore" });
    await main.locator("tr", { hasText: "consent_recorded" }).getByRole("button", { name: /^Roll back/ }).click();
    await dialog.getByRole("button", { name: "Roll back" }).click();
    await page.locator("#alerts").getByText("nothing to roll back", { exact: false }).waitFor();
    expect(!/kinflow|`/.test(await page.locator("#alerts").innerText()), "the message shows a command");
    expect(!(await main.locator("tr", { hasText: "consent_recorded" }).getByRole("button", { name: /^Roll back/ }).count()),
      "Roll back is still offered");
  }, ["rules: preview a change, deploy it, roll it back"]);

  await step("the record of changes lists events and checks intact", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Record of changes" }).click();
    await page.getByRole("heading", { level: 1, name: "Record of changes" }).waitFor();
    await main.locator("table").getByText("Case moved").first().waitFor();
    await page.getByRole("button", { name: "Check the record has not been altered" }).click();
    await page.locator(".verify-result").getByText("The record is intact", { exact: false }).waitFor();
    await shot(page, "11-audit");
  }, ["an administrator signs in"]);

  await step("the record of changes: newest first, filters by case reference, person, kind and days, and a CSV download", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Record of changes" }).click();
    await page.getByRole("heading", { level: 1, name: "Record of changes" }).waitFor();
    const numbers = async () => (await main.locator("table tbody tr th").allInnerTexts()).map(Number);
    const all = await numbers();
    expect(all.length > 1 && all.every((n, i) => i === 0 || all[i - 1] > n), `the entries are in the order ${all.slice(0, 6).join(", ")}…`);
    const filters = page.locator("form.filters");
    await filters.getByLabel("Case number or reference").fill("CP-BROWSER");
    await filters.getByLabel("Person (user name)").fill(SUPER);
    await filters.getByLabel("Kind of entry").selectOption("case.data");
    await filters.getByRole("button", { name: "Show" }).click();
    await page.waitForFunction(() => location.hash.includes("case=CP-BROWSER"));
    /* the unfiltered entries may still be on the page: wait for the filtered table, drawn */
    await page.waitForFunction((who) => {
      const trs = document.querySelectorAll("main table tbody tr");
      return trs.length === 1 && trs[0].textContent.includes(who);
    }, SUPER);
    await main.locator("table").getByText("Case details changed").first().waitFor();
    const rows = main.locator("table tbody tr");
    const n = await rows.count();
    expect(n === 1, `${n} entries match (one change of details by ${SUPER})`);
    expect(await rows.first().innerText().then(t => t.includes(SUPER) && t.includes(`Case ${CASE}`)), "the entry is not the supervisor's on the case");
    // Days, in the agency's time zone: today has it, tomorrow has nothing.
    const today = await page.evaluate(async () => (await import("/static/dom.js")).zoneDay(Date.now()));
    await filters.getByLabel("From (day)").fill(today);
    await filters.getByLabel("To (day, included)").fill(today);
    await filters.getByRole("button", { name: "Show" }).click();
    await page.waitForFunction(() => location.hash.includes("from="));
    await main.locator("table").getByText("Case details changed").first().waitFor();
    const tomorrow = new Date(Date.parse(today + "T00:00:00Z") + 86400000).toISOString().slice(0, 10);
    await filters.getByLabel("From (day)").fill(tomorrow);
    await filters.getByLabel("To (day, included)").fill(tomorrow);
    await filters.getByRole("button", { name: "Show" }).click();
    await main.getByText("No entries match.").waitFor();
    // A reference that is no case's.
    await page.goto(URL + "/#/audit?case=NO-SUCH-CASE");
    await main.getByText("There is no case “NO-SUCH-CASE”", { exact: false }).waitFor();
    // Every entry of one case, downloaded as CSV.
    await page.goto(URL + `/#/audit?case=CP-BROWSER`);
    await main.locator("table tbody tr").first().waitFor();
    const shownRows = await main.locator("table tbody tr").count();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      main.getByRole("button", { name: "Download the matching entries (CSV)" }).click(),
    ]);
    const csv = readFileSync(await download.path(), "utf8").replace(/^\ufeff/, "");
    const lines = csv.trim().split("\r\n");
    expect(/^"Number","When \(UTC\)","When \(Australia\/Sydney\)","Who","Kind","What","Case","Reason"$/.test(lines[0]), `the CSV's header is ${lines[0]}`);
    expect(lines.length - 1 === shownRows, `the CSV has ${lines.length - 1} entries, the page ${shownRows}`);
    expect(lines.slice(1).every(l => l.includes(`,"${CASE}",`)), "the CSV has another case's entries");
    expect(csv.includes('"case.data"') && csv.includes("The glass was broken") === false, "the CSV lacks the change of details");
    await shot(page, "11b-audit-filtered");
  }, ["the record of changes lists events and checks intact", "a move refused because the case changed meanwhile says who changed what, refreshes the case and keeps the reason"]);

  await step("reports: time in stage and outcomes per programme, as the command line gives them, with CSV downloads", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Reports" }).click();
    await page.getByRole("heading", { level: 1, name: "Reports" }).waitFor();
    await page.locator("form.filters").getByLabel("Programme").selectOption("coparenthood");
    await page.getByRole("button", { name: "Show", exact: true }).click();
    await page.waitForFunction(() => location.hash.includes("workflow=coparenthood"));
    const stages = page.locator("section[aria-labelledby=stages-h]");
    const cli = JSON.parse(execFileSync(BIN, ["report", "stages", "--workflow", "coparenthood", "--json"], { encoding: "utf8" }));
    /* the report of every programme may still be on the page: wait for this one's, drawn */
    await page.waitForFunction((n) => {
      const trs = document.querySelectorAll("section[aria-labelledby=stages-h] tbody tr");
      return trs.length === n && [...trs].filter(tr => tr.textContent.includes("Referral and matching")).length === 1;
    }, cli.length);
    await stages.locator("tr", { hasText: "Referral and matching" }).waitFor();
    const rows = stages.locator("tbody tr");
    expect(await rows.count() === cli.length, `the page lists ${await rows.count()} stages, the command line ${cli.length}`);
    for (const [k, r] of cli.entries()) {
      const cells = await rows.nth(k).locator("th, td").allInnerTexts();
      expect(cells[2] === String(r.cases_now) && cells[3] === String(r.stays),
        `stage ${r.state}: the page says ${cells[2]} now, ${cells[3]} stays; the command line ${r.cases_now}, ${r.stays}`);
    }
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      stages.getByRole("button", { name: "Download time in stage (CSV)" }).click(),
    ]);
    const lines = readFileSync(await download.path(), "utf8").replace(/^\ufeff/, "").trim().split("\r\n");
    expect(lines[0] === '"Programme","Stage","Cases there now","Stays","Median days","90% within (days)"', `the CSV's header is ${lines[0]}`);
    expect(lines.length - 1 === cli.length, `the CSV has ${lines.length - 1} rows, the command line ${cli.length}`);
    expect(lines.some(l => l.startsWith('"Co-parenthood","Referral and matching",')), "the CSV lacks the first stage");
    const outcomes = page.locator("section[aria-labelledby=outcomes-h]");
    await outcomes.getByRole("heading", { name: "Outcomes" }).waitFor();
    await shot(page, "25-reports");
  }, ["an administrator signs in"]);

  await step("axe finds nothing on any page", async () => {
    for (const [where, h1] of [["/#/dashboard", "Overview"], ["/#/cases", "Cases"], ["/#/programmes", "Programmes"],
      ["/#/programmes/coparenthood", null], [`/#/cases/${CASE}`, "Case CP-BROWSER"], ["/#/rules", "Rules"],
      ["/#/users", "People who sign in"], ["/#/audit", "Record of changes"], ["/#/caseload", "Team caseload"],
      ["/#/reports", "Reports"],
      ["/#/no-such-page", "Page not found"]]) {
      await page.goto(URL + where);
      if (h1) await heading().filter({ hasText: h1 }).waitFor();
      else await page.locator("svg.diagram").waitFor();
      await page.locator("main:not([aria-busy])").waitFor();
      try { await axeClean(page); } catch (err) { throw new Error(`${where}: ${err.message}`); }
    }
  }, ["an administrator signs in"]);

  await step("an administrator adds an account", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "People who sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "People who sign in" }).waitFor();
    const accounts = main.locator("section[aria-labelledby=list-h] table");
    await accounts.getByText(LOGIN, { exact: true }).waitFor();
    await page.getByLabel("User name").fill("vic.viewer");
    await page.getByLabel("Role", { exact: true }).selectOption("viewer");
    await page.getByLabel("Password", { exact: true }).fill("a-long-viewer-password");
    await page.getByLabel("Password again").fill("a-long-viewer-password");
    await page.getByRole("button", { name: "Add this account" }).click();
    await page.locator("#messages").getByText("vic.viewer", { exact: false }).waitFor();
    await accounts.getByText("vic.viewer", { exact: true }).waitFor();
    await shot(page, "12-users");
  }, ["an administrator signs in"]);

  await step("an administrator adds a team and changes a person's teams", async () => {
    const teams = page.locator("section.teams");
    await teams.getByLabel("Team name").fill("east");
    await teams.getByRole("button", { name: "Add this team" }).click();
    await page.locator("#messages").getByText("Team east added").waitFor();
    await page.locator("section.teams tr", { hasText: "east" }).waitFor();
    await main.getByRole("button", { name: `Change ${LOGIN}'s teams` }).click();
    const dialog = page.getByRole("dialog");
    expect(await dialog.getByLabel("north").isChecked(), "the dialog does not show the person's team");
    await dialog.getByLabel("east").check();
    await dialog.getByRole("button", { name: "Save the teams" }).click();
    await page.locator("#messages").getByText(`${LOGIN} is now in team east, team north`).waitFor();
    await main.locator("tr", { hasText: LOGIN }).getByText("east, north").waitFor();
    await page.locator("section.teams tr", { hasText: "east" }).getByText(LOGIN).waitFor();
  }, ["an administrator adds an account"]);

  await step("an administrator changes a person's role and roles on cases, and disables an account: its session ends at once", async () => {
    const DEE = "dee.door", DEE_PASSWORD = "Dq7-kW2p-Zx9v-Lm4r";
    execFileSync(BIN, ["user", "add", DEE, "--role", "caseworker", "--team", "south", "--password-stdin"],
      { input: DEE_PASSWORD + "\n", stdio: ["pipe", "ignore", "ignore"] });
    // Dee signs in elsewhere ("localhost": a cookie of its own).
    await context.clearCookies({ domain: "localhost" });
    const other = await context.newPage();
    try {
      const there = URL.replace("127.0.0.1", "localhost");
      await other.goto(there + "/");
      await other.getByLabel("User name").fill(DEE);
      await other.getByLabel("Password").fill(DEE_PASSWORD);
      await other.getByRole("button", { name: "Sign in" }).click();
      await other.getByRole("heading", { level: 1, name: "My cases" }).waitFor();
      await page.goto(URL + "/#/users");
      await page.reload();
      const row = main.locator("tr", { hasText: DEE });
      await row.getByText("Can sign in").waitFor();
      await row.getByRole("button", { name: `Change ${DEE}'s role` }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Role", { exact: true }).selectOption("supervisor");
      await dialog.getByLabel("Family Link", { exact: true }).check();
      await dialog.getByRole("button", { name: "Save the role" }).click();
      await page.locator("#messages").getByText(`${DEE} is now supervisor (on cases: family_link)`).waitFor();
      await main.locator("tr", { hasText: DEE }).getByText("Supervisor").waitFor();
      await main.locator("tr", { hasText: DEE }).getByRole("button", { name: `Disable ${DEE}'s account` }).click();
      await dialog.getByRole("button", { name: "Disable the account" }).click();
      await page.locator("#messages").getByText(`${DEE}'s account is disabled; their sessions have ended.`).waitFor();
      await main.locator("tr", { hasText: DEE }).getByText("Disabled").waitFor();
      await shot(page, "12b-users-disabled");
      // Dee's very next step finds the session over; signing in again is refused.
      await other.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Cases", exact: true }).click();
      await other.getByRole("heading", { name: "Sign in to kinflow" }).waitFor();
      await other.getByLabel("User name").fill(DEE);
      await other.getByLabel("Password").fill(DEE_PASSWORD);
      await other.getByRole("button", { name: "Sign in" }).click();
      await other.locator("#login-problem").filter({ hasText: "do not match" }).waitFor();
      await main.locator("tr", { hasText: DEE }).getByRole("button", { name: `Enable ${DEE}'s account` }).click();
      await dialog.getByRole("button", { name: "Enable the account" }).click();
      await main.locator("tr", { hasText: DEE }).getByText("Can sign in").waitFor();
      expect(!(await main.locator("tr", { hasText: ADMIN }).getByRole("button", { name: /^Disable/ }).count()),
        "an administrator is offered to disable their own account");
    } finally {
      await other.close();
      if (await page.locator("dialog[open]").count()) await page.keyboard.press("Escape");
    }
  }, ["an administrator adds a team and changes a person's teams"]);

  await step("a supervisor lands on the team caseload: counts per worker, the queue", async () => {
    await signOut();
    await signIn(SUPER, SUPER_PASSWORD);
    await page.getByRole("heading", { level: 1, name: "Team caseload" }).waitFor();
    const perWorker = page.locator("section[aria-labelledby=workers-h]");
    // casey's: CP-BROWSER, CP-NEW-1 and the family page's case FT-BROWSER (family.test.mjs)
    await perWorker.locator("tr", { hasText: LOGIN }).locator("td").first().filter({ hasText: "3" }).waitFor();
    await perWorker.locator("tr", { hasText: "nia.north" }).locator("td").first().filter({ hasText: "1" }).waitFor();
    await perWorker.locator("tr", { hasText: SUPER }).locator("td").first().filter({ hasText: "0" }).waitFor();
    const teamCases = page.locator("section[aria-labelledby=team-cases-h]");
    await teamCases.getByRole("link", { name: "CP-BROWSER" }).waitFor();
    await teamCases.getByRole("link", { name: "CP-NIA" }).waitFor();
    const queue = page.locator("section.queue");
    await queue.getByRole("link", { name: "PR-BROWSER" }).waitFor();
    expect(!(await queue.getByRole("link", { name: "CP-BROWSER" }).count()), "an allocated case is in the queue");
    await page.locator("section.glass").getByText("No one has broken the glass", { exact: false }).waitFor();
    await shot(page, "16-caseload");
  }, ["signing out returns to the sign-in page", "a new case is opened from the case list"]);

  await step("a supervisor reallocates a case, and must give a reason", async () => {
    await page.getByRole("button", { name: "Reallocate CP-BROWSER" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Allocate to").selectOption({ label: "nia.north (team north)" });
    await dialog.getByRole("button", { name: "Reallocate" }).click();
    await dialog.getByText("Give a reason", { exact: false }).waitFor();
    await shot(page, "17-reallocate");
    await dialog.getByLabel(/^Reason/).fill("Casey is on leave for a month; Nia knows the school.");
    await dialog.getByRole("button", { name: "Reallocate" }).click();
    await page.locator("#messages").getByText("CP-BROWSER is now allocated to nia.north").waitFor();
    const perWorker = page.locator("section[aria-labelledby=workers-h]");
    await perWorker.locator("tr", { hasText: "nia.north" }).locator("td").first().filter({ hasText: "2" }).waitFor();
    await page.locator("section[aria-labelledby=team-cases-h] tr", { hasText: "CP-BROWSER" }).getByText("nia.north (team north)").waitFor();
    await page.goto(URL + `/#/cases/${CASE}`);
    await page.locator(".timeline").getByText("Casey is on leave", { exact: false }).waitFor();
    await page.locator("#worker").getByText("nia.north (team north)").waitFor();
  }, ["a supervisor lands on the team caseload: counts per worker, the queue"]);

  await step("a supervisor allocates a case from the queue", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team caseload" }).click();
    await page.getByRole("heading", { level: 1, name: "Team caseload" }).waitFor();
    await page.getByRole("button", { name: "Allocate PR-BROWSER" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Allocate to").selectOption({ label: `${LOGIN} (team north)` });
    await dialog.getByLabel(/^Reason/).fill("New referral for Casey.");
    await dialog.getByRole("button", { name: "Allocate the case" }).click();
    await page.locator("#messages").getByText(`PR-BROWSER is now allocated to ${LOGIN}`).waitFor();
    await page.locator("section.queue").getByText("Every open case is allocated").waitFor();
  }, ["a supervisor lands on the team caseload: counts per worker, the queue"]);

  await step("another team's worker sees a summary, and breaks the glass with a reason", async () => {
    await signOut();
    await signIn(OTHER, OTHER_PASSWORD);
    await page.getByRole("heading", { level: 1, name: "My cases" }).waitFor();
    await main.getByText("No open cases are allocated to you").waitFor();
    await page.goto(URL + "/#/cases?workflow=coparenthood");
    const row = main.locator("tr", { hasText: "CP-BROWSER" });
    await row.getByText("Summary", { exact: true }).waitFor();
    await row.getByText("Not shown").waitFor();
    expect(!(await row.getByText("Ava Example").count()), "a summary row names the case's people");
    await row.getByRole("link", { name: "CP-BROWSER" }).click();
    await heading().filter({ hasText: "This case is not in your caseload" }).waitFor();
    await main.locator(".glass-message").getByText("break the glass with a reason to open it", { exact: false }).waitFor();
    expect(!(await main.getByText("Ava Example").count()), "the refusal page shows the case's people");
    await page.getByRole("button", { name: "Break the glass" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "Open the case" }).click();
    await dialog.getByText("Give a reason", { exact: false }).waitFor();
    await shot(page, "18-break-the-glass");
    await dialog.getByLabel(/^Reason/).fill("The school rang about Ava and no one in the north team answers.");
    await dialog.getByRole("button", { name: "Open the case" }).click();
    await heading().filter({ hasText: "Case CP-BROWSER" }).waitFor();
    await page.locator("#messages").getByText("You may open this case until", { exact: false }).waitFor();
    await page.locator("section[aria-labelledby=people-h]").getByText("Ava Example").waitFor();
    await page.locator(".timeline").getByText("The glass was broken").waitFor();
  }, ["a supervisor lands on the team caseload: counts per worker, the queue"]);

  await step("a viewer opening a case sees its summary only, without the people", async () => {
    await signOut();
    await signIn("vic.viewer", "a-long-viewer-password");
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    expect(!(await page.getByRole("link", { name: "My cases" }).isVisible()), "a viewer sees My cases in the menu");
    await page.goto(URL + `/#/cases/${CASE}`);
    await heading().filter({ hasText: "Case CP-BROWSER" }).waitFor();
    await main.getByRole("heading", { name: "Summary" }).waitFor();
    await page.locator("#current-stage").filter({ hasText: "Stage 1" }).waitFor();
    const text = await main.innerText();
    expect(!/Ava Example|Robin Example|Timeline|People and roles/.test(text), "the summary shows the case's people or history");
    expect(!(await page.getByRole("button", { name: "Break the glass" }).count()), "a viewer is offered to break the glass");
    await shot(page, "20-viewer-summary");
  }, ["an administrator adds an account", "a move is made after confirming, and the case shows its new stage"]);

  await step("the team's supervisor sees the glass-break to review", async () => {
    await signOut();
    await signIn(SUPER, SUPER_PASSWORD);
    await page.getByRole("heading", { level: 1, name: "Team caseload" }).waitFor();
    const row = page.locator("section.glass tr", { hasText: OTHER });
    await row.getByText("The school rang about Ava", { exact: false }).waitFor();
    await shot(page, "19-glass-to-review");
  }, ["another team's worker sees a summary, and breaks the glass with a reason"]);

  await step("keyboard: the first Tab reaches the skip link, and focus is visible", async () => {
    await page.goto(URL + "/#/dashboard");
    await page.reload();
    await heading().filter({ hasText: "Overview" }).waitFor();
    await page.keyboard.press("Tab");
    const info = await page.evaluate(() => {
      const el = document.activeElement;
      const cs = getComputedStyle(el);
      return { text: el.textContent, outline: cs.outlineStyle, width: cs.outlineWidth };
    });
    expect(/Skip to the main content/.test(info.text), `the first Tab went to "${info.text}"`);
    expect(info.outline !== "none" && info.width !== "0px", "the focused link shows no outline");
  }, ["a caseworker signs in and sees the overview"]);

  await step("keyboard: Enter on the skip link moves to the content and keeps the page (every page)", async () => {
    for (const [where, h1] of [["/#/dashboard", "Overview"], [`/#/cases/${CASE}`, "Case CP-BROWSER"],
      ["/#/cases?workflow=coparenthood", "Cases"], ["/#/caseload", "Team caseload"], ["/#/programmes", "Programmes"]]) {
      await page.goto(URL + where);
      await page.reload();
      await heading().filter({ hasText: h1 }).waitFor();
      await page.locator("main:not([aria-busy])").waitFor();
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      await page.waitForTimeout(200);
      const got = await page.evaluate(() => ({ hash: location.hash, focus: document.activeElement && document.activeElement.id,
        h1: document.querySelector("main h1") && document.querySelector("main h1").textContent }));
      expect(got.h1 && got.h1.includes(h1), `${where}: after Enter on the skip link the page is "${got.h1}"`);
      expect(got.hash === where.slice(1), `${where}: the address became ${got.hash}`);
      expect(got.focus === "main", `${where}: focus is on "${got.focus}", not the main content`);
    }
  }, ["keyboard: the first Tab reaches the skip link, and focus is visible"]);

  await step("on a tablet (820x1180) the case page is one readable column", async () => {
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.goto(URL + `/#/cases/${CASE}`);
    await heading().filter({ hasText: "Case CP-BROWSER" }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
    await shot(page, "13-tablet-case");
    await page.goto(URL + "/#/dashboard");
    await heading().filter({ hasText: "Overview" }).waitFor();
    await shot(page, "14-tablet-overview");
    await page.goto(URL + "/#/programmes/coparenthood");
    await page.locator("svg.diagram").waitFor();
    await shot(page, "15-tablet-programme");
  }, ["a caseworker signs in and sees the overview"]);

  await step("on a phone (390x844) the programme diagram keeps its size and scrolls sideways in its box", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(URL + "/#/programmes/coparenthood");
      const svg = page.locator("svg.diagram");
      await svg.waitFor();
      const m = await page.evaluate(() => {
        const el = document.querySelector("svg.diagram"), box = document.querySelector(".diagram-scroll");
        return { drawn: el.getBoundingClientRect().width, natural: el.viewBox.baseVal.width,
                 scrolls: box.scrollWidth - box.clientWidth,
                 page: document.documentElement.scrollWidth - document.documentElement.clientWidth };
      });
      expect(Math.abs(m.drawn - m.natural) < 1, `the diagram is drawn ${Math.round(m.drawn)}px wide, not its ${m.natural}px`);
      expect(m.scrolls > 0, "the diagram's box does not scroll sideways");
      expect(m.page <= 1, `the page itself scrolls sideways by ${m.page}px`);
      await page.locator(".diagram-scroll").focus();
      await page.keyboard.press("ArrowRight");
      await page.waitForFunction(() => document.querySelector(".diagram-scroll").scrollLeft > 0);
      await shot(page, "24-phone-programme");
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  }, ["a caseworker signs in and sees the overview"]);

  await step("still no script errors and no CSP refusals", async () => {
    expect(!problems.length, problems.join(" | "));
  });

  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}
