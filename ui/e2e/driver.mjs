// Starts the real coffer-app under tauri-driver and WebKitWebDriver, for the
// end-to-end tests. Needs an X display (run under xvfb-run).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { Builder, By } from "selenium-webdriver";

export const root = resolve(import.meta.dirname, "..", "..");
export const artifacts = join(root, "test-artifacts");
const app = process.env.COFFER_APP_BIN ?? join(root, "target", "debug", "coffer-app");
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

function canConnect(port) {
  return new Promise((ok) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), ok(true)));
    socket.once("error", () => ok(false));
  });
}

// A TCP connect, not GET /status: tauri-driver proxies /status to
// WebKitWebDriver, which is not up before a session exists, and logs noise.
async function waitForDriver(port, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on ${port} within ${ms} ms`);
}

/** Launches the app with extra environment; returns the WebDriver and a stop function. */
export async function startApp(env = {}) {
  if (!existsSync(app)) throw new Error(`build the app first: ${app} is missing`);
  if (!process.env.DISPLAY) throw new Error("run under Xvfb (xvfb-run -a)");
  const port = await freePort();
  const nativePort = await freePort();
  const proc = spawn(driverBin, ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, ...env },
  });
  await waitForDriver(port, 15000);
  const driver = await new Builder()
    .usingServer(`http://127.0.0.1:${port}/`)
    .withCapabilities({ browserName: "wry", "tauri:options": { application: app } })
    .build();
  return {
    driver,
    async stop() {
      await driver.quit().catch(() => {});
      proc.kill();
    },
  };
}

/** The text of the element matching `css`, or null (elements are re-rendered). */
export async function textOf(driver, css) {
  try {
    return await driver.findElement(By.css(css)).getText();
  } catch {
    return null;
  }
}

/** Saves a screenshot into test-artifacts/ and returns its size in bytes. */
export async function screenshot(driver, name) {
  mkdirSync(artifacts, { recursive: true });
  const png = Buffer.from(await driver.takeScreenshot(), "base64");
  writeFileSync(join(artifacts, name), png);
  return png.length;
}

/**
 * Starts the demo mailbox (a real Dovecot) and resolves with how to reach it,
 * and its JSON line (what `COFFER_DEMO` takes). `args`: e.g. `["--hostile", url]`.
 */
export function startDemoServer(args = []) {
  const bin = join(root, "target", "debug", "coffer-demo-server");
  if (!existsSync(bin)) throw new Error(`build it first: ${bin} is missing`);
  const proc = spawn(bin, args, { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((ok, fail) => {
    proc.on("error", fail);
    proc.on("exit", (code) => fail(new Error(`demo server exited with ${code}`)));
    createInterface({ input: proc.stdout }).once("line", (line) => {
      const info = JSON.parse(line);
      ok({ ...info, line, stop: () => proc.stdin.end() });
    });
  });
}
