import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import StatusBar from "./StatusBar.svelte";
import type { WatchStatus } from "../lib/api";

function status(over: Partial<WatchStatus> = {}): WatchStatus {
  return {
    account: "Personal", state: "up_to_date", sealing: 0, retryInSeconds: null, reason: null,
    locked: false, sealedTotal: 3, ...over,
  };
}

function setup(first: WatchStatus | Error, extra: Record<string, unknown> = {}) {
  let emit: (s: WatchStatus) => void = () => {};
  const unsubscribe = vi.fn();
  const { unmount } = render(StatusBar, {
    props: {
      load: async () => {
        if (first instanceof Error) throw first;
        return first;
      },
      subscribe: async (cb: (s: WatchStatus) => void) => ((emit = cb), unsubscribe),
      ...extra,
    },
  });
  return { emit: (s: WatchStatus) => emit(s), unsubscribe, unmount };
}

const text = () => screen.getByTestId("watch-status").textContent;

describe("StatusBar", () => {
  afterEach(() => vi.useRealTimers());

  it("shows each state of the watch as events arrive", async () => {
    const s = setup(status());
    await waitFor(() => expect(text()).toBe("Sealed · up to date"));
    s.emit(status({ state: "sealing", sealing: 12 }));
    await waitFor(() => expect(text()).toBe("Sealing 12…"));
    s.emit(status({ state: "stopped", reason: "the password was refused" }));
    await waitFor(() => expect(text()).toBe("Stopped: the password was refused"));
    s.emit(status({ state: "sealing", sealing: 2, locked: true }));
    await waitFor(() => expect(text()).toBe("Locked — still sealing"));
  });

  it("counts down to the next try while offline", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const s = setup(status({ state: "offline", retryInSeconds: 30, reason: "network down" }));
    await waitFor(() => expect(text()).toBe("Offline · retrying in 30 s"));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(text()).toMatch(/^Offline · retrying in (19|20) s$/);
    s.emit(status());
    await waitFor(() => expect(text()).toBe("Sealed · up to date"));
  });

  it("reads the status again when the session changes", async () => {
    const load = vi.fn()
      .mockResolvedValueOnce(status({ locked: true, state: "sealing", sealing: 1 }))
      .mockResolvedValue(status());
    const { rerender } = render(StatusBar, {
      props: { load, subscribe: async () => () => {}, refresh: "locked" },
    });
    await waitFor(() => expect(text()).toBe("Locked — still sealing"));
    await rerender({ refresh: "unlocked" });
    await waitFor(() => expect(text()).toBe("Sealed · up to date"));
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("says so when the status cannot be read, and unsubscribes when gone", async () => {
    const s = setup(new Error("no backend"));
    await waitFor(() => expect(text()).toBe("Status unavailable"));
    s.unmount();
    expect(s.unsubscribe).toHaveBeenCalled();
  });

  const RENEW = "watch stopped: the account's sign-in must be renewed (see above): the sign-in of account \"Office\" is no longer accepted";

  it("offers to sign in again when the watch stopped for an expired sign-in", async () => {
    let finish: () => void = () => {};
    const signIn = vi.fn((_a: string) => new Promise<void>((resolve) => (finish = resolve)));
    const s = setup(status({ account: "Office", state: "stopped", reason: RENEW }), { signIn });
    const button = await screen.findByTestId("watch-sign-in-again");
    expect(button.textContent).toBe("Sign in again");
    await fireEvent.click(button);
    expect(signIn).toHaveBeenCalledWith("Office");
    expect(button.textContent).toContain("Finish signing in in your browser");
    expect((button as HTMLButtonElement).disabled).toBe(true);
    finish();
    // The watch starts again and says so.
    s.emit(status({ account: "Office" }));
    await waitFor(() => expect(screen.queryByTestId("watch-sign-in-again")).toBeNull());
  });

  it("says when signing in again failed", async () => {
    setup(status({ account: "Office", state: "stopped", reason: RENEW }), {
      signIn: async () => { throw { code: "cancelled", message: "the browser sign-in timed out" }; },
    });
    await fireEvent.click(await screen.findByTestId("watch-sign-in-again"));
    const error = await screen.findByTestId("watch-sign-in-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toContain("the browser sign-in timed out");
  });

  it("offers no sign-in for other stops, nor while the vault is locked", async () => {
    const s = setup(status({ state: "stopped", reason: "the server refuses this account's login" }));
    await waitFor(() => expect(text()).toContain("Stopped"));
    expect(screen.queryByTestId("watch-sign-in-again")).toBeNull();
    s.unmount();
    setup(status({ account: "Office", state: "stopped", reason: RENEW }), { canSignIn: false });
    await waitFor(() => expect(text()).toContain("sign-in must be renewed"));
    expect(screen.queryByTestId("watch-sign-in-again")).toBeNull();
  });
});
