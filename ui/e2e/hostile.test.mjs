// End to end: a corpus of hostile HTML mail (coffer_harness::demo::hostile),
// sealed and then opened one by one in the real app, under Xvfb, against a
// real Dovecot, while a local HTTP server counts every request made to it.
// Nothing may load, no script may run, no IPC may be reached, and a link
// opens only through the app's prompt, showing its real target.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { By } from "selenium-webdriver";
import { screenshot, startApp, startDemoServer, textOf } from "./driver.mjs";
import { createVaultWithDemo, el, openFolder, sealAll, waitTestId } from "./flows.mjs";

let app;
let demo;
let beacon;
const requests = [];
const work = mkdtempSync(join(tmpdir(), "coffer-hostile-"));
const opened = join(work, "opened.txt");

before(async () => {
  beacon = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("counted");
  });
  await new Promise((ok) => beacon.listen(0, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${beacon.address().port}`;
  // The counter counts: a request of our own, then a clean slate.
  await fetch(`${url}/control`);
  if (requests.join() !== "GET /control") throw new Error(`the beacon is broken: ${requests}`);
  requests.length = 0;
  demo = await startDemoServer(["--hostile", url]);
  demo.beacon = url;
  // What the app hands a confirmed link to, instead of a browser.
  const opener = join(work, "opener.sh");
  writeFileSync(opener, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${opened}'\n`);
  chmodSync(opener, 0o755);
  app = await startApp({
    COFFER_VAULT: mkdtempSync(join(tmpdir(), "coffer-e2e-")),
    COFFER_DEMO: demo.line,
    COFFER_OPENER: opener,
  });
});

after(async () => {
  await app?.stop();
  demo?.stop();
  beacon?.close();
});

test("hostile mail loads nothing, runs nothing and reaches no IPC", async () => {
  const { driver } = app;
  await createVaultWithDemo(driver);
  await sealAll(driver);
  await openFolder(driver, "Hostile");

  const rows = await driver.findElements(By.css('[data-testid="message-row"]'));
  assert.equal(rows.length, 10, "the whole hostile corpus is listed");
  const ids = await Promise.all(rows.map((r) => r.getAttribute("data-message-id")));
  let blocked = 0;
  for (const id of ids) {
    await driver.findElement(By.css(`[data-testid="message-row"][data-message-id="${id}"]`)).click();
    const frame = await waitTestId(driver, "message-frame", 20000);
    assert.equal(await frame.getAttribute("sandbox"), "", "the frame is fully sandboxed");
    assert.equal(await driver.executeScript("return arguments[0].hasAttribute('src')", frame), false,
      "the frame never has a src");
    // Give anything that might load or run the time to do so.
    await driver.sleep(700);
    // No script ran: the corpus's scripts and handlers would mark the document.
    await driver.switchTo().frame(frame);
    const pwned = await driver.findElements(By.css("[data-pwned]"));
    await driver.switchTo().defaultContent();
    assert.equal(pwned.length, 0, `a script ran in message ${id}`);
    const count = await textOf(driver, '[data-testid="blocked-count"]');
    blocked += Number(/(\d+)/.exec(count ?? "")?.[1] ?? 0);
    // Still unlocked: a script calling invoke('lock') never got through.
    assert.ok(await el(driver, "lock").isDisplayed(), `locked after opening ${id}`);
  }
  assert.ok(blocked >= 20, `blocked remote resources shown in the chrome: ${blocked}`);
  await screenshot(driver, "app-hostile.png");

  // Clicking links inside the frame loads nothing.
  const nav = await driver.findElements(By.css('[data-testid="message-row"]'));
  for (const row of nav) {
    if (/hostile navigation/.test(await row.getAttribute("textContent"))) {
      await row.click();
      break;
    }
  }
  const frame = await waitTestId(driver, "message-frame", 20000);
  await driver.switchTo().frame(frame);
  for (const id of ["js", "data", "web"]) {
    const links = await driver.findElements(By.css("a"));
    for (const a of links) {
      if ((await a.getText()).length > 0) await a.click().catch(() => {});
    }
    void id;
  }
  const still = await driver.findElement(By.css("body")).getText();
  await driver.switchTo().defaultContent();
  assert.match(still, /javascript link/, "the frame's document did not change");

  // The chrome lists the links; opening one asks first and shows its real target.
  await el(driver, "links").click();
  const target = `${demo.beacon}/clicked`;
  let entry = null;
  for (const b of await driver.findElements(By.css('[data-testid="links"] button'))) {
    if ((await b.getAttribute("textContent")).includes(target)) entry = b;
  }
  if (!entry) await screenshot(driver, "failed-links.png");
  assert.ok(entry, `the link ${target} is listed in the chrome`);
  await entry.click();
  const prompt = await waitTestId(driver, "link-prompt", 5000);
  assert.match(await prompt.getAttribute("textContent"), new RegExp(target.replace(/[.?]/g, "\\$&")));
  assert.ok(!existsSync(opened), "nothing was opened before the user confirmed");
  await screenshot(driver, "app-link-prompt.png");
  await el(driver, "link-open").click();
  await driver.wait(() => existsSync(opened), 10000, "the confirmed link was not opened");
  assert.equal(readFileSync(opened, "utf8").trim(), target);

  await driver.sleep(500);
  // The opener only recorded the link: any request came from the webview.
  assert.deepEqual(requests, [], `the hostile corpus reached the network: ${requests.join(", ")}`);
});
