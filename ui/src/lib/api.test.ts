import { describe, expect, it, vi } from "vitest";
import {
  ERROR_CODES,
  addOAuthAccount,
  describeError,
  errorHint,
  isCommandError,
  oauthProviders,
  onAuditProgress,
  onSealProgress,
  onWatchStatus,
  signInAgain,
} from "./api";

// Tauri's invoke, faked: records each command and its arguments.
const core = vi.hoisted(() => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/core", () => core);

// Tauri's event module, faked: `emit` hands a payload to the listeners of an event.
const events = vi.hoisted(() => {
  const listeners = new Map<string, Set<(e: { payload: unknown }) => void>>();
  return {
    listeners,
    emit(event: string, payload: unknown) {
      for (const l of listeners.get(event) ?? []) l({ payload });
    },
  };
});
vi.mock("@tauri-apps/api/event", () => ({
  listen: async (event: string, handler: (e: { payload: unknown }) => void) => {
    const set = events.listeners.get(event) ?? new Set();
    events.listeners.set(event, set);
    set.add(handler);
    return () => set.delete(handler);
  },
}));

describe("command errors", () => {
  it("recognises the { code, message } shape", () => {
    expect(isCommandError({ code: "network", message: "down" })).toBe(true);
    expect(isCommandError({ message: "no code" })).toBe(false);
    expect(isCommandError("text")).toBe(false);
  });

  it("adds what to do for the codes a person can act on", () => {
    expect(describeError({ code: "login_refused", message: "login failed for alice: no" })).toBe(
      "login failed for alice: no — The server refused the login: check the user name and password (some providers need an app password).",
    );
    expect(describeError({ code: "internal", message: "boom" })).toBe("boom");
    expect(describeError(new Error("plain"))).toBe("plain");
  });

  it("has a hint or none for every code, and unique codes", () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    for (const code of ERROR_CODES) {
      const hint = errorHint(code);
      expect(hint === null || hint.length > 0).toBe(true);
    }
    expect(errorHint("certificate_untrusted")).toMatch(/CA file/);
    expect(errorHint("sign_in_again")).toMatch(/sign in again/);
  });

  it("lists the OAuth codes where the engine does (a Rust test compares the lists)", () => {
    const at = ERROR_CODES.indexOf("login_refused");
    expect(ERROR_CODES.slice(at, at + 4)).toEqual(["login_refused", "sign_in_again", "oauth_client_missing", "certificate_untrusted"]);
  });
});

describe("OAuth commands", () => {
  it("passes each command its arguments as the Rust commands name them", async () => {
    core.invoke.mockResolvedValueOnce([]).mockResolvedValueOnce({ deletion: "uid_expunge", report: [] }).mockResolvedValueOnce(null);
    expect(await oauthProviders()).toEqual([]);
    const request = { name: "Work", provider: "microsoft" as const, user: "a@firm.example", clientId: null, tenant: null };
    expect(await addOAuthAccount(request)).toEqual({ deletion: "uid_expunge", report: [] });
    expect(await signInAgain("Work")).toBeUndefined();
    expect(core.invoke.mock.calls).toEqual([
      ["oauth_providers"],
      ["add_oauth_account", { request }],
      ["sign_in_again", { name: "Work" }],
    ]);
  });
});

describe("event subscriptions", () => {
  it("hands each event's payload to its subscriber until it unsubscribes", async () => {
    const got: [string, unknown][] = [];
    const stops = [
      await onAuditProgress((p) => got.push(["audit", p])),
      await onSealProgress((p) => got.push(["seal", p])),
      await onWatchStatus((s) => got.push(["watch", s])),
    ];
    events.emit("audit-progress", { done: 1 });
    events.emit("seal-progress", { done: 2 });
    events.emit("watch-status", { sealedTotal: 3 });
    events.emit("other-event", { ignored: true });
    expect(got).toEqual([
      ["audit", { done: 1 }],
      ["seal", { done: 2 }],
      ["watch", { sealedTotal: 3 }],
    ]);
    for (const stop of stops) stop();
    events.emit("watch-status", { sealedTotal: 4 });
    expect(got).toHaveLength(3);
  });
});
