// The auto-lock timer: calls `onIdle` once after `minutes` without keyboard,
// mouse or wheel activity. Activity only records a time stamp (a pointermove
// per frame must stay cheap); the single timeout re-arms itself for the rest.

export const ACTIVITY_EVENTS = ["keydown", "mousedown", "pointermove", "wheel"] as const;

export interface IdleTimer {
  /** Counts from now again (also re-arms after it fired). */
  reset(): void;
  /** Changes the delay; 0 turns auto-lock off. Counts from now. */
  setMinutes(minutes: number): void;
  /** Removes the listeners and the timeout. */
  stop(): void;
}

export interface IdleOptions {
  minutes: number;
  onIdle: () => void;
  /** Where activity is listened for (default: window). */
  target?: EventTarget;
  now?: () => number;
}

export function startIdleTimer({ minutes, onIdle, target = window, now = Date.now }: IdleOptions): IdleTimer {
  let delay = toMs(minutes);
  let last = now();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let fired = false;
  let stopped = false;

  function clear() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  function arm(ms: number) {
    clear();
    if (stopped || delay <= 0) return;
    timer = setTimeout(check, Math.max(0, ms));
  }

  function check() {
    timer = null;
    const idle = now() - last;
    if (idle >= delay) {
      fired = true;
      onIdle();
    } else {
      arm(delay - idle);
    }
  }

  function activity() {
    last = now();
    // After it fired, the next activity starts a new count.
    if (fired) {
      fired = false;
      arm(delay);
    }
  }

  for (const type of ACTIVITY_EVENTS) target.addEventListener(type, activity, { passive: true });
  arm(delay);

  return {
    reset() {
      last = now();
      fired = false;
      arm(delay);
    },
    setMinutes(m: number) {
      delay = toMs(m);
      last = now();
      fired = false;
      arm(delay);
    },
    stop() {
      stopped = true;
      clear();
      for (const type of ACTIVITY_EVENTS) target.removeEventListener(type, activity);
    },
  };
}

function toMs(minutes: number): number {
  return Number.isFinite(minutes) && minutes > 0 ? minutes * 60_000 : 0;
}
