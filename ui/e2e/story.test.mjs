// End to end, the whole story in the real app against a real Dovecot: create
// a vault (recovery key confirmed), add the demo account, seal it, check from
// outside that the server holds only ciphertext, open a message, search, mark
// read, lock (no mail left in the DOM) and unlock. Saves a screenshot of each
// main screen into test-artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect as tlsConnect } from "node:tls";
import { join } from "node:path";
import { By } from "selenium-webdriver";
import { root, screenshot, startApp, startDemoServer, textOf } from "./driver.mjs";
import {
  PASSPHRASE, createVaultWithDemo, el, frameText, openFolder, openRow, sealAll, texts, type,
  waitFor, waitTestId,
} from "./flows.mjs";

let app;
let demo;

before(async () => {
  demo = await startDemoServer();
  app = await startApp({
    COFFER_VAULT: mkdtempSync(join(tmpdir(), "coffer-e2e-")),
    COFFER_EXPORT_DIR: mkdtempSync(join(tmpdir(), "coffer-export-")),
    COFFER_DEMO: demo.line,
  });
});

after(async () => {
  await app?.stop();
  demo?.stop();
});

/**
 * Runs IMAP commands over TLS as `user` (a client of our own, not Coffer's),
 * one at a time; resolves with everything the server said.
 */
function imap(demo, user, password, commands) {
  return new Promise((ok, fail) => {
    const socket = tlsConnect({ host: demo.host, port: demo.imaps_port, ca: readFileSync(demo.ca_file),
      servername: "localhost" });
    let buffer = "";
    let all = "";
    let n = 0;
    const queue = [`LOGIN ${user} ${password}`, ...commands, "LOGOUT"];
    socket.setEncoding("utf8");
    socket.on("error", fail);
    const next = () => socket.write(`t${n} ${queue[n]}\r\n`);
    socket.on("data", (chunk) => {
      buffer += chunk;
      all += chunk;
      if (n === 0 && /^\* OK/m.test(buffer) && !buffer.includes("t0 ")) { buffer = ""; next(); return; }
      const done = new RegExp(`^t${n} (OK|NO|BAD)`, "m").exec(buffer);
      if (!done) return;
      if (done[1] !== "OK") { fail(new Error(`IMAP ${queue[n]}: ${buffer}`)); return; }
      buffer = "";
      n += 1;
      if (n < queue.length) next(); else { socket.end(); ok(all); }
    });
  });
}

/** How many messages in `folder` of `user` have `subject` in their subject. */
async function countSubject(demo, user, password, folder, subject) {
  const said = await imap(demo, user, password, [`EXAMINE ${folder}`, `SEARCH SUBJECT "${subject}"`]);
  const line = /^\* SEARCH(.*)$/m.exec(said)?.[1] ?? "";
  return line.trim().split(/\s+/).filter((x) => x).length;
}

/** Delivers `eml` into INBOX as another mail client would: IMAP APPEND over TLS. */
function appendOverImap(demo, eml) {
  return new Promise((ok, fail) => {
    const socket = tlsConnect({ host: demo.host, port: demo.imaps_port, ca: readFileSync(demo.ca_file),
      servername: "localhost" });
    let buffer = "";
    let step = 0;
    const bytes = Buffer.from(eml);
    socket.setEncoding("utf8");
    socket.on("error", fail);
    socket.on("data", (chunk) => {
      buffer += chunk;
      if (step === 0 && /^\* OK/m.test(buffer)) {
        step = 1; buffer = "";
        socket.write(`a1 LOGIN ${demo.user} ${demo.password}\r\n`);
      } else if (step === 1 && /^a1 OK/m.test(buffer)) {
        step = 2; buffer = "";
        socket.write(`a2 APPEND INBOX {${bytes.length}}\r\n`);
      } else if (step === 2 && /^\+/m.test(buffer)) {
        step = 3; buffer = "";
        socket.write(Buffer.concat([bytes, Buffer.from("\r\n")]));
      } else if (step === 3 && /^a2 OK/m.test(buffer)) {
        step = 4;
        socket.end("a3 LOGOUT\r\n");
        ok();
      } else if (/^a\d (NO|BAD)/m.test(buffer)) {
        fail(new Error(`IMAP: ${buffer}`));
      }
    });
  });
}

/** The provider's view, through `coffer audit` without a vault: how much is plaintext. */
function auditPlaintext() {
  const dir = mkdtempSync(join(tmpdir(), "coffer-audit-"));
  writeFileSync(join(dir, "pw"), `${demo.password}\n`);
  const run = spawnSync(join(root, "target", "debug", "coffer"), [
    "audit", "--imap", `${demo.host}:${demo.imaps_port}`, "--user", demo.user,
    "--ca-file", demo.ca_file, "--password-file", join(dir, "pw"), "--json", join(dir, "r.json"),
  ], { encoding: "utf8" });
  assert.ok([0, 1].includes(run.status), `coffer audit failed: ${run.stderr}`);
  return JSON.parse(readFileSync(join(dir, "r.json"), "utf8")).totals;
}

test("create, add the account, seal, read, search, mark, lock and unlock", async () => {
  const { driver } = app;
  assert.equal(await driver.getTitle(), "Coffer");
  await createVaultWithDemo(driver, { shots: true, demo });

  // Before sealing, the provider reads everything. (Once the app's own
  // look at the mailbox, the seal plan, is done: on a first login Dovecot
  // sets up its special folders, and an EXAMINE racing that has answered
  // without UIDVALIDITY, which the audit rightly refuses.)
  await waitTestId(driver, "seal-start", 60000);
  assert.equal(auditPlaintext().plaintext, demo.messages);
  const result = await sealAll(driver, { shots: true });
  assert.match(result, new RegExp(`${demo.messages}`), `result names the count: ${result}`);
  const after = auditPlaintext();
  assert.equal(after.plaintext, 0, `the server still holds plaintext: ${JSON.stringify(after)}`);
  assert.equal(after.sealed, demo.messages);

  // The folder list, with unread counts, and a message in the reader.
  await openFolder(driver, "INBOX");
  const folders = await driver.findElements(By.css('[data-testid="folder"]'));
  const names = await Promise.all(folders.map((f) => f.getAttribute("data-folder")));
  for (const f of ["INBOX", "Archive/2024", "Sent"]) assert.ok(names.includes(f), `${f} in ${names}`);
  await openRow(driver, /Photos from the hike/);
  assert.equal(await el(driver, "message-frame").getAttribute("sandbox"), "");
  assert.match(await frameText(driver), /The view from the top/);
  assert.match(await textOf(driver, '[data-testid="trust"]'), /verified/i);
  await screenshot(driver, "app-mail.png");

  // The newsletter's tracking images are blocked, and counted in the chrome.
  await openRow(driver, /weekly privacy digest/);
  await driver.wait(async () => /blocked/.test((await textOf(driver, '[data-testid="blocked-count"]')) ?? ""),
    10000, "no blocked count for the newsletter");
  await screenshot(driver, "app-mail-blocked.png");

  // Search as you type; the words are marked in the reader.
  const box = el(driver, "search-input");
  await type(box, "budget");
  await driver.wait(async () => {
    const rows = await texts(driver, '[data-testid="message-row"]');
    return rows.length > 0 && rows.every((r) => /budget/i.test(r));
  }, 15000, "search results for budget");
  await openRow(driver, /budget/i);
  const frame = await el(driver, "message-frame");
  await driver.switchTo().frame(frame);
  const marks = await driver.findElements(By.css("mark"));
  await driver.switchTo().defaultContent();
  assert.ok(marks.length > 0, "the search word is highlighted in the reader");
  await screenshot(driver, "app-search.png");

  // A malformed query says where it is wrong.
  await type(box, "from:");
  await driver.wait(async () => /expected|position|query/i.test(await driver.findElement(By.css("body")).getText()),
    10000, "no error for a malformed query");
  await type(box, "\uE00C"); // Escape
  await el(driver, "search-input").clear();

  // Mark read and unread with the keyboard ("u"), on the unread welcome message.
  await openFolder(driver, "INBOX");
  const id = await openRow(driver, /Welcome to Coffer/);
  const row = () => driver.findElement(By.css(`[data-testid="message-row"][data-message-id="${id}"]`));
  await driver.findElement(By.css("body")).sendKeys("u");
  await driver.wait(async () => {
    const cls = (await row().getAttribute("class")) ?? "";
    const label = (await row().getAttribute("aria-label")) ?? "";
    return !/unread/.test(cls + label);
  }, 15000, "u did not mark the message read");

  // New mail is sealed while the app is open (the watch), and shows up.
  await appendOverImap(demo, "From: Carol <carol@example.org>\r\nTo: alice@example.test\r\n" +
    "Subject: Arrived while open\r\nMessage-ID: <late@example.org>\r\n\r\nFresh mail.\r\n");
  await openFolder(driver, "INBOX");
  await driver.wait(async () => (await texts(driver, '[data-testid="message-row"]')).some((t) => /Arrived while open/.test(t)),
    60000, "new mail never appeared sealed in the list");
  assert.equal(auditPlaintext().plaintext, 0, "the new message was left in plaintext");
  assert.match(await textOf(driver, '[data-testid="watch-status"]'), /up to date|Sealed/i);

  // Write and send from the app; the recipient gets it, and the sender's
  // server holds only a sealed copy in Sent (the audit finds no plaintext).
  await el(driver, "compose-new").click();
  await type(await waitTestId(driver, "compose-to"), "Bob <bob@example.test>");
  await type(el(driver, "compose-subject"), "Hello from the app");
  await type(el(driver, "compose-body"), "Written and sent in Coffer.");
  await screenshot(driver, "app-compose.png");
  await el(driver, "compose-send").click();
  await driver.wait(async () => (await countSubject(demo, "bob", "bob-demo-pw", "INBOX", "Hello from the app")) === 1,
    30000, "bob never got the message sent from the app");
  await driver.wait(async () => (await countSubject(demo, demo.user, demo.password, "Sent", "Hello from the app")) === 0 &&
    auditPlaintext().plaintext === 0, 30000, "plaintext in the sender's mailbox after sending");
  // Replying with r opens the form filled in: Re:, the quote, the sender.
  await openFolder(driver, "INBOX");
  await openRow(driver, /Quarterly budget review/);
  await driver.findElement(By.css("body")).sendKeys("r");
  const replyTo = await waitTestId(driver, "compose-to", 10000);
  await driver.wait(async () => /@example\.org/.test(await replyTo.getAttribute("value")), 10000, "reply not addressed");
  assert.match(await el(driver, "compose-subject").getAttribute("value"), /^Re: Quarterly budget review/);
  assert.match(await el(driver, "compose-body").getAttribute("value"), /wrote:\n> /);
  await type(replyTo, "bob@example.test");
  await el(driver, "compose-send").click();
  await driver.wait(async () => (await countSubject(demo, "bob", "bob-demo-pw", "INBOX", "Re: Quarterly budget review")) === 1,
    30000, "the reply never arrived");
  assert.equal(auditPlaintext().plaintext, 0, "plaintext left after the reply");

  // The shortcut overlay.
  await driver.findElement(By.css("body")).sendKeys("?");
  await waitTestId(driver, "shortcuts", 5000);
  await screenshot(driver, "app-shortcuts.png");
  await driver.findElement(By.css("body")).sendKeys("\uE00C");

  // Lock: only the unlock screen, no decrypted mail left in the DOM.
  await el(driver, "lock").click();
  await waitTestId(driver, "unlock-passphrase", 10000);
  const html = await driver.executeScript("return document.documentElement.outerHTML");
  for (const secret of ["Quarterly budget", "Photos from the hike", "message-frame", "message-row"]) {
    assert.ok(!html.includes(secret), `${secret} is still in the DOM after locking`);
  }
  await screenshot(driver, "app-locked.png");
  assert.match(await textOf(driver, '[data-testid="watch-status"]'), /Locked — still sealing/);
  // Locked, the engine refuses everything but unlock and the sealing status.
  const refused = await driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    const invoke = window.__TAURI_INTERNALS__.invoke;
    Promise.all([
      invoke("folders").then(() => "answered", (e) => e.code),
      invoke("search", { query: "budget", limit: 10 }).then(() => "answered", (e) => e.code),
      invoke("watch_status").then((s) => s.locked ? "status" : "unlocked?", (e) => e.code),
    ]).then(done);`);
  assert.deepEqual(refused, ["locked", "locked", "status"]);

  // A wrong passphrase is refused; the right one opens the mail again.
  await type(el(driver, "unlock-passphrase"), "not the passphrase");
  await el(driver, "unlock-submit").click();
  await driver.wait(async () => /passphrase/i.test((await textOf(driver, '[role="alert"]')) ?? ""), 20000,
    "no error for a wrong passphrase");
  await type(el(driver, "unlock-passphrase"), PASSPHRASE);
  await el(driver, "unlock-submit").click();
  await waitFor(driver, '[data-testid="message-row"]', 30000, "mail after unlocking");
});
