import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor } from "@testing-library/svelte";
import StatusBar from "./StatusBar.svelte";
import type { WatchStatus } from "../lib/api";

function status(over: Partial<WatchStatus> = {}): WatchStatus {
  return {
    account: "Personal", state: "up_to_date", sealing: 0, retryInSeconds: null, reason: null,
    locked: false, sealedTotal: 3, ...over,
  };
}

function setup(first: WatchStatus | Error) {
  let emit: (s: WatchStatus) => void = () => {};
  const unsubscribe = vi.fn();
  const { unmount } = render(StatusBar, {
    props: {
      load: async () => {
        if (first instanceof Error) throw first;
        return first;
      },
      subscribe: async (cb: (s: WatchStatus) => void) => ((emit = cb), unsubscribe),
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
});
