// Steps the end-to-end tests share: first run with the demo account, sealing,
// opening a folder. Each waits for what the user would wait for.
import assert from "node:assert/strict";
import { By, Key, until } from "selenium-webdriver";
import { screenshot, textOf } from "./driver.mjs";

export const PASSPHRASE = "tulip orbit cactus lantern";

export function el(driver, testid) {
  return driver.findElement(By.css(`[data-testid="${testid}"]`));
}

export async function waitFor(driver, css, ms = 20000, why = css) {
  return driver.wait(until.elementLocated(By.css(css)), ms, `never appeared: ${why}`);
}

export async function waitTestId(driver, testid, ms = 20000) {
  const found = await waitFor(driver, `[data-testid="${testid}"]`, ms, testid);
  await driver.wait(until.elementIsVisible(found), ms, `never visible: ${testid}`);
  return found;
}

export async function type(element, value) {
  await element.clear();
  await element.sendKeys(value);
}

/**
 * The text of every element matching `css`. A list the app re-renders
 * between finding and reading (the virtual list, as new mail arrives) is
 * read again, a few times.
 */
export async function texts(driver, css) {
  for (let attempt = 0; ; attempt++) {
    try {
      const found = await driver.findElements(By.css(css));
      // textContent: WebKitWebDriver's getText() skips text in some flex layouts.
      return await Promise.all(found.map((e) => e.getAttribute("textContent")));
    } catch (e) {
      if (e?.name !== "StaleElementReferenceError" || attempt >= 5) throw e;
    }
  }
}

/**
 * First run: "Try the demo", a vault with its recovery key confirmed, the demo
 * account added. With `demo`, a wrong password is tried first and must be
 * refused with a clear error.
 */
export async function createVaultWithDemo(driver, { shots = false, demo = null } = {}) {
  await waitTestId(driver, "try-demo", 30000);
  if (shots) await screenshot(driver, "app-first-run.png");
  await el(driver, "try-demo").click();
  await type(await waitTestId(driver, "new-passphrase"), PASSPHRASE);
  await type(el(driver, "repeat-passphrase"), PASSPHRASE);
  const create = el(driver, "create-submit");
  await driver.wait(async () => create.isEnabled(), 10000, "Create never enabled for a strong passphrase");
  if (shots) await screenshot(driver, "app-create-vault.png");
  await create.click();

  const keyEl = await waitTestId(driver, "recovery-key", 30000);
  const key = (await keyEl.getText()).replace(/\s+/g, "-").replace(/-+/g, "-");
  const groups = key.split("-").filter((g) => g.length > 0);
  assert.equal(groups.length, 12, `a recovery key of 12 groups: ${key}`);
  if (shots) await screenshot(driver, "app-recovery-key.png");
  await el(driver, "recovery-saved").click();
  const inputs = await driver.findElements(By.css('[data-testid="confirm-group"]'));
  await driver.wait(async () => (await driver.findElements(By.css('[data-testid="confirm-group"]'))).length > 0, 10000);
  for (const input of await driver.findElements(By.css('[data-testid="confirm-group"]'))) {
    const label = await input.findElement(By.xpath("..")).getText();
    const n = Number(/Group (\d+)/.exec(label)?.[1]);
    assert.ok(n >= 1 && n <= 12, `label ${label}`);
    await type(input, groups[n - 1]);
  }
  void inputs;
  await el(driver, "confirm-submit").click();

  // The account form, filled in with the demo mailbox.
  const test = await waitTestId(driver, "account-test", 30000);
  if (demo) {
    await type(el(driver, "account-password"), "not-the-password");
    await test.click();
    const error = await waitTestId(driver, "account-error", 30000);
    await driver.wait(async () => /refused|password/i.test(await error.getAttribute("textContent")), 10000,
      "no clear error for a wrong password");
    if (shots) await screenshot(driver, "app-account-error.png");
    await type(el(driver, "account-password"), demo.password);
  }
  await test.click();
  await waitTestId(driver, "account-test-result", 30000);
  if (shots) await screenshot(driver, "app-account.png");
  await el(driver, "account-add").click();
  return key;
}

/** The Seal view: plan, confirm, wait for the result; returns the result's text. */
export async function sealAll(driver, { shots = false } = {}) {
  const start = await waitTestId(driver, "seal-start", 60000);
  if (shots) await screenshot(driver, "app-seal-plan.png");
  await start.click();
  const result = await waitTestId(driver, "seal-result", 180000);
  const text = await result.getText();
  if (shots) await screenshot(driver, "app-seal-done.png");
  await el(driver, "open-mail").click();
  return text;
}

/** Clicks a folder in the folder list and waits for its rows. */
export async function openFolder(driver, name) {
  const folder = await waitFor(driver, `[data-testid="folder"][data-folder="${name}"]`, 30000, `folder ${name}`);
  await folder.click();
  await waitFor(driver, '[data-testid="message-row"][data-message-id]', 20000, `rows of ${name}`);
}

/** Opens the row whose text matches `re`; resolves with its id. */
export async function openRow(driver, re) {
  let id = null;
  let seen = [];
  await driver.wait(async () => {
    seen = await texts(driver, '[data-testid="message-row"]').catch(() => []);
    for (const row of await driver.findElements(By.css('[data-testid="message-row"]'))) {
      if (re.test(await row.getAttribute("textContent").catch(() => ""))) {
        id = await row.getAttribute("data-message-id");
        await row.click();
        return true;
      }
    }
    return false;
  }, 20000, `no row matching ${re}`).catch(async (e) => {
    await screenshot(driver, "failed-open-row.png");
    throw new Error(`${e.message}; rows: ${JSON.stringify(seen)}`);
  });
  await waitTestId(driver, "message-frame", 20000);
  return id;
}

/** The frame's document text (switches in and back out). */
export async function frameText(driver) {
  const frame = await el(driver, "message-frame");
  await driver.switchTo().frame(frame);
  try {
    return await driver.findElement(By.css("body")).getText();
  } finally {
    await driver.switchTo().defaultContent();
  }
}

export { Key, textOf };
