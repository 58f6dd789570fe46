// End to end: the real coffer-app binary under Xvfb, driven through
// tauri-driver and WebKitWebDriver. Run with `xvfb-run -a node --test e2e/`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Builder, By } from "selenium-webdriver";

const root = resolve(import.meta.dirname, "..", "..");
const app = process.env.COFFER_APP_BIN ?? join(root, "target", "debug", "coffer-app");
const artifacts = join(root, "test-artifacts");
const driverBin = process.env.TAURI_DRIVER_BIN ?? "tauri-driver";

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function waitForPort(port, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on ${port} within ${ms} ms`);
}

let driverProc;
let driver;
let vaultDir;

before(async () => {
  assert.ok(existsSync(app), `build the app first: ${app} is missing`);
  assert.ok(process.env.DISPLAY, "run under Xvfb (xvfb-run -a)");
  vaultDir = mkdtempSync(join(tmpdir(), "coffer-e2e-"));
  const port = await freePort();
  const nativePort = await freePort();
  driverProc = spawn(driverBin, ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, COFFER_VAULT: vaultDir },
  });
  await waitForPort(port, 15000);
  driver = await new Builder()
    .usingServer(`http://127.0.0.1:${port}/`)
    .withCapabilities({ browserName: "wry", "tauri:options": { application: app } })
    .build();
});

after(async () => {
  if (driver) await driver.quit().catch(() => {});
  if (driverProc) driverProc.kill();
});

test("the window opens on the start screen and shows the vault state", async () => {
  // The headline element is replaced once IPC answers, so look it up afresh.
  const headlineText = async () => {
    try {
      return await driver.findElement(By.css("[data-testid=headline]")).getText();
    } catch {
      return null;
    }
  };
  await driver.wait(async () => (await headlineText()) === "No vault yet", 20000,
    "the start screen never said 'No vault yet'");
  assert.equal(await driver.getTitle(), "Coffer");
  // The detail comes from the Rust side over IPC: the vault dir we passed in.
  const detail = await driver.findElement(By.css("[data-testid=vault-detail]")).getText();
  assert.ok(detail.includes(vaultDir), `detail ${JSON.stringify(detail)} names ${vaultDir}`);
  const version = await driver.findElement(By.css("[data-testid=version]")).getText();
  assert.match(version, /^v\d+\.\d+\.\d+/);

  mkdirSync(artifacts, { recursive: true });
  const png = await driver.takeScreenshot();
  const file = join(artifacts, "app-start.png");
  writeFileSync(file, png, "base64");
  assert.ok(Buffer.from(png, "base64").length > 1000, "screenshot is not empty");
  console.log(`screenshot saved to ${file}`);
});
