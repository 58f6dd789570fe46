import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startIdleTimer, type IdleTimer } from "./idle";

describe("the auto-lock timer", () => {
  let timer: IdleTimer | null = null;
  let target: EventTarget;

  beforeEach(() => {
    vi.useFakeTimers();
    target = new EventTarget();
  });
  afterEach(() => {
    timer?.stop();
    timer = null;
    vi.useRealTimers();
  });

  it("fires once after the idle minutes", () => {
    const onIdle = vi.fn();
    timer = startIdleTimer({ minutes: 5, onIdle, target });
    vi.advanceTimersByTime(5 * 60_000 - 1);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60 * 60_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("starts counting again on each kind of activity", () => {
    const onIdle = vi.fn();
    timer = startIdleTimer({ minutes: 1, onIdle, target });
    for (const type of ["keydown", "mousedown", "pointermove", "wheel"]) {
      vi.advanceTimersByTime(50_000);
      target.dispatchEvent(new Event(type));
    }
    // 200 s have passed, never 60 s without activity.
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(59_999);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("ignores other events", () => {
    const onIdle = vi.fn();
    timer = startIdleTimer({ minutes: 1, onIdle, target });
    vi.advanceTimersByTime(30_000);
    target.dispatchEvent(new Event("focus"));
    vi.advanceTimersByTime(30_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("never fires with 0 minutes, and follows a changed setting", () => {
    const onIdle = vi.fn();
    timer = startIdleTimer({ minutes: 0, onIdle, target });
    vi.advanceTimersByTime(24 * 3600_000);
    expect(onIdle).not.toHaveBeenCalled();
    timer.setMinutes(2);
    vi.advanceTimersByTime(2 * 60_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
    timer.setMinutes(0);
    vi.advanceTimersByTime(24 * 3600_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("re-arms after firing on the next activity", () => {
    const onIdle = vi.fn();
    timer = startIdleTimer({ minutes: 1, onIdle, target });
    vi.advanceTimersByTime(60_000);
    target.dispatchEvent(new Event("keydown"));
    vi.advanceTimersByTime(60_000);
    expect(onIdle).toHaveBeenCalledTimes(2);
  });

  it("stops listening when stopped", () => {
    const onIdle = vi.fn();
    timer = startIdleTimer({ minutes: 1, onIdle, target });
    timer.stop();
    target.dispatchEvent(new Event("keydown"));
    vi.advanceTimersByTime(10 * 60_000);
    expect(onIdle).not.toHaveBeenCalled();
  });
});
