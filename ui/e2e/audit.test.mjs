// End to end: the Audit view scans a real Dovecot demo mailbox through the
// real app, shows the report, and exports it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { By, until } from "selenium-webdriver";
import { screenshot, startApp, startDemoServer, textOf } from "./driver.mjs";

let app;
let demo;
let exportDir;

before(async () => {
  demo = await startDemoServer();
  exportDir = mkdtempSync(join(tmpdir(), "coffer-export-"));
  app = await startApp({
    COFFER_VAULT: mkdtempSync(join(tmpdir(), "coffer-e2e-")),
    COFFER_EXPORT_DIR: exportDir,
  });
});

after(async () => {
  await app?.stop();
  demo?.stop();
});

async function type(driver, name, value) {
  const el = await driver.findElement(By.css(`[name=${name}]`));
  await el.clear();
  await el.sendKeys(value);
}

test("the Audit view reports the demo mailbox and exports the report", async () => {
  const { driver } = app;
  // The shell renders once the engine answered; wait for it.
  const nav = await driver.wait(until.elementLocated(By.css("[data-testid=nav-audit]")), 30000);
  await driver.wait(until.elementIsVisible(nav), 10000);
  await nav.click();
  await type(driver, "server", `${demo.host}:${demo.imaps_port}`);
  await type(driver, "user", demo.user);
  await type(driver, "password", demo.password);
  await type(driver, "ca-file", demo.ca_file);
  await driver.findElement(By.css("[data-testid=run-audit]")).click();

  await driver.wait(async () => (await textOf(driver, "[data-testid=audit-verdict]")) !== null,
    30000, `no report; error: ${await textOf(driver, "[data-testid=audit-error]")}`);
  const verdict = await textOf(driver, "[data-testid=audit-verdict]");
  assert.equal(verdict, `${demo.messages} finding(s): ${demo.messages} of ${demo.messages} messages are not well-formed seals.`);
  assert.equal(await textOf(driver, "[data-testid=total]"), String(demo.messages));
  const findings = await textOf(driver, "[data-testid=findings]");
  assert.match(findings, /INBOX/);
  assert.match(findings, /Archive\/2024/);
  // The report never shows message content.
  assert.doesNotMatch(await driver.findElement(By.css("body")).getText(), /Quarterly budget|Invoice 2024/);
  await screenshot(driver, "app-audit.png");

  await driver.findElement(By.css("[data-testid=export-json]")).click();
  await driver.wait(async () => (await textOf(driver, "[data-testid=exported]")) !== null, 10000);
  const files = readdirSync(exportDir).filter((f) => f.endsWith(".json"));
  assert.equal(files.length, 1, `exported files: ${files}`);
  const report = JSON.parse(readFileSync(join(exportDir, files[0]), "utf8"));
  assert.equal(report.totals.total, demo.messages);
  assert.equal(report.totals.plaintext, demo.messages);
  assert.equal(report.digest.length, 64);
});
