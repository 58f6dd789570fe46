import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import Seal from "./Seal.svelte";
import type { SealPlan, SealProgress, SealResult } from "../lib/api";

const PLAN: SealPlan = {
  account: "Personal",
  folders: [
    { name: "INBOX", toSeal: 1200, alreadySealed: 30, bytes: 80_000_000 },
    { name: "Sent", toSeal: 300, alreadySealed: 0, bytes: 20_000_000 },
  ],
  messages: 1500,
  bytes: 100_000_000,
  estimateSeconds: 250,
  warnings: ["The server lacks UIDPLUS: originals in Archive are kept."],
};

function progress(over: Partial<SealProgress> = {}): SealProgress {
  return {
    account: "Personal",
    state: "running",
    folders: [
      { name: "INBOX", total: 1200, done: 600, bytesTotal: 80_000_000, bytesDone: 40_000_000, stopped: null },
      { name: "Sent", total: 300, done: 0, bytesTotal: 20_000_000, bytesDone: 0, stopped: null },
    ],
    done: 600,
    total: 1500,
    bytesDone: 40_000_000,
    bytesTotal: 100_000_000,
    rate: 2_000_000,
    etaSeconds: 30,
    ...over,
  };
}

const RESULT: SealResult = {
  account: "Personal",
  sealed: 1498,
  alreadySealed: 30,
  kept: 12,
  failed: [{ folder: "Sent", uid: 77, reason: "the server refused APPEND" }, { folder: "INBOX", uid: 9, reason: "too big" }],
  warnings: ["Archive: originals kept (no UIDPLUS)"],
  seconds: 245,
  cancelled: false,
};

function setup(extra: Record<string, unknown> = {}) {
  let emit: (p: SealProgress) => void = () => {};
  let finish: (r: SealResult) => void = () => {};
  const calls = {
    plan: vi.fn(async (_a: string) => PLAN),
    start: vi.fn((_a: string) => new Promise<SealResult>((ok) => (finish = ok))),
    pause: vi.fn(async () => {}),
    resume: vi.fn(async () => {}),
    cancel: vi.fn(async () => {}),
    unsubscribe: vi.fn(),
    onDone: vi.fn(),
    onRunning: vi.fn(),
  };
  const subscribe = vi.fn(async (cb: (p: SealProgress) => void) => {
    emit = cb;
    return calls.unsubscribe;
  });
  render(Seal, { props: { account: "Personal", subscribe, ...calls, ...extra } });
  return { ...calls, subscribe, emit: (p: SealProgress) => emit(p), finish: (r: SealResult) => finish(r) };
}

describe("Seal", () => {
  it("shows the plan per folder with totals, estimate and warnings", async () => {
    const { plan, onDone } = setup();
    const table = await screen.findByTestId("seal-plan");
    expect(plan).toHaveBeenCalledWith("Personal");
    const rows = table.querySelectorAll("tbody tr");
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain("INBOX");
    expect(rows[0].textContent).toContain("1,200");
    expect(rows[0].textContent).toContain("80.0 MB");
    expect(screen.getByTestId("plan-messages").textContent).toBe("1,500");
    expect(screen.getByTestId("plan-bytes").textContent).toBe("100 MB");
    expect(table.querySelector("tfoot")!.textContent).toContain("30");
    expect(screen.getByTestId("plan-estimate").textContent).toContain("about 4 minutes");
    expect(screen.getByTestId("plan-warnings").textContent).toContain("originals in Archive are kept");
    await fireEvent.click(screen.getByTestId("seal-not-now"));
    expect(onDone).toHaveBeenCalled();
  });

  it("runs: progress, pause, resume, then the result", async () => {
    const s = setup();
    await fireEvent.click(await screen.findByTestId("seal-start"));
    await waitFor(() => expect(s.start).toHaveBeenCalledWith("Personal"));
    expect(s.subscribe).toHaveBeenCalled();
    expect(s.onRunning).toHaveBeenCalledWith(true);
    expect(screen.getByText(/safe at any moment/)).toBeTruthy();

    s.emit(progress());
    await waitFor(() => expect(screen.getByTestId("seal-numbers").textContent).toContain("600 of 1,500 messages"));
    const numbers = screen.getByTestId("seal-numbers").textContent!;
    expect(numbers).toContain("40.0 MB of 100 MB");
    expect(numbers).toContain("2.0 MB/s");
    expect(numbers).toContain("about 30 s left");
    expect((screen.getByTestId("seal-progress") as HTMLProgressElement).value).toBeCloseTo(0.4);
    expect(screen.getByTestId("seal-folders").textContent).toContain("600 / 1,200");
    // Another account's events are not ours.
    s.emit(progress({ account: "Work", done: 1 }));
    expect(screen.getByTestId("seal-numbers").textContent).toContain("600 of");

    await fireEvent.click(screen.getByTestId("seal-pause"));
    expect(s.pause).toHaveBeenCalled();
    await waitFor(() => expect(screen.getByTestId("seal-state").textContent).toMatch(/Pausing/));
    s.emit(progress({ state: "paused" }));
    await waitFor(() => expect(screen.getByTestId("seal-state").textContent).toBe("Paused"));
    await fireEvent.click(screen.getByTestId("seal-resume"));
    expect(s.resume).toHaveBeenCalled();
    await waitFor(() => expect(screen.getByTestId("seal-pause")).toBeTruthy());

    s.finish(RESULT);
    const result = await screen.findByTestId("seal-result");
    expect(screen.getByTestId("result-sealed").textContent).toBe("1,498 messages");
    expect(screen.getByTestId("result-kept").textContent).toContain("12 messages");
    expect(screen.getByTestId("result-failed").textContent).toContain("the server refused APPEND");
    expect(result.textContent).toContain("Archive: originals kept (no UIDPLUS)");
    expect(result.textContent).toContain("4 min 05 s");
    expect(s.unsubscribe).toHaveBeenCalled();
    expect(s.onRunning).toHaveBeenLastCalledWith(false);
    await fireEvent.click(screen.getByTestId("open-mail"));
    expect(s.onDone).toHaveBeenCalled();
  });

  it("cancels between batches and says what that means", async () => {
    const s = setup();
    await fireEvent.click(await screen.findByTestId("seal-start"));
    await waitFor(() => expect(s.start).toHaveBeenCalled());
    await fireEvent.click(screen.getByTestId("seal-cancel"));
    expect(s.cancel).toHaveBeenCalled();
    await waitFor(() => expect((screen.getByTestId("seal-cancel") as HTMLButtonElement).disabled).toBe(true));
    s.finish({ ...RESULT, cancelled: true, failed: [], sealed: 100 });
    expect((await screen.findByTestId("seal-result")).textContent).toContain("Sealing cancelled");
    expect(screen.getByTestId("seal-again")).toBeTruthy();
  });

  it("shows a plan error and tries again", async () => {
    let calls = 0;
    setup({
      plan: async () => {
        calls += 1;
        if (calls === 1) throw { code: "network", message: "connection refused" };
        return PLAN;
      },
    });
    expect((await screen.findByTestId("seal-error")).textContent).toContain("connection refused");
    await fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("seal-plan")).toBeTruthy();
  });

  it("shows a run that could not start", async () => {
    setup({ start: async () => { throw { code: "account_busy", message: "another process is sealing Personal" }; } });
    await fireEvent.click(await screen.findByTestId("seal-start"));
    expect((await screen.findByTestId("seal-error")).textContent).toContain("another process is sealing Personal");
  });

  it("offers to open the mail when nothing is left to seal", async () => {
    const { onDone } = setup({ plan: async () => ({ ...PLAN, messages: 0, bytes: 0, warnings: [] }) });
    await fireEvent.click(await screen.findByTestId("open-mail"));
    expect(screen.queryByTestId("seal-start")).toBeNull();
    expect(onDone).toHaveBeenCalled();
  });
});
