// Measures the real app (release build) on a vault with many messages, under
// Xvfb, through WebDriver: unlock to inbox, opening a cached message, a
// one-word search, and scrolling the list from top to bottom. Times are taken
// inside the webview (performance.now), so WebDriver's own round trips do
// not count. Run by scripts/bench/app-100k.sh; prints one JSON line.
import { By } from "selenium-webdriver";
import { startApp, screenshot } from "../e2e/driver.mjs";

const [vault, passphrase, searchDelay] = process.argv.slice(2);
const app = await startApp({ COFFER_VAULT: vault });
const { driver } = app;
const result = {};
// Scrolling 100,000 rows takes a while: allow each in-page script 10 minutes.
await driver.manage().setTimeouts({ script: 600000 });
try {
  await driver.wait(async () => (await driver.findElements(By.css('[data-testid="unlock-passphrase"]'))).length > 0, 30000);
  await driver.findElement(By.css('[data-testid="unlock-passphrase"]')).sendKeys(passphrase);
  // Unlock to the inbox list shown: from the click to a real row on screen.
  result.unlock_to_inbox_ms = await driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    const t0 = performance.now();
    document.querySelector('[data-testid="unlock-submit"]').click();
    (function poll() {
      if (document.querySelector('[data-testid="message-row"][data-message-id]')) {
        requestAnimationFrame(() => done(performance.now() - t0));
      } else setTimeout(poll, 2);
    })();`);

  // Opening cached messages (the newest rows are cached originals), one click
  // every half second: selections in quick succession (holding j) are
  // debounced by the reader on purpose, and are not what this measures.
  result.open_cached_ms = [];
  for (let i = 0; i < 12; i++) {
    await driver.sleep(500);
    const ms = await driver.executeAsyncScript(`
      const done = arguments[arguments.length - 1];
      const rows = document.querySelectorAll('[data-testid="message-row"][data-message-id]');
      const row = rows[arguments[0] % rows.length];
      const before = document.querySelector('[data-testid="message-frame"]')?.getAttribute("srcdoc") ?? "";
      const t0 = performance.now();
      row.click();
      (function poll() {
        const f = document.querySelector('[data-testid="message-frame"]');
        const now = f?.getAttribute("srcdoc") ?? "";
        if (f && now && now !== before) requestAnimationFrame(() => done(performance.now() - t0));
        else if (performance.now() - t0 > 10000) done(-1);
        else setTimeout(poll, 1);
      })();`, i);
    result.open_cached_ms.push(ms);
  }
  await screenshot(driver, "bench-reader.png");

  // Search: the engine through IPC (what the UI awaits), then typing to
  // results on screen, less the input debounce.
  result.search_ipc_ms = await driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    const times = [];
    (async () => {
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        await window.__TAURI_INTERNALS__.invoke("search", { query: i % 2 ? "proposal" : "budget", limit: 500 });
        times.push(performance.now() - t0);
      }
      done(times);
    })();`);
  result.search_typed_ms = await driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    const input = document.querySelector('[data-testid="search-input"]');
    const first = () => document.querySelector('[data-testid="snippet"]');
    const t0 = performance.now();
    input.value = "budget";
    input.dispatchEvent(new Event("input", { bubbles: true }));
    (function poll() {
      if (first()) requestAnimationFrame(() => done(performance.now() - t0));
      else if (performance.now() - t0 > 10000) done(-1);
      else setTimeout(poll, 1);
    })();`);
  result.search_debounce_ms = Number(searchDelay);
  await screenshot(driver, "bench-search.png");
  await driver.executeScript(`
    const input = document.querySelector('[data-testid="search-input"]');
    input.value = ""; input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));`);
  await driver.sleep(1000);

  // Scrolling from top to bottom, a screen-sized jump each frame and a
  // 200-screen jump every 40 frames (dragging the scroll bar): every frame's time.
  result.scroll = await driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    const list = document.querySelector('[data-testid="message-list"]');
    const frames = [];
    const slow = [];
    let last = performance.now();
    let n = 0;
    list.scrollTop = 0;
    function step(now) {
      frames.push(now - last);
      if (now - last > 40) slow.push([n, Math.round(now - last), list.scrollTop]);
      last = now;
      n++;
      const page = list.clientHeight;
      list.scrollTop += (n % 40 === 0) ? page * 200 : page;
      if (list.scrollTop + list.clientHeight >= list.scrollHeight - 1 || n > 20000) {
        const sorted = frames.slice(1).sort((a, b) => a - b);
        done({ frames: sorted.length, max_ms: sorted[sorted.length - 1],
               p99_ms: sorted[Math.floor(sorted.length * 0.99)],
               median_ms: sorted[Math.floor(sorted.length / 2)],
               over_50ms: sorted.filter((f) => f > 50).length,
               rows_shown_at_end: document.querySelectorAll('[data-testid="message-row"]').length,
               slow_frames: slow,
               scroll_height: list.scrollHeight });
      } else requestAnimationFrame(step);
    }
    requestAnimationFrame(step);`);
  await screenshot(driver, "bench-scrolled.png");
} catch (e) {
  result.error = String(e);
} finally {
  await app.stop();
}
console.log(JSON.stringify(result));
