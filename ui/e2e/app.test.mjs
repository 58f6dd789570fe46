// End to end: the real app opens on its start screen and shows the vault state.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { By } from "selenium-webdriver";
import { screenshot, startApp, textOf } from "./driver.mjs";

let app;
let vaultDir;

before(async () => {
  vaultDir = mkdtempSync(join(tmpdir(), "coffer-e2e-"));
  app = await startApp({ COFFER_VAULT: vaultDir });
});

after(async () => app?.stop());

test("the window opens on the start screen and shows the vault state", async () => {
  const { driver } = app;
  await driver.wait(async () => (await textOf(driver, "[data-testid=headline]")) === "No vault yet",
    20000, "the start screen never said 'No vault yet'");
  assert.equal(await driver.getTitle(), "Coffer");
  // The detail comes from the Rust side over IPC: the vault dir we passed in.
  const detail = await textOf(driver, "[data-testid=vault-detail]");
  assert.ok(detail.includes(vaultDir), `detail ${JSON.stringify(detail)} names ${vaultDir}`);
  assert.match(await textOf(driver, "[data-testid=version]"), /^v\d+\.\d+\.\d+/);
  assert.ok(await driver.findElement(By.css("[data-testid=nav-audit]")).isDisplayed());
  assert.ok((await screenshot(driver, "app-start.png")) > 1000, "screenshot is not empty");
});
