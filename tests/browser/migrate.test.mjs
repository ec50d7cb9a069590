// tests/browser/migrate.test.mjs: programme versions in headless Chromium, driven by
// Playwright: an admin opens a programme with two versions, checks a move to version 2 with a
// plan file (the report, both diagrams), runs it (progress, then done with the case left),
// and undoes it; a caseworker does not see the section. Pages are checked with axe-core.
// Started by tests/browser/run.sh, which deploys tests/browser/migrate/pathway-v1.lua and
// -v2.lua with three open cases on version 1 (intake, trust, legacy):
//   KF_URL KF_LOGIN KF_PASSWORD KF_ADMIN KF_ADMIN_PASSWORD KF_OUT KF_CHROMIUM KF_PROFILE
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
const ADMIN = env("KF_ADMIN"), ADMIN_PASSWORD = env("KF_ADMIN_PASSWORD");
const OUT = env("KF_OUT");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
mkdirSync(OUT, { recursive: true });

const PLAN = `return migration {
  workflow = "pathway",
  to = 2,
  states = { trust = "building_trust" },
}`;

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
    return;
  }
  try {
    await fn();
    passed++;
    results.set(name, true);
    console.log(`ok   ${name}`);
  } catch (err) {
    failed++;
    results.set(name, false);
    console.log(`FAIL ${name}: ${String(err && err.message || err).split("\n")[0]}`);
    if (current) {
      const file = `browser-migrate-failed-${failed}.png`;
      await current.screenshot({ path: join(OUT, file), fullPage: true }).catch(() => {});
      console.log(`     (screenshot of the page then: tests/out/${file})`);
    }
  }
}
function expect(cond, msg) { if (!cond) throw new Error(msg); }

async function axeClean(page) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map(v => `${v.id} (${v.nodes.length}: ${v.nodes.slice(0, 2).map(n => n.target.join(" ")).join(", ")})`);
  });
  expect(!found.length, `axe finds: ${found.join("; ")}`);
}

async function shot(page, name) {
  await page.locator("main:not([aria-busy])").waitFor();
  const text = await page.locator("main").innerText();
  const m = /\b(null|undefined|NaN)\b|\[object Object\]/.exec(text);
  expect(!m, `the page shows "${m && m[0]}" near: ${m && text.slice(Math.max(0, m.index - 40), m.index + 20).replace(/\s+/g, " ")}`);
  await axeClean(page);
  await page.screenshot({ path: join(OUT, `browser-migrate-${name}.png`), fullPage: true });
}

const context = await chromium.launchPersistentContext(process.env.KF_PROFILE || "", {
  executablePath: process.env.KF_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 900 },
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
  context.setDefaultTimeout(10000);
  const page = context.pages()[0] || await context.newPage();
  current = page;
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    const t = m.text();
    if (/Content Security Policy|Refused to (execute|apply|load)/i.test(t)) problems.push(`CSP: ${t}`);
    else if (m.type() === "error" && (!/^Failed to load resource/.test(t) || /status of 5\d\d/.test(t))) problems.push(`console: ${t}`);
  });
  const main = page.locator("main");
  const signIn = async (login, password) => {
    await page.goto(URL + "/");
    const out = page.getByRole("button", { name: "Sign out" });
    if (await out.isVisible()) await out.click();
    await page.getByRole("heading", { name: "Sign in to kinflow" }).waitFor();
    await page.getByLabel("User name").fill(login);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
  };
  const signOut = async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to kinflow" }).waitFor();
  };
  const versions = main.locator("#versions");
  const versionRow = (n) => versions.locator("table").first().locator("tr", { hasText: `Version ${n}` });

  await step("an admin sees a programme's versions with their open cases", async () => {
    await signIn(ADMIN, ADMIN_PASSWORD);
    await page.goto(URL + "/#/programmes/pathway");
    await page.getByRole("heading", { level: 2, name: "Versions" }).waitFor();
    const v1 = versionRow(1);
    const v2 = versionRow(2);
    await v2.getByText("latest").waitFor();
    expect((await v1.locator("td").nth(1).innerText()).trim() === "3", `version 1's open cases: ${await v1.innerText()}`);
    expect((await v2.locator("td").nth(1).innerText()).trim() === "0", `version 2's open cases: ${await v2.innerText()}`);
    await versions.getByText("No migrations of this programme yet.").waitFor();
    await shot(page, "01-versions");
  });

  await step("the check shows the report and both versions' diagrams, changing nothing", async () => {
    await page.getByLabel("Move to").selectOption("2");
    await page.getByLabel("Plan file (optional)").fill(PLAN);
    await page.getByRole("button", { name: "Check", exact: true }).click();
    await page.locator("#report-totals").waitFor();
    const totals = await page.locator("#report-totals").innerText();
    expect(totals.startsWith("3 open cases: 2 would move, 1 cannot"), `totals: ${totals}`);
    const figs = page.locator(".versions-diagrams figure");
    expect(await figs.count() === 2, `${await figs.count()} diagrams`);
    expect(await figs.nth(0).locator("svg").count() === 1 && await figs.nth(1).locator("svg").count() === 1, "a diagram has no drawing");
    expect((await figs.nth(0).innerText()).includes("Legacy stage") && (await figs.nth(1).innerText()).includes("Version 2 (to)"),
      "the diagrams are not version 1's and version 2's");
    const legacy = page.locator("#migration-report tr", { hasText: "v1 Legacy" });
    await legacy.getByText("cannot move:").waitFor();
    const trust = page.locator("#migration-report tr", { hasText: "v1 Trust" });
    expect((await trust.innerText()).includes("v2 Building trust"), `the trust case: ${await trust.innerText()}`);
    expect((await trust.innerText()).includes("Finish becomes blocked"), `no blocked move shown: ${await trust.innerText()}`);
    expect((await versionRow(1).locator("td").nth(1).innerText()).trim() === "3",
      "the check moved cases");
    await shot(page, "02-check");
  }, ["an admin sees a programme's versions with their open cases"]);

  await step("run (after confirming) shows progress, then done with the case left", async () => {
    await page.getByRole("button", { name: /^Run: move 2 cases to version 2/ }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Yes, move them" }).click();
    await page.locator("#migration-progress progress").first().waitFor();
    await page.locator("#migration-done").waitFor();
    const done = await page.locator("#migration-done").innerText();
    expect(done === "Migration 1 done: 2 cases moved, 1 left.", `done: ${done}`);
    await page.locator("#migration-count").filter({ hasText: "3 of 3 cases" }).waitFor();
    await page.locator("#migration-progress tr", { hasText: "has no counterpart" }).waitFor();
    const v2 = versionRow(2);
    await v2.locator("td").nth(1).filter({ hasText: /^2$/ }).waitFor();
    await versions.locator("tr", { hasText: "#1" }).getByText("done", { exact: true }).waitFor();
    await shot(page, "03-run");
  }, ["the check shows the report and both versions' diagrams, changing nothing"]);

  await step("undo (after confirming) puts the cases back", async () => {
    await page.getByRole("button", { name: "Undo migration 1" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Yes, undo it" }).click();
    await page.locator("#migration-undone").waitFor();
    const text = await page.locator("#migration-undone").innerText();
    expect(text === "Migration 1 undone: 2 cases put back, 0 left.", `undo: ${text}`);
    await versions.locator("tr", { hasText: "#1" }).getByText("undone", { exact: true }).waitFor();
    expect((await versionRow(1).locator("td").nth(1).innerText()).trim() === "3",
      "version 1 does not have its 3 open cases back");
    expect(!(await page.getByRole("button", { name: "Undo migration 1" }).count()), "an undone migration still offers undo");
    await shot(page, "04-undone");
    await signOut();
  }, ["run (after confirming) shows progress, then done with the case left"]);

  await step("a caseworker does not see the versions section", async () => {
    await signIn(LOGIN, PASSWORD);
    await page.goto(URL + "/#/programmes/pathway");
    await page.getByRole("heading", { level: 2, name: "The moves" }).waitFor();
    await page.locator("main:not([aria-busy])").waitFor();
    expect(!(await page.getByRole("heading", { name: "Versions" }).count()), "a caseworker sees Versions");
    expect(!(await main.locator("#versions").count()), "the section is in the page");
    await signOut();
  });

  await step("no script errors and no CSP refusals", async () => {
    expect(!problems.length, problems.join(" | "));
  });

  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}
