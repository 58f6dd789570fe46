import { describe, expect, it } from "vitest";
import { ERROR_CODES, describeError, errorHint, isCommandError } from "./api";

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
  });
});
